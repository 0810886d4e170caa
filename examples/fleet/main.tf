# One resource for a whole site: every row of the vendor's seed file becomes an entry of `tokens`, keyed by serial
# number. A row that names a user is assigned to that user and activated during apply; the others stay in the
# inventory. Refresh, plan and apply cost one Terraform resource, whatever the number of tokens.

terraform {
  # secret_keys_wo is write-only: Terraform 1.11 and later. With older versions, use secret_keys.
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
  # sensitive() keeps every value read from the file, the seeds above all, out of plans and logs.
  tokens = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/tokens.csv")))
}

resource "entraoath_hardware_token_fleet" "site_a" {
  # Nothing but the seeds is secret: the entries show in the plan, one per serial number.
  tokens = nonsensitive({ for serial, t in local.tokens : serial => {
    manufacturer        = t.manufacturer
    model               = t.model
    time_interval       = t.time_interval
    hash_function       = t.hash_function
    user_principal_name = t.user_principal_name # null: in the inventory, unassigned
  } })

  # Used only for the tokens the apply creates or activates; never stored.
  secret_keys_wo         = { for serial, t in local.tokens : serial => t.secret_key }
  secret_keys_wo_version = 1

  lifecycle {
    # The apply that creates the fleet reports a failed token as a warning (an error would have Terraform replace
    # the whole fleet next time); this makes it fail the apply, and the next apply does only what is left.
    postcondition {
      condition     = length(self.failed_serial_numbers) == 0
      error_message = "Tokens not done: ${join(", ", self.failed_serial_numbers)}. The next apply does only what is left."
    }
  }
}

output "tokens" {
  value = { for serial, t in entraoath_hardware_token_fleet.site_a.tokens : serial => { user = t.user_principal_name, status = t.status } }
}
