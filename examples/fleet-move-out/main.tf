# Moving a fleet's tokens to per-token resources, without any Graph write. The configuration before the move had
# one entraoath_hardware_token_fleet.ward holding every row of tokens.csv (as in examples/fleet). This configuration
# replaces it: the removed block drops the fleet from the state without destroying anything, and the import blocks
# adopt the same tokens and assignments into an entraoath_hardware_token and an entraoath_hardware_token_assignment
# per serial number (the quickstart's shape). The first plan shows the fleet forgotten, the per-token resources
# imported, and nothing else; apply it, then delete the removed and import blocks.

terraform {
  # Provider functions need Terraform 1.8 (removed blocks and import blocks with for_each, 1.7).
  required_version = ">= 1.8"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

provider "entraoath" {}

locals {
  tokens   = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/tokens.csv")))
  users    = nonsensitive({ for serial, t in local.tokens : serial => t.user_principal_name })
  assigned = { for serial, upn in local.users : serial => upn if upn != null }
}

removed {
  from = entraoath_hardware_token_fleet.ward

  lifecycle {
    destroy = false
  }
}

import {
  for_each = local.users
  to       = entraoath_hardware_token.this[each.key]
  id       = each.key
}

# An assignment is imported by "<user>/<token id>": the id of the token imported above.
import {
  for_each = local.assigned
  to       = entraoath_hardware_token_assignment.this[each.key]
  id       = "${each.value}/${entraoath_hardware_token.this[each.key].id}"
}

# The tokens exist and are activated: no seed is needed any more.
resource "entraoath_hardware_token" "this" {
  for_each = local.users

  serial_number = each.key
  manufacturer  = nonsensitive(local.tokens[each.key].manufacturer)
  model         = nonsensitive(local.tokens[each.key].model)
  time_interval = nonsensitive(local.tokens[each.key].time_interval)
  hash_function = nonsensitive(local.tokens[each.key].hash_function)
}

resource "entraoath_hardware_token_assignment" "this" {
  for_each = local.assigned

  token_id            = entraoath_hardware_token.this[each.key].id
  user_principal_name = each.value
}
