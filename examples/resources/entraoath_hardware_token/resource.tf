variable "desk_token_seed" {
  description = "Base32 seed from the vendor's file (case, spaces and '=' padding are fine)."
  type        = string
  sensitive   = true
}

variable "spare_token_seed" {
  type      = string
  sensitive = true
  ephemeral = true
}

# The seed is kept in the state (marked sensitive).
resource "entraoath_hardware_token" "desk" {
  serial_number = "60234567"
  manufacturer  = "Token2"
  model         = "C302-i"
  display_name  = "Front desk"
  secret_key    = var.desk_token_seed
}

# Terraform 1.11 and later: the write-only seed never reaches the plan or the state.
# Bump secret_key_wo_version to replace the token with a new seed.
resource "entraoath_hardware_token" "spare" {
  serial_number         = "60234568"
  manufacturer          = "Token2"
  model                 = "C302-i"
  time_interval         = 60
  hash_function         = "hmacsha256"
  secret_key_wo         = var.spare_token_seed
  secret_key_wo_version = 1
}

# A vendor file that gives the seed in hex: convert it to Base32.
resource "entraoath_hardware_token" "hex" {
  serial_number = "GALT11420104"
  manufacturer  = "Thales"
  model         = "OTP 110 Token"
  secret_key    = provider::entraoath::hex_to_base32("3132333435363738393031323334353637383930")
}
