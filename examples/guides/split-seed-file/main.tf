# The day-2 layout: the vendor's seed files (secret, kept encrypted, rarely touched) and a plain file,
# tokens.tf, that says which batches are in the inventory and who holds which token. The two are joined by
# serial number: every day-2 change (a new starter, a leaver, a lost token) edits tokens.tf only.

terraform {
  # Write-only arguments need Terraform 1.11.
  required_version = ">= 1.11"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

# Signs in with ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET.
provider "entraoath" {}

locals {
  # vendor-<batch>.csv for each batch tokens.tf lists, decrypted by the pipeline before the plan. A missing
  # file fails the plan instead of planning to delete its tokens. sensitive() keeps the seeds out of plans
  # and logs.
  vendor = merge([
    for batch in local.batches :
    provider::entraoath::parse_token_csv(sensitive(file("${path.module}/vendor-${batch}.csv")))
  ]...)

  # Serial numbers are not secret, so they can drive for_each. A retired token leaves the inventory.
  serials = setsubtract(nonsensitive(toset(keys(local.vendor))), local.retired)
  # A null user keeps a row for a token that is back in the drawer.
  assigned = { for serial, upn in local.assignments : serial => upn if upn != null }
}

resource "entraoath_hardware_token" "this" {
  for_each = local.serials

  serial_number = each.key
  manufacturer  = nonsensitive(coalesce(local.vendor[each.key].manufacturer, "Token2"))
  model         = nonsensitive(coalesce(local.vendor[each.key].model, "C302-i"))
  time_interval = nonsensitive(local.vendor[each.key].time_interval)
  hash_function = nonsensitive(local.vendor[each.key].hash_function)

  # Write-only: sent to Entra ID when the token is created, never in the plan or the state.
  secret_key_wo         = local.vendor[each.key].secret_key
  secret_key_wo_version = 1
}

resource "entraoath_hardware_token_assignment" "this" {
  for_each = local.assigned

  token_id            = entraoath_hardware_token.this[each.key].id
  user_principal_name = each.value

  # Activated during apply: the provider computes the code from the seed.
  secret_key_wo         = local.vendor[each.key].secret_key
  secret_key_wo_version = 1
}

# A token reported lost is kept, unassigned, in case it turns up: it must not be handed out again by mistake.
check "lost_tokens_not_assigned" {
  assert {
    condition     = length(setintersection(keys(local.assigned), local.lost)) == 0
    error_message = "Tokens reported lost are assigned: ${join(", ", setintersection(keys(local.assigned), local.lost))}."
  }
}
