package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

func TestOTPAuthURIFunction(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
output "sha1" {
  value = provider::entraoath::otpauth_uri("` + rfcSeedSHA1 + `", "000123", "Contoso", 30, "hmacsha1")
}
output "escaped" {
  value = provider::entraoath::otpauth_uri("gezdgnbvgy3tqojq-gezdgnbvgy3tqojq==", "SN 7/8", "Contoso & Co", 60, "hmacsha256")
}
# The programmable-token path: a hex seed (as random_bytes gives) converted, then burnt into the token.
output "from_hex" {
  value = provider::entraoath::otpauth_uri(provider::entraoath::hex_to_base32("` + rfcSeedHex + `"), "1", "Contoso", 30, "hmacsha1")
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("sha1", knownvalue.StringExact(
						"otpauth://totp/Contoso:000123?secret="+rfcSeedSHA1+"&issuer=Contoso&algorithm=SHA1&digits=6&period=30")),
					statecheck.ExpectKnownOutputValue("escaped", knownvalue.StringExact(
						"otpauth://totp/Contoso%20&%20Co:SN%207%2F8?secret="+rfcSeedSHA1+"&issuer=Contoso%20%26%20Co&algorithm=SHA256&digits=6&period=60")),
					statecheck.ExpectKnownOutputValue("from_hex", knownvalue.StringExact(
						"otpauth://totp/Contoso:1?secret="+rfcSeedSHA1+"&issuer=Contoso&algorithm=SHA1&digits=6&period=30")),
				},
			},
		},
	})
}

func TestOTPAuthURIFunction_invalid(t *testing.T) {
	for name, c := range map[string]struct{ args, want string }{
		"bad seed":     {`"GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", "1", "Contoso", 30, "hmacsha1"`, `not a Base32 letter`},
		"empty serial": {`"` + rfcSeedSHA1 + `", "", "Contoso", 30, "hmacsha1"`, `serial number is empty`},
		"colon issuer": {`"` + rfcSeedSHA1 + `", "1", "Contoso:IT", 30, "hmacsha1"`, `contain no colon`},
		"empty issuer": {`"` + rfcSeedSHA1 + `", "1", "", 30, "hmacsha1"`, `must be non-empty`},
		"period":       {`"` + rfcSeedSHA1 + `", "1", "Contoso", 90, "hmacsha1"`, `value must be one of: ["30" "60"], got: 90`},
		"hash":         {`"` + rfcSeedSHA1 + `", "1", "Contoso", 30, "SHA256"`, `"SHA256" is not accepted here: use "hmacsha256"`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      `output "test" { value = provider::entraoath::otpauth_uri(` + c.args + `) }`,
					ExpectError: expectErrorText(c.want),
				}},
			})
		})
	}
}
