# Dave's account was deleted before anyone edited this file: his row goes too.
locals {
  batches = ["2026-01"]

  assignments = {
    "70000002" = null # was bob@contoso.example
  }

  lost    = []
  retired = []
}
