# tokens.csv, as the vendor ships it (the Entra admin center layout, plus a batch column,
# which is ignored):
#   upn,serial number,secret key,time interval,manufacturer,model,batch
#   amy@contoso.com,60234567,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,30,Token2,C302-i,B-17
#   ,60234568,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Token2,C302-i,B-17
#
# sensitive() keeps every seed out of the CLI output. A sensitive map cannot drive for_each,
# so iterate over a map of what is not secret: serial number => user principal name.
locals {
  tokens = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/tokens.csv")))
  users  = nonsensitive({ for serial, t in local.tokens : serial => t.user_principal_name })
}

resource "entraoath_hardware_token" "vendor" {
  for_each = local.users

  serial_number = each.key
  manufacturer  = coalesce(local.tokens[each.key].manufacturer, "Token2")
  model         = coalesce(local.tokens[each.key].model, "C302-i")
  time_interval = local.tokens[each.key].time_interval
  hash_function = local.tokens[each.key].hash_function
  secret_key    = local.tokens[each.key].secret_key
}

# A file whose seeds are hex but whose header does not say "secret key (hex)":
# declare the encoding with the optional second argument.
locals {
  hex_tokens = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/feitian.csv")), "hex")
}

# Refuse columns the function does not know, rather than ignore them: the error lists them
# (tokens.csv above would fail on its batch column). Options go in any order.
# Try it in `terraform console` to see which columns of a file are ignored.
locals {
  strict_hex_tokens = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/feitian.csv")), "strict", "hex")
}
