package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

func TestHexToBase32Function(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
output "plain" {
  value = provider::entraoath::hex_to_base32("` + rfcSeedHex + `")
}
output "formatted" {
  value = provider::entraoath::hex_to_base32("0x31:32:33:34 35-36-37-38-39-30-31-32-33-34-35-36-37-38-39-30")
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("plain", knownvalue.StringExact(rfcSeedSHA1)),
					statecheck.ExpectKnownOutputValue("formatted", knownvalue.StringExact(rfcSeedSHA1)),
				},
			},
		},
	})
}

func TestHexToBase32Function_invalid(t *testing.T) {
	for name, c := range map[string]struct{ hex, want string }{
		"not hex":   {"3132333435363738393031323334353637383g30", "not an even number of hex digits"},
		"odd":       {"313233343536373839303132333435363738393", "not an even number of hex digits"},
		"too short": {"3132333435363738", "at least 16"},
		"empty":     {"", "empty"},
	} {
		t.Run(name, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      `output "test" { value = provider::entraoath::hex_to_base32("` + c.hex + `") }`,
					ExpectError: expectErrorText(c.want),
				}},
			})
		})
	}
}
