# Moving some of a fleet's tokens to per-token resources, without any Graph write and without deleting anything.
# The configuration before had one entraoath_hardware_token_fleet.ward holding every row of tokens.csv (as in
# examples/fleet). Dropping an entry from a fleet deletes its token, and Terraform cannot forget part of a resource:
# so the removed block drops the whole fleet from the state, an import block adopts the tokens that stay into a
# fleet under a new address, and import blocks adopt the others into per-token resources. The first plan shows the
# old fleet forgotten, the rest imported, and nothing else; apply it, then delete the removed and import blocks.

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
  tokens = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/tokens.csv")))
  # The serial numbers that leave the fleet for per-token resources; the others stay in a fleet.
  leaving  = toset(["60314603", "60314604"])
  staying  = setsubtract(nonsensitive(toset(keys(local.tokens))), local.leaving)
  users    = nonsensitive({ for serial, t in local.tokens : serial => t.user_principal_name if contains(local.leaving, serial) })
  assigned = { for serial, upn in local.users : serial => upn if upn != null }
}

removed {
  from = entraoath_hardware_token_fleet.ward

  lifecycle {
    destroy = false
  }
}

# A removed block and a resource cannot have one address: the fleet that stays takes a new one.
import {
  to = entraoath_hardware_token_fleet.ward_rest
  id = join(",", local.staying)
}

import {
  for_each = local.users
  to       = entraoath_hardware_token.this[each.key]
  id       = each.key
}

import {
  for_each = local.assigned
  to       = entraoath_hardware_token_assignment.this[each.key]
  id       = "${each.value}/${entraoath_hardware_token.this[each.key].id}"
}

# The tokens exist and are activated: no seed is needed any more.
resource "entraoath_hardware_token_fleet" "ward_rest" {
  tokens = nonsensitive({ for serial, t in local.tokens : serial => {
    manufacturer        = t.manufacturer
    model               = t.model
    time_interval       = t.time_interval
    hash_function       = t.hash_function
    user_principal_name = t.user_principal_name
  } if contains(local.staying, serial) })
}

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
