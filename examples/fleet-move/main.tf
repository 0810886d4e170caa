# Moving tokens managed by per-token resources into a fleet, without any Graph write. The configuration before the
# move had, for each row of tokens.csv, an entraoath_hardware_token.this[serial] and, for rows naming a user, an
# entraoath_hardware_token_assignment.this[serial] (as in the quickstart). This configuration replaces them:
# the removed blocks drop them from the state without destroying anything, and the import block adopts the same
# tokens into the fleet by their serial numbers. The first plan shows the fleet imported, the per-token resources
# forgotten, and nothing else; apply it, then delete the removed and import blocks.

terraform {
  # Provider functions need Terraform 1.8 (removed blocks, 1.7).
  required_version = ">= 1.8"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

provider "entraoath" {}

locals {
  tokens = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/tokens.csv")))
}

removed {
  from = entraoath_hardware_token_assignment.this

  lifecycle {
    destroy = false
  }
}

removed {
  from = entraoath_hardware_token.this

  lifecycle {
    destroy = false
  }
}

import {
  to = entraoath_hardware_token_fleet.ward
  id = join(",", nonsensitive(keys(local.tokens)))
}

# The tokens exist and are activated: no seed is needed any more.
resource "entraoath_hardware_token_fleet" "ward" {
  tokens = nonsensitive({ for serial, t in local.tokens : serial => {
    manufacturer        = t.manufacturer
    model               = t.model
    time_interval       = t.time_interval
    hash_function       = t.hash_function
    user_principal_name = t.user_principal_name
  } })
}
