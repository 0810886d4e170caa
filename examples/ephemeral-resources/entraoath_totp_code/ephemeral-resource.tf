# Hand the current code of a token to a person, e.g. for a sign-in test of a break-glass
# account (Terraform 1.10 and later). A root module cannot output an ephemeral value, and
# Terraform hides sensitive values in its own output, so a local-exec provisioner writes
# the code where the person reads it: the terminal by default. Neither the seed nor the
# code is written to the plan or the state.
variable "token_seed" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "code_destination" {
  description = "The file the code is written to: the terminal that runs terraform apply by default."
  type        = string
  default     = "/dev/tty"
}

ephemeral "entraoath_totp_code" "desk" {
  secret_key    = var.token_seed
  time_interval = 30         # default
  hash_function = "hmacsha1" # default
}

# timestamp() is known only during apply, so every apply replaces this resource and runs
# the provisioner again with a fresh code.
resource "terraform_data" "show_code" {
  triggers_replace = timestamp()

  provisioner "local-exec" {
    # The code goes through the environment, not the command line, which other users of
    # the machine can see in the process list.
    command = "printf 'Code: %s (valid until %s)\\n' \"$CODE\" \"$VALID_UNTIL\" > \"$DESTINATION\""
    environment = {
      CODE        = ephemeral.entraoath_totp_code.desk.code
      VALID_UNTIL = ephemeral.entraoath_totp_code.desk.valid_until
      DESTINATION = var.code_destination
    }
  }
}
