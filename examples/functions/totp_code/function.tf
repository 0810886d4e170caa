# The code a token with this seed showed at 2009-02-13T23:31:30Z (RFC 6238 test vector: "005924").
# The function is pure; for the current code use the entraoath_totp_code ephemeral resource.
output "code" {
  value = provider::entraoath::totp_code(
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", # secret_key
    1234567890,                         # unix_time
    30,                                 # time_interval
    "hmacsha1",                         # hash_function
  )
}
