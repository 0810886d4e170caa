# The hardware OATH policy in a configuration (and state) of its own, apart from the tokens: a mistake in a
# token configuration, or its destroy, cannot touch the method every break-glass account depends on.

terraform {
  required_version = ">= 1.7"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

# Signs in with ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET; needs Policy.ReadWrite.AuthenticationMethod only.
provider "entraoath" {}

resource "entraoath_hardware_oath_policy" "this" {
  state = "enabled"
  # reset_on_destroy stays false (its default): destroying this configuration leaves hardware OATH enabled.

  lifecycle {
    prevent_destroy = true
  }
}
