# Self-service: Terraform manages the inventory only. Hand the tokens out; each user adds theirs in Security
# info (My Sign-Ins > Add sign-in method > Hardware token) by typing its serial number and the code it shows,
# which assigns and activates it. Terraform never needs to know who holds which token: the plan stays empty as
# users claim them.
#
# tokens.csv is a sample vendor file without a upn column; replace it with the file your vendor sent.

terraform {
  # Write-only arguments (secret_key_wo) need Terraform 1.11.
  required_version = ">= 1.11"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

# Signs in with ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET; needs Policy.ReadWrite.AuthenticationMethod only.
provider "entraoath" {}

locals {
  # sensitive() keeps the seeds out of plans and logs.
  tokens = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/tokens.csv")))
  # Serial numbers are not secret, so they can drive for_each: a map made once in a local keeps plans fast for
  # large fleets (see the bulk onboarding guide).
  serials = nonsensitive({ for serial, t in local.tokens : serial => t.serial_number })
}

# Users can add a hardware token only when the method is enabled for them.
resource "entraoath_hardware_oath_policy" "this" {
  state = "enabled"
}

# Graph updates only unassigned tokens: changing the row of a token a user already holds replaces the token,
# and the user has to add it again. Removing a row deletes the token, even from its user.
resource "entraoath_hardware_token" "this" {
  for_each = local.serials

  serial_number = each.key
  manufacturer  = nonsensitive(coalesce(local.tokens[each.key].manufacturer, "Token2"))
  model         = nonsensitive(coalesce(local.tokens[each.key].model, "C302-i"))
  time_interval = nonsensitive(local.tokens[each.key].time_interval)
  hash_function = nonsensitive(local.tokens[each.key].hash_function)

  # Write-only: the seed reaches Entra ID but neither the plan nor the state.
  secret_key_wo         = local.tokens[each.key].secret_key
  secret_key_wo_version = 1
}

output "serial_numbers" {
  description = "The serial numbers in the inventory, for the hand-out list. Nothing secret."
  value       = sort(keys(entraoath_hardware_token.this))
}
