# Import by the token's object id:
terraform import entraoath_hardware_token.desk 3dee0e53-f50f-43ef-85c0-b44689f2d66d

# Or by its serial number, when no other token in the inventory has it:
terraform import entraoath_hardware_token.desk 60234567

# Graph never returns the seed: keep secret_key (or secret_key_wo) in the configuration.
# The first apply after the import only records it; it does not replace the token.
