# Every token in the inventory.
data "entraoath_hardware_tokens" "all" {}

# Unassigned Token2 C302-i tokens, ready to hand out. Graph applies the filters.
data "entraoath_hardware_tokens" "spare" {
  status       = "available"
  manufacturer = "Token2"
  model        = "C302-i"
}

# The tokens assigned to one user.
data "entraoath_hardware_tokens" "amy" {
  assigned_user_id = "0cadbf92-7e3a-4c1b-9a8e-5f2d3b1c4a6e"
}

output "spare_serial_numbers" {
  value = data.entraoath_hardware_tokens.spare.tokens[*].serial_number
}
