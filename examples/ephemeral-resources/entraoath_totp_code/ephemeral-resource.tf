# A child module that hands the current code of a token to its caller, e.g. for a
# sign-in smoke test. Neither the seed nor the code is written to the plan or the
# state (Terraform 1.10 and later).
variable "token_seed" {
  type      = string
  sensitive = true
  ephemeral = true
}

ephemeral "entraoath_totp_code" "desk" {
  secret_key    = var.token_seed
  time_interval = 30         # default
  hash_function = "hmacsha1" # default
}

output "code" {
  value     = ephemeral.entraoath_totp_code.desk.code
  ephemeral = true
}

output "code_valid_until" {
  value     = ephemeral.entraoath_totp_code.desk.valid_until
  ephemeral = true
}
