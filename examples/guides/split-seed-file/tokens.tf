# The plain file: what day-2 changes edit. Nothing in it is secret.
locals {
  # The vendor files (vendor-<batch>.csv) whose tokens are in the inventory.
  batches = ["2026-01"]

  # Who holds which token: serial number => user principal name. Serial numbers not listed are spares.
  assignments = {
    "70000001" = "alice@contoso.example"
    "70000002" = "bob@contoso.example"
  }

  # Reported lost: kept in the inventory, unassigned, in case they turn up. Never assign them again.
  lost = []

  # Taken out of the inventory (stolen, broken, expired): deleted from Entra ID.
  retired = []
}
