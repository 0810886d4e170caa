# A vendor that ships seeds in hex.
output "seed" {
  value     = provider::entraoath::hex_to_base32("3132333435363738393031323334353637383930")
  sensitive = true
}

# Programmable tokens: generate a 160-bit seed; random_bytes keeps it sensitive.
resource "random_bytes" "seed" {
  length = 20
}

resource "entraoath_hardware_token" "programmable" {
  serial_number = "P-0001"
  manufacturer  = "Token2"
  model         = "miniOTP-2"
  secret_key    = provider::entraoath::hex_to_base32(random_bytes.seed.hex)
}
