# Programmable token: Terraform generates the seed, registers the token in Entra ID and
# hands the otpauth:// URI to the vendor's burner app (usually as a QR code).
resource "random_bytes" "seed" {
  length = 20
}

locals {
  seed = provider::entraoath::hex_to_base32(random_bytes.seed.hex)
}

resource "entraoath_hardware_token" "programmable" {
  serial_number = "P-0001"
  manufacturer  = "Token2"
  model         = "miniOTP-2"
  secret_key    = local.seed
}

# The URI contains the seed: it stays sensitive because random_bytes.seed.hex is.
output "burn_uri" {
  value     = provider::entraoath::otpauth_uri(local.seed, "P-0001", "Contoso", 30, "hmacsha1")
  sensitive = true
}
