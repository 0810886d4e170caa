# Alice's token was stolen: it is retired (deleted from Entra ID) and she gets spare 70000003.
# Bob left his on a train: it is kept as lost (unassigned) in case it turns up, and he gets spare 70000004.
locals {
  batches = ["2026-01"]

  assignments = {
    "70000003" = "alice@contoso.example"
    "70000004" = "bob@contoso.example"
  }

  lost = ["70000002"] # bob@contoso.example, 2026-11-30

  retired = ["70000001"] # alice@contoso.example, stolen 2026-11-30
}
