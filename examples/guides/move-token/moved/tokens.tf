# Alice hands her token to Carol: only the user changes.
locals {
  batches = ["2026-01"]

  assignments = {
    "70000001" = "carol@contoso.example"
    "70000002" = "bob@contoso.example"
  }

  lost    = []
  retired = []
}
