package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// badInputFixture is what one bad-input case may refer to: a fresh serial number and seed, a member user, and an
// unassigned token in the inventory, none shared with another case.
type badInputFixture struct {
	serial, seed string
	user         emulator.User
	token        emulator.Device
}

// token renders entraoath_hardware_token.test with the fixture's serial number, Token2/C302-i and lines.
func (f badInputFixture) tokenConfig(lines ...string) string {
	return testAccTokenConfig(f.serial, append([]string{testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i")}, lines...)...)
}

// assignment renders entraoath_hardware_token_assignment.test of the fixture's inventory token with lines.
func (f badInputFixture) assignmentConfig(lines ...string) string {
	return fmt.Sprintf("resource \"entraoath_hardware_token_assignment\" \"test\" {\n  token_id = %q\n  %s\n}\n",
		f.token.ID, strings.Join(lines, "\n  "))
}

// withProvider prefixes config with a provider block; its settings win over the environment the harness sets.
func withProvider(config string, lines ...string) string {
	return fmt.Sprintf("provider \"entraoath\" {\n  %s\n}\n%s", strings.Join(lines, "\n  "), config)
}

// badInputCase is one thing a user can get wrong. Every case must fail with err and leave the emulator as it was
// (except for created devices with the fixture's serial number).
type badInputCase struct {
	name   string
	config func(t *testing.T, f badInputFixture) string
	err    string // testAccErrorPattern
	// planTime: Terraform reports it at plan time (the case runs `terraform plan` only). Otherwise it is found at
	// apply, because it needs Graph (users and tokens are not read at plan time: that would cost Graph requests on
	// every plan) or other resources (a resource's plan does not see the others).
	planTime bool
	// env is set for the case (so it runs sequentially): the harness signs in through the environment, and a
	// provider block cannot unset it.
	env map[string]string
	// created is how many devices with the fixture's serial number the failing apply may leave (they are destroyed
	// afterwards).
	created int
}

var badInputCases = []badInputCase{
	// Seeds: the validator runs at plan time and never quotes the value.
	{
		name: "seed given in hex",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key", "3132333435363738393031323334353637383930"))
		},
		err:      `Invalid Hardware Token Seed.*secret_key is not a usable Base32 seed: character 2 is not a Base32 letter.*hex_to_base32`,
		planTime: true,
	},
	{
		name: "seed with characters outside Base32",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key", "JBSWY3DP!HPK3PXP"))
		},
		err:      `Invalid Hardware Token Seed.*character 9 is not a Base32 letter`,
		planTime: true,
	},
	{
		name: "seed too short",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key_wo", "JBSWY3DP"))
		},
		err:      `secret_key_wo is not a usable Base32 seed: the seed has 8 Base32 characters; at least 16`,
		planTime: true,
	},
	{
		name: "seed too long",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key", strings.Repeat("A", 136)))
		},
		err:      `the seed has 136 Base32 characters; Graph accepts at most 128`,
		planTime: true,
	},
	{
		name:     "no seed",
		config:   func(_ *testing.T, f badInputFixture) string { return f.tokenConfig() },
		err:      `Missing Hardware Token Seed.*Set secret_key, or secret_key_wo`,
		planTime: true,
	},
	{
		name: "two seeds",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key", f.seed), testAccAttr("secret_key_wo", f.seed))
		},
		err:      `Conflicting Hardware Token Seeds.*Remove one of them`,
		planTime: true,
	},
	{
		name: "seed version with a plain seed",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key", f.seed), testAccAttr("secret_key_wo_version", 1))
		},
		err:      `Invalid Attribute Combination.*"secret_key" cannot be specified when "secret_key_wo_version"`,
		planTime: true,
	},
	{
		name: "assignment seed not Base32",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.assignmentConfig(testAccAttr("user_id", f.user.ID), testAccAttr("secret_key", "JBSWY3DP!HPK3PXP"))
		},
		err:      `Invalid Hardware Token Seed.*secret_key is not a usable Base32 seed`,
		planTime: true,
	},
	{
		// Only a warning at plan (drift that needs a new activation must not fail a plan); the apply fails before
		// any Graph write.
		name: "activation without a seed",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.assignmentConfig(testAccAttr("user_id", f.user.ID))
		},
		err: `Missing Hardware Token Seed.*neither secret_key nor secret_key_wo is set`,
	},
	{
		name: "display name without activation",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.assignmentConfig(testAccAttr("user_id", f.user.ID), "activate = false", testAccAttr("display_name", "Amy's token"))
		},
		err:      `Display Name Needs Activation`,
		planTime: true,
	},

	// Token settings.
	{
		name: "period 45",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key", f.seed), testAccAttr("time_interval", 45))
		},
		err:      `time_interval.*must be one of.*45`,
		planTime: true,
	},
	{
		name: "unknown hash function",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key", f.seed), testAccAttr("hash_function", "md5"))
		},
		err:      `hash_function.*must be one of.*md5`,
		planTime: true,
	},
	// A vendor's spelling, as parse_token_csv accepts it: the error names Graph's.
	hashAliasCase("sha1", "hmacsha1"),
	hashAliasCase("sha256", "hmacsha256"),
	hashAliasCase("SHA-256", "hmacsha256"),
	hashAliasCase("HMAC-SHA1", "hmacsha1"),
	{
		name: "empty serial number",
		config: func(_ *testing.T, f badInputFixture) string {
			return testAccTokenConfig("", testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"), testAccAttr("secret_key", f.seed))
		},
		err:      `serial_number.*length must be at least 1`,
		planTime: true,
	},
	{
		name: "timeout not a duration",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key", f.seed), `timeouts { create = "ten minutes" }`)
		},
		err:      `Invalid Attribute Value Time Duration.*"ten minutes" must be a string containing a sequence of decimal numbers`,
		planTime: true,
	},
	{
		// Found at apply: Graph accepts two tokens with one serial number, and a resource's plan does not see the
		// others. The provider catches the second create before it reaches Graph; the first token is created.
		name: "duplicate serial numbers",
		config: func(_ *testing.T, f badInputFixture) string {
			return fmt.Sprintf(`
resource "entraoath_hardware_token" "a" {
  serial_number = %[1]q
  manufacturer  = "Token2"
  model         = "C302-i"
  secret_key    = %[2]q
}

resource "entraoath_hardware_token" "b" {
  serial_number = %[1]q
  manufacturer  = "Token2"
  model         = "C302-i"
  secret_key    = %[2]q
}
`, f.serial, f.seed)
		},
		err:     `Duplicate Hardware Token Serial Number.*Another entraoath_hardware_token in this configuration has serial number`,
		created: 1,
	},

	// Users of new assignments and tokens: found at apply, when Graph is asked, before any write. (A changed
	// user is found at plan: TestAccHardwareTokenAssignment_userCheckedAtPlan.)
	{
		name: "no user",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.assignmentConfig("activate = false")
		},
		err:      `Missing Attribute Configuration.*user_id.*user_principal_name`,
		planTime: true,
	},
	{
		name: "two users",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.assignmentConfig(testAccAttr("user_id", f.user.ID), testAccAttr("user_principal_name", f.user.UserPrincipalName), "activate = false")
		},
		err:      `Invalid Attribute Combination.*user_id.*user_principal_name`,
		planTime: true,
	},
	{
		name: "unknown user",
		config: func(_ *testing.T, f badInputFixture) string {
			return f.assignmentConfig(testAccAttr("user_principal_name", "nobody-"+f.serial+"@contoso.example"), "activate = false")
		},
		err: `with entraoath_hardware_token_assignment.test.*user_principal_name.*was not found in the tenant`,
	},
	{
		name: "guest user",
		config: func(_ *testing.T, f badInputFixture) string {
			guest := testEmulator.AddUser(emulator.User{UserPrincipalName: f.serial + "_fabrikam.example#EXT#@contoso.example", UserType: "Guest"})
			return f.assignmentConfig(testAccAttr("user_id", guest.ID), "activate = false")
		},
		err: `is a guest.*cannot assign hardware OATH tokens to guest users`,
	},
	{
		name: "token id that does not exist",
		config: func(_ *testing.T, f badInputFixture) string {
			return strings.Replace(f.assignmentConfig(testAccAttr("user_id", f.user.ID), "activate = false"), f.token.ID, testAccGUID(), 1)
		},
		err: `token_id.*was not found in the tenant's inventory.*not its serial number`,
	},

	// Provider settings: the provider signs in while it is configured, so these fail at plan time.
	{
		name: "graph endpoint not HTTPS",
		config: func(_ *testing.T, f badInputFixture) string {
			return withProvider(f.tokenConfig(testAccAttr("secret_key", f.seed)), `graph_endpoint = "http://127.0.0.1:1"`)
		},
		err:      `Invalid Endpoint URL.*graph_endpoint.*must be an absolute https:// URL`,
		planTime: true,
	},
	{
		name: "wrong tenant",
		config: func(_ *testing.T, f badInputFixture) string {
			return withProvider(f.tokenConfig(testAccAttr("secret_key", f.seed)), testAccAttr("tenant_id", testAccGUID()))
		},
		err:      `Unable to Sign In to Microsoft Entra ID.*AADSTS90002`,
		planTime: true,
	},
	{
		// Entra ID answers an expired secret with AADSTS7000222 and a wrong one with AADSTS7000215; the emulator
		// knows only the latter, and the provider reports both the same way.
		name: "rejected client secret",
		config: func(_ *testing.T, f badInputFixture) string {
			return withProvider(f.tokenConfig(testAccAttr("secret_key", f.seed)), testAccAttr("client_secret", "not-the-"+f.seed))
		},
		err:      `Unable to Sign In to Microsoft Entra ID.*AADSTS7000215.*Invalid client secret`,
		planTime: true,
	},
	{
		// A second emulated tenant whose CA is not in SSL_CERT_FILE, as a proxy with its own certificate would be.
		name: "untrusted certificate",
		config: func(t *testing.T, f badInputFixture) string {
			other, err := emulator.Start(emulator.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { other.Close() })
			return withProvider(f.tokenConfig(testAccAttr("secret_key", f.seed)),
				testAccAttr("graph_endpoint", other.URL()), testAccAttr("authority_host", other.URL()+"/"))
		},
		err:      `Unable to Sign In to Microsoft Entra ID.*certificate signed by unknown authority`,
		planTime: true,
	},
	{
		name: "no credentials",
		config: func(_ *testing.T, f badInputFixture) string {
			return withProvider(f.tokenConfig(testAccAttr("secret_key", f.seed)), "use_cli = false")
		},
		env:      map[string]string{"ARM_CLIENT_SECRET": ""},
		err:      `Invalid Provider Sign-In Settings.*No sign-in method is enabled`,
		planTime: true,
	},
	{
		name:     "client id missing",
		config:   func(_ *testing.T, f badInputFixture) string { return f.tokenConfig(testAccAttr("secret_key", f.seed)) },
		env:      map[string]string{"ARM_CLIENT_ID": ""},
		err:      `Invalid Provider Sign-In Settings.*client_id is missing`,
		planTime: true,
	},
}

