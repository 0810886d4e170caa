variable "amy_token_seed" {
  type      = string
  sensitive = true
}

variable "bob_token_seed" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "entraoath_hardware_token" "amy" {
  serial_number = "60234567"
  manufacturer  = "Token2"
  model         = "C302-i"
  secret_key    = var.amy_token_seed
}

# Assign the token to Amy and activate it during apply: the provider computes the
# verification code from the seed when the apply runs.
resource "entraoath_hardware_token_assignment" "amy" {
  token_id            = entraoath_hardware_token.amy.id
  user_principal_name = "amy@contoso.com"
  secret_key          = entraoath_hardware_token.amy.secret_key
  display_name        = "Amy's Token2"
}

# With Terraform 1.11 and later, keep the seed out of the plan and state with the
# write-only argument (bump secret_key_wo_version when the seed changes).
resource "entraoath_hardware_token_assignment" "bob" {
  token_id              = "6c0272a7-8a5e-490c-bc45-9fe7a42fc4e0"
  user_id               = "0cadbf92-7e3a-4c1b-9a8e-5f2d3b1c4a6e"
  secret_key_wo         = var.bob_token_seed
  secret_key_wo_version = 1
}

# Assign only: the user activates the token in Security info.
resource "entraoath_hardware_token_assignment" "carol" {
  token_id            = "aad49556-1f3e-4c4b-8a55-0d2b6e7f9c10"
  user_principal_name = "carol@contoso.com"
  activate            = false
}
