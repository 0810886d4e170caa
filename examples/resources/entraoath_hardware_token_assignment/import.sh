# An assignment is imported by "<user object id or user principal name>/<token object id>".
terraform import entraoath_hardware_token_assignment.amy amy@contoso.com/3dee0e53-f50f-43ef-85c0-b44689f2d66d
