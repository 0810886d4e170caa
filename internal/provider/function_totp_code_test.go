package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

// TestTOTPCodeFunction checks RFC 6238 Appendix B vectors (their last six digits) and a 60-second token.
func TestTOTPCodeFunction(t *testing.T) {
	// totp.Code is checked against oathtool in internal/totp; here it only supplies the 60-second expectation.
	want60, err := totp.Code(rfcSeedSHA1, time.Unix(1234567890, 0), 60, totp.HashSHA1)
	if err != nil {
		t.Fatal(err)
	}
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
output "sha1_59" {
  value = provider::entraoath::totp_code("` + rfcSeedSHA1 + `", 59, 30, "hmacsha1")
}
output "sha1_lower_case_padded" {
  value = provider::entraoath::totp_code("` + "gezdgnbvgy3tqojq gezdgnbvgy3tqojq====" + `", 1111111109, 30, "hmacsha1")
}
output "sha256_2000000000" {
  value = provider::entraoath::totp_code("` + rfcSeedSHA256 + `", 2000000000, 30, "hmacsha256")
}
output "sha1_60s" {
  value = provider::entraoath::totp_code("` + rfcSeedSHA1 + `", 1234567890, 60, "hmacsha1")
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("sha1_59", knownvalue.StringExact("287082")),
					statecheck.ExpectKnownOutputValue("sha1_lower_case_padded", knownvalue.StringExact("081804")),
					statecheck.ExpectKnownOutputValue("sha256_2000000000", knownvalue.StringExact("698825")),
					statecheck.ExpectKnownOutputValue("sha1_60s", knownvalue.StringExact(want60)),
				},
			},
		},
	})
}

func TestTOTPCodeFunction_invalid(t *testing.T) {
	for name, c := range map[string]struct{ args, want string }{
		"bad seed":   {`"GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", 59, 30, "hmacsha1"`, `character 16 is not a Base32 letter`},
		"short seed": {`"JBSWY3DP", 59, 30, "hmacsha1"`, `at least 16`},
		"period":     {`"` + rfcSeedSHA1 + `", 59, 45, "hmacsha1"`, `value must be one of: ["30" "60"], got: 45`},
		"hash alias": {`"` + rfcSeedSHA1 + `", 59, 30, "sha1"`, `"sha1" is not accepted here: use "hmacsha1"`},
		"hash":       {`"` + rfcSeedSHA1 + `", 59, 30, "md5"`, `value must be one of: ["hmacsha1" "hmacsha256"], got: "md5"`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      `output "test" { value = provider::entraoath::totp_code(` + c.args + `) }`,
					ExpectError: expectErrorText(c.want),
				}},
			})
		})
	}
}
