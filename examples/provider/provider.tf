terraform {
  required_version = ">= 1.11"
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

# Signs in as an app registration with a client secret. Leave the arguments out to take them from
# ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET instead, which keeps the secret out of the code.
provider "entraoath" {
  tenant_id     = var.tenant_id
  client_id     = var.client_id
  client_secret = var.client_secret
}

variable "tenant_id" {
  type = string
}

variable "client_id" {
  type = string
}

variable "client_secret" {
  type      = string
  sensitive = true
}
