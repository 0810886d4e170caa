# A fleet is imported by its tokens' serial numbers, separated by commas ...
terraform import entraoath_hardware_token_fleet.site_a 60234567,60234568,60234569
# ... or by a filter of field=value pairs (manufacturer, model, status, assigned_user_id): every matching token.
terraform import entraoath_hardware_token_fleet.site_a manufacturer=Token2,model=C302-i
