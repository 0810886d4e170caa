# The policy is a tenant singleton with the fixed id hardwareOath.
terraform import entraoath_hardware_oath_policy.this hardwareOath
