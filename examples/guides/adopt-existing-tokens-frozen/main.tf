# After the adoption: the configuration, not the tenant, says what the tokens are and who holds them. tokens.json
# was written once by `terraform output -json adopted > tokens.json`; from now on, changes are edits of that file.
# The resource blocks and their addresses are those of the adoption, so the first plan is empty.

terraform {
  required_version = ">= 1.7"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

# Signs in with ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET.
provider "entraoath" {}

locals {
  tokens   = jsondecode(file("${path.module}/tokens.json"))
  assigned = { for serial, t in local.tokens : serial => t if t.user_principal_name != null }
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
  activate            = each.value.activate
}
