# Quickstart: from the vendor's seed file to activated tokens in one apply.
#
# tokens.csv is a sample in the Entra admin center layout (with an extra hash function column); replace it
# with the file your vendor sent. Each row becomes a token in the tenant's inventory; each row that names a
# user also becomes an assignment, activated during apply. The hardware OATH method is enabled for all users.

terraform {
  # Provider functions need Terraform 1.8.
  required_version = ">= 1.8"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

# Signs in with ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET.
provider "entraoath" {}

locals {
  # sensitive() keeps every value read from the file, the seeds above all, out of plans and logs.
  tokens = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/tokens.csv")))

  # Serial number => user principal name (null for a token nobody holds yet). Neither is secret, so the map
  # can drive for_each and show in the plan. A map of strings made once in a local keeps plans fast for large
  # fleets (see the bulk onboarding guide).
  users    = nonsensitive({ for serial, t in local.tokens : serial => t.user_principal_name })
  assigned = { for serial, upn in local.users : serial => upn if upn != null }
}

resource "entraoath_hardware_oath_policy" "this" {
  state = "enabled"
}

resource "entraoath_hardware_token" "this" {
  for_each = local.users

  serial_number = each.key
  manufacturer  = nonsensitive(coalesce(local.tokens[each.key].manufacturer, "Token2"))
  model         = nonsensitive(coalesce(local.tokens[each.key].model, "C302-i"))
  time_interval = nonsensitive(local.tokens[each.key].time_interval)
  hash_function = nonsensitive(local.tokens[each.key].hash_function)

  # Sensitive: hidden in plans and logs, kept in state. With Terraform 1.11 and later, use the write-only
  # secret_key_wo (and secret_key_wo_version = 1) instead to keep seeds out of the state as well.
  secret_key = local.tokens[each.key].secret_key
}

resource "entraoath_hardware_token_assignment" "this" {
  for_each = local.assigned

  token_id            = entraoath_hardware_token.this[each.key].id
  user_principal_name = each.value

  # The provider computes the activation code from the seed during apply. The seed comes from the file rather
  # than from the token resource: each reference to the token resource makes Terraform read all its instances.
  secret_key = local.tokens[each.key].secret_key

  # Hand out tokens only once the method is enabled, so that users can sign in with them.
  depends_on = [entraoath_hardware_oath_policy.this]
}

output "tokens" {
  description = "Each token by serial number: its user (null when unassigned) and status. Nothing secret."
  # The assignment's status for assigned tokens, the inventory's for the others.
  value = merge(
    { for serial, t in entraoath_hardware_token.this : serial => { user = null, status = t.status } },
    { for serial, a in entraoath_hardware_token_assignment.this : serial => { user = a.user_principal_name, status = a.status } },
  )
}
