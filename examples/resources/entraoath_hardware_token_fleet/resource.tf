variable "seeds" {
  description = "Base32 seeds keyed by serial number, from the vendor's file."
  type        = map(string)
  sensitive   = true
  ephemeral   = true
}

# Terraform 1.11 and later: the write-only seeds never reach the plan or the state.
resource "entraoath_hardware_token_fleet" "site_a" {
  tokens = {
    "60234567" = { manufacturer = "Token2", model = "C302-i", user_principal_name = "amy@contoso.com" }
    "60234568" = { manufacturer = "Token2", model = "C302-i", user_principal_name = "ben@contoso.com", activate = false }
    # In the inventory, unassigned.
    "60234569" = { manufacturer = "Token2", model = "C302-i", time_interval = 60, hash_function = "hmacsha256" }
  }
  secret_keys_wo         = var.seeds
  secret_keys_wo_version = 1

  lifecycle {
    # Fails every apply that leaves a token undone, the one that creates the fleet included.
    postcondition {
      condition     = length(self.failed_serial_numbers) == 0
      error_message = "Tokens not done: ${join(", ", self.failed_serial_numbers)}. The next apply does only what is left."
    }
  }
}
