# Let everyone use hardware OATH tokens. Destroying this resource leaves the policy as it is
# (tokens keep working); add reset_on_destroy = true to restore Microsoft's defaults
# (disabled for everyone) on destroy instead.
resource "entraoath_hardware_oath_policy" "this" {
  state = "enabled"
}

# Or, instead (the policy is a tenant singleton: declare it once), only for some groups:
#
# resource "entraoath_hardware_oath_policy" "this" {
#   state = "enabled"
#   include_targets = [
#     { id = "7b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8", is_registration_required = true }, # Token users
#   ]
#   exclude_targets = [
#     { id = "0f1e2d3c-4b5a-4968-8776-655443322110" }, # Break-glass accounts
#   ]
# }
