# Break-glass: two emergency-access accounts, each with a dedicated hardware token, activated during apply so
# that the accounts work the moment they are needed. The seeds come from the secret store through an ephemeral
# variable and are written only to Entra ID: they are in neither the plan nor the state.
#
# The hardware OATH policy is one per tenant and is managed elsewhere (see the quickstart): it must include
# these accounts and must never exclude them.

terraform {
  # Write-only arguments and ephemeral variables need Terraform 1.11.
  required_version = ">= 1.11"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

# Signs in with ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET.
provider "entraoath" {}

variable "break_glass_seeds" {
  description = "The Base32 seed of each break-glass token, by serial number, e.g. from TF_VAR_break_glass_seeds. Needed only when an apply creates or activates a token: a plan that changes nothing (a drift check) runs without it."
  type        = map(string)
  sensitive   = true
  ephemeral   = true
  default     = {}
}

locals {
  # Token serial number => emergency-access account. Neither is secret.
  break_glass_tokens = {
    "BG-0001" = "emergency1@contoso.example"
    "BG-0002" = "emergency2@contoso.example"
  }
}

resource "entraoath_hardware_token" "break_glass" {
  for_each = local.break_glass_tokens

  serial_number = each.key
  # Says what the token is, so that nobody deletes it in a clean-up.
  display_name  = "Break-glass ${each.key} (${each.value})"
  manufacturer  = "Token2"
  model         = "C202"
  time_interval = 30
  hash_function = "hmacsha1"

  # null when the variable does not give the seed: the provider asks for it only when it creates the token.
  secret_key_wo         = lookup(var.break_glass_seeds, each.key, null)
  secret_key_wo_version = 1 # increment with a new seed to replace the token

  # A plan that would delete or replace a break-glass token fails instead (see the guide for a deliberate removal).
  lifecycle {
    prevent_destroy = true
  }
}

resource "entraoath_hardware_token_assignment" "break_glass" {
  for_each = local.break_glass_tokens

  token_id            = entraoath_hardware_token.break_glass[each.key].id
  user_principal_name = each.value

  # Activated during apply: the provider computes the code from the seed (needed only when it activates).
  secret_key_wo         = lookup(var.break_glass_seeds, each.key, null)
  secret_key_wo_version = 1

  # Nor may a plan unassign it.
  lifecycle {
    prevent_destroy = true
  }
}

locals {
  not_activated = [for serial, a in entraoath_hardware_token_assignment.break_glass : serial if a.status != "activated"]
  # A token never used has no last_used_date_time: it is due a test too.
  not_used_for_90_days = [
    for serial, a in entraoath_hardware_token_assignment.break_glass : serial
    if timecmp(timeadd(coalesce(a.last_used_date_time, "1970-01-01T00:00:00Z"), "2160h"), plantimestamp()) <= 0
  ]
}

# Evaluated after every plan and apply, on the values Terraform just refreshed from Entra ID. Warns when a
# break-glass token is not activated after an apply, or has not been used to sign in for 90 days and is due a
# test. (Not with a scoped data source: it would make every `terraform plan -detailed-exitcode` report a
# change, hashicorp/terraform#35226.)
check "break_glass_tokens" {
  assert {
    condition     = length(local.not_activated) == 0
    error_message = "Break-glass tokens not activated: ${join(", ", local.not_activated)}. Run terraform apply to activate them again."
  }

  assert {
    condition     = length(local.not_used_for_90_days) == 0
    error_message = "Break-glass tokens not used to sign in for 90 days, or never: ${join(", ", local.not_used_for_90_days)}. Sign in with each to test it; the sign-in also refreshes the clock drift Entra ID has learned."
  }
}

output "break_glass_tokens" {
  description = "Each break-glass token by serial number: its account and status. No seeds or codes."
  value = {
    for serial, a in entraoath_hardware_token_assignment.break_glass : serial => {
      account = a.user_principal_name
      status  = a.status
    }
  }
}
