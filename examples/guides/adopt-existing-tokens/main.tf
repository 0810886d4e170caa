# Adopt the hardware tokens already in the tenant (uploaded in the portal or by a script, many of them assigned and
# activated) in one apply: import blocks with for_each over the tokens data source. The apply writes nothing to
# Entra ID and needs no seed; the plan after it is empty.

terraform {
  # import blocks with for_each need Terraform 1.7.
  required_version = ">= 1.7"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

# Signs in with ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET.
provider "entraoath" {}

variable "manufacturer" {
  description = "Adopt only this manufacturer's tokens (one batch at a time); null adopts the whole inventory."
  type        = string
  default     = null
}

data "entraoath_hardware_tokens" "portal" {
  manufacturer = var.manufacturer
}

locals {
  # serial number => what the configuration manages. A token whose holder was deleted (no user principal name) is
  # adopted as a token only.
  tokens = {
    for t in data.entraoath_hardware_tokens.portal.tokens : t.serial_number => {
      id                  = t.id
      manufacturer        = t.manufacturer
      model               = t.model
      display_name        = t.display_name
      time_interval       = t.time_interval
      hash_function       = t.hash_function
      user_principal_name = t.assigned_user_principal_name
      activate            = t.status == "activated"
    }
  }
  assigned = { for serial, t in local.tokens : serial => t if t.user_principal_name != null }
}

import {
  for_each = local.tokens
  to       = entraoath_hardware_token.this[each.key]
  id       = each.value.id
}

import {
  for_each = local.assigned
  to       = entraoath_hardware_token_assignment.this[each.key]
  id       = "${each.value.user_principal_name}/${each.key}"
}

resource "entraoath_hardware_token" "this" {
  for_each      = local.tokens
  serial_number = each.key
  manufacturer  = each.value.manufacturer
  model         = each.value.model
  display_name  = each.value.display_name
  time_interval = each.value.time_interval
  hash_function = each.value.hash_function
}

resource "entraoath_hardware_token_assignment" "this" {
  for_each            = local.assigned
  serial_number       = each.key
  user_principal_name = each.value.user_principal_name
  # An assigned token that its user has not activated yet stays so: activating needs the seed.
  activate = each.value.activate
}

# Save it with `terraform output -json adopted > tokens.json` to freeze the configuration (see the guide).
output "adopted" {
  value = local.tokens
}
