locals {
  batches = ["2026-01"]

  assignments = {
    "70000001" = "alice@contoso.example"
    "70000002" = "bob@contoso.example"
    "70000003" = "dave@contoso.example"
  }

  lost    = []
  retired = []
}