func hashAliasCase(alias, graphName string) badInputCase {
	return badInputCase{
		name: "hash function spelt " + alias,
		config: func(_ *testing.T, f badInputFixture) string {
			return f.tokenConfig(testAccAttr("secret_key", f.seed), testAccAttr("hash_function", alias))
		},
		err:      `Invalid Hash Function.*hash_function: "` + alias + `" is not accepted here: use "` + graphName + `"`,
		planTime: true,
	}
}

// TestAccBadInput runs the cases that only need their configuration, in parallel.
func TestAccBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range badInputCases {
		if c.env == nil {
			t.Run(c.name, func(t *testing.T) { testAccBadInputCase(t, c, true) })
		}
	}
}

// TestAccBadInput_environment runs the cases that change the environment the provider signs in with. Not
// parallel: the environment is the whole process's.
func TestAccBadInput_environment(t *testing.T) {
	for _, c := range badInputCases {
		if c.env != nil {
			t.Run(c.name, func(t *testing.T) {
				for k, v := range c.env {
					t.Setenv(k, v)
				}
				testAccBadInputCase(t, c, false)
			})
		}
	}
}

func testAccBadInputCase(t *testing.T, c badInputCase, parallel bool) {
	f := badInputFixture{serial: testAccName(t), seed: testAccSeed(), user: testAccUser(t)}
	f.token = testAccInventoryToken(t, f.seed)
	run := resource.Test
	if parallel {
		run = resource.ParallelTest
	}
	run(t, resource.TestCase{
		// Write-only seeds need Terraform 1.11.
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(f.serial),
		Steps: []resource.TestStep{
			{
				Config:      c.config(t, f),
				PlanOnly:    c.planTime,
				ExpectError: testAccErrorPattern(c.err),
			},
			{
				// Asks the emulator before this step destroys whatever the failed one left.
				PreConfig: func() { testAccCheckNothingCreated(t, f, c.created) },
				Config:    "# nothing\n",
			},
		},
	})
}

// testAccCheckNothingCreated fails unless the emulator holds only the created devices with the fixture's serial
// number, the fixture's token is unassigned, and the fixture's user holds no token.
func testAccCheckNothingCreated(t *testing.T, f badInputFixture, created int) {
	t.Helper()
	if n := len(testEmulator.DevicesBySerial(f.serial)); n != created {
		t.Errorf("the emulator holds %d devices with serial number %s, want %d", n, f.serial, created)
	}
	if d, ok := testEmulator.Device(f.token.ID); !ok || d.Status != emulator.StatusAvailable || d.AssignedToID != "" {
		t.Errorf("the inventory token %s was changed: %+v", f.token.ID, d)
	}
	for _, d := range testEmulator.Devices() {
		if d.AssignedToID == f.user.ID {
			t.Errorf("user %s was given token %s", f.user.UserPrincipalName, d.ID)
		}
	}
}
