# Everyone has signed in with the new token: the old batch leaves the inventory, and its tokens with it.
locals {
  batches = ["2027-06"]

  assignments = {
    "71000001" = "alice@contoso.example"
    "71000002" = "bob@contoso.example"
  }

  lost    = []
  retired = []
}
