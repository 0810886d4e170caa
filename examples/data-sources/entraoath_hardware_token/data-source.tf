# Look a token up by its serial number...
data "entraoath_hardware_token" "desk" {
  serial_number = "60234567"
}

# ...or by its object id.
data "entraoath_hardware_token" "by_id" {
  id = "3dee0e53-f50f-43ef-85c0-b44689f2d66d"
}

output "desk_token" {
  value = {
    status           = data.entraoath_hardware_token.desk.status
    assigned_user_id = data.entraoath_hardware_token.desk.assigned_user_id
  }
}
