package provider

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

// testAccEchoProviderFactories adds the echo provider, which copies an ephemeral value into state for checking.
func testAccEchoProviderFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	f := maps.Clone(testAccProtoV6ProviderFactories)
	f["echo"] = echoprovider.NewProviderServer()
	return f
}

// currentCode accepts the code of seed for the time step the check runs in or the one before, since the
// ephemeral resource was opened a moment earlier.
type currentCode struct {
	seed, hash string
	period     int64
}

func (c currentCode) CheckValue(v any) error {
	got, ok := v.(string)
	if !ok {
		return fmt.Errorf("expected a string code, got %T", v)
	}
	now := time.Now()
	for _, at := range []time.Time{now, now.Add(-time.Duration(c.period) * time.Second)} {
		want, err := totp.Code(c.seed, at, c.period, c.hash)
		if err != nil {
			return err
		}
		if got == want {
			return nil
		}
	}
	return fmt.Errorf("code %q is not the seed's code for the current or previous %ds step", got, c.period)
}

func (c currentCode) String() string { return fmt.Sprintf("current %s/%ds code", c.hash, c.period) }

// stepEnd accepts an RFC 3339 time that ends a period-second step, no earlier than the previous step's end and
// no later than the current step's end.
type stepEnd struct{ period int64 }

func (c stepEnd) CheckValue(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("expected a string time, got %T", v)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	end := (time.Now().Unix()/c.period + 1) * c.period
	if t.Unix()%c.period != 0 || t.Unix() > end || t.Unix() < end-c.period {
		return fmt.Errorf("%s does not end the current or previous %ds step", s, c.period)
	}
	return nil
}

func (c stepEnd) String() string { return fmt.Sprintf("end of the current %ds step", c.period) }

func TestAccTOTPCodeEphemeralResource(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccEchoProviderFactories(),
		// One echo provider per step: in-process provider servers are shared by aliases, and an echo resource with
		// prior state keeps its data, so each step echoes into a new resource.
		Steps: []resource.TestStep{
			{
				Config: `
ephemeral "entraoath_totp_code" "test" {
  secret_key = "` + rfcSeedSHA1 + `"
}
provider "echo" {
  data = ephemeral.entraoath_totp_code.test
}
resource "echo" "defaults" {}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.defaults", tfjsonpath.New("data").AtMapKey("time_interval"), knownvalue.Int64Exact(30)),
					statecheck.ExpectKnownValue("echo.defaults", tfjsonpath.New("data").AtMapKey("hash_function"), knownvalue.StringExact("hmacsha1")),
					statecheck.ExpectKnownValue("echo.defaults", tfjsonpath.New("data").AtMapKey("code"), currentCode{rfcSeedSHA1, totp.HashSHA1, 30}),
					statecheck.ExpectKnownValue("echo.defaults", tfjsonpath.New("data").AtMapKey("valid_until"), stepEnd{30}),
				},
			},
			{
				Config: `
ephemeral "entraoath_totp_code" "test" {
  secret_key    = "` + "gezdgnbvgy3tqojqgezdgnbvgy3tqojqgezdgnbvgy3tqojqgeza====" + `"
  time_interval = 60
  hash_function = "hmacsha256"
}
provider "echo" {
  data = ephemeral.entraoath_totp_code.test
}
resource "echo" "sha256" {}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.sha256", tfjsonpath.New("data").AtMapKey("time_interval"), knownvalue.Int64Exact(60)),
					statecheck.ExpectKnownValue("echo.sha256", tfjsonpath.New("data").AtMapKey("code"), currentCode{rfcSeedSHA256, totp.HashSHA256, 60}),
					statecheck.ExpectKnownValue("echo.sha256", tfjsonpath.New("data").AtMapKey("valid_until"), stepEnd{60}),
				},
			},
		},
	})
}

func TestAccTOTPCodeEphemeralResource_invalid(t *testing.T) {
	for name, c := range map[string]struct{ attrs, want string }{
		"seed":     {`secret_key = "GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ"`, `secret_key is not a usable Base32 seed: character 16 is not a Base32 letter`},
		"interval": {`secret_key = "` + rfcSeedSHA1 + `"` + "\n time_interval = 45", `value must be one of: ["30" "60"], got: 45`},
		"hash":     {`secret_key = "` + rfcSeedSHA1 + `"` + "\n hash_function = \"md5\"", `value must be one of: ["hmacsha1" "hmacsha256"], got: "md5"`},
		"alias":    {`secret_key = "` + rfcSeedSHA1 + `"` + "\n hash_function = \"sha256\"", `"sha256" is not accepted here: use "hmacsha256"`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { testAccPreCheck(t) },
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
				ProtoV6ProviderFactories: testAccEchoProviderFactories(),
				Steps: []resource.TestStep{{
					Config: `
ephemeral "entraoath_totp_code" "test" {
  ` + c.attrs + `
}
provider "echo" {
  data = ephemeral.entraoath_totp_code.test
}
resource "echo" "test" {}`,
					ExpectError: expectErrorText(c.want),
				}},
			})
		})
	}
}

// The example on the ephemeral resource's page, applied as a user would with the code written to a file instead
// of the terminal: the file holds the seed's current code, and the state holds neither seed nor code.
func TestAccTOTPCodeEphemeralResource_example(t *testing.T) {
	example, err := os.ReadFile("../../examples/ephemeral-resources/entraoath_totp_code/ephemeral-resource.tf")
	if err != nil {
		t.Fatal(err)
	}
	codeFile := filepath.Join(t.TempDir(), "code.txt")
	checkCode := func(s *terraform.State) error {
		written, err := os.ReadFile(codeFile)
		if err != nil {
			return err
		}
		m := regexp.MustCompile(`^Code: (\d{6}) \(valid until (\S+)\)\n$`).FindStringSubmatch(string(written))
		if m == nil {
			return fmt.Errorf("the example wrote %d bytes in an unexpected form", len(written))
		}
		if err := (currentCode{rfcSeedSHA1, totp.HashSHA1, 30}).CheckValue(m[1]); err != nil {
			return err
		}
		for name, r := range s.RootModule().Resources {
			for attr, v := range r.Primary.Attributes {
				if strings.Contains(v, m[1]) {
					return fmt.Errorf("the state holds the code in %s.%s", name, attr)
				}
			}
		}
		return stepEnd{30}.CheckValue(m[2])
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: string(example),
			ConfigVariables: config.Variables{
				"token_seed":       config.StringVariable(rfcSeedSHA1),
				"code_destination": config.StringVariable(codeFile),
			},
			Check:              checkCode,
			ConfigStateChecks:  []statecheck.StateCheck{stateExcludes{rfcSeedSHA1}},
			ExpectNonEmptyPlan: true, // timestamp(): every apply shows a new code
		}},
	})
}
