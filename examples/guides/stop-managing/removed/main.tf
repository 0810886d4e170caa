# main.tf once this configuration no longer manages the tokens: each resource block is replaced by a removed
# block. Terraform forgets the tokens and their assignments; Entra ID keeps them as they are.

terraform {
  # removed blocks need Terraform 1.7.
  required_version = ">= 1.7"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

provider "entraoath" {}

removed {
  from = entraoath_hardware_token_assignment.this

  lifecycle {
    destroy = false
  }
}

removed {
  from = entraoath_hardware_token.this

  lifecycle {
    destroy = false
  }
}
