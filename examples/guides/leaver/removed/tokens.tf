# Alice has left: her row is gone. Bob has left too: his row is kept with no user, as a reminder that the
# token is back in the drawer. Both tokens are unassigned and available to be issued again.
locals {
  batches = ["2026-01"]

  assignments = {
    "70000002" = null # was bob@contoso.example
    "70000003" = "dave@contoso.example"
  }

  lost    = []
  retired = []
}
