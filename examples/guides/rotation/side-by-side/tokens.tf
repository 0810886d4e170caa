# The new batch arrives: its vendor file goes next to the old one, and each user gets a new token while
# keeping the old one.
locals {
  batches = ["2026-01", "2027-06"]

  assignments = {
    "70000001" = "alice@contoso.example"
    "70000002" = "bob@contoso.example"
    "71000001" = "alice@contoso.example"
    "71000002" = "bob@contoso.example"
  }

  lost    = []
  retired = []
}
