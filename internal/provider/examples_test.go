package provider

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/seedfile"
)

// These tests apply the configurations under examples/ unchanged, as a user would, against the emulator. They name
// fixed serial numbers and users, and two of them manage the tenant-wide policy, so they use resource.Test (never
// in parallel). The examples have a provider block, so the provider factories go on each step.
//
// plugin-testing's legacy state shim, behind TestStep.Check and the post-test destroy, rejects for_each instances.
// So the emulator is checked with state checks (emulatorCheck), and the last step destroys everything by applying
// a configuration without resources; the post-test destroy then finds an empty state.

const examplesDir = "../../examples"

func testAccExampleDir(name string) config.TestStepConfigFunc {
	return config.StaticDirectory(filepath.Join(examplesDir, name))
}

// testAccExampleWithoutSeeds copies an example to a temporary directory with every secret_key line removed from
// its main.tf, as an operator drops the seeds once the tokens are onboarded.
func testAccExampleWithoutSeeds(t *testing.T, name string) config.TestStepConfigFunc {
	t.Helper()
	return testAccExampleMainReplaced(t, name, func(main string) string {
		var kept []string
		for _, line := range strings.Split(main, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "secret_key") {
				kept = append(kept, line)
			}
		}
		if len(kept) == strings.Count(main, "\n")+1 {
			t.Fatalf("examples/%s/main.tf sets no secret_key: this test no longer removes anything", name)
		}
		return strings.Join(kept, "\n")
	})
}

// testAccExampleMainReplaced copies an example's files to a temporary directory, its main.tf replaced by edit(main.tf).
func testAccExampleMainReplaced(t *testing.T, name string, edit func(string) string) config.TestStepConfigFunc {
	t.Helper()
	main, err := os.ReadFile(filepath.Join(examplesDir, name, "main.tf"))
	must(t, err)
	return testAccExampleCopy(t, name, map[string]string{"main.tf": edit(string(main))})
}

// testAccExampleCopy copies the files of examples/<name> (import.sh aside: a shell script, not configuration) to a
// temporary directory, with the files of overlay written over them or beside them.
func testAccExampleCopy(t *testing.T, name string, overlay map[string]string) config.TestStepConfigFunc {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join(examplesDir, name))
	must(t, err)
	for _, e := range entries {
		if e.IsDir() || e.Name() == "import.sh" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(examplesDir, name, e.Name()))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600))
	}
	for file, content := range overlay {
		must(t, os.WriteFile(filepath.Join(dir, file), []byte(content), 0o600))
	}
	return config.StaticDirectory(dir)
}

// emulatorCheck runs a check of the emulator (which ignores the Terraform state) as a state check.
type emulatorCheck resource.TestCheckFunc

func (c emulatorCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c(nil)
}

// testAccProviderBlock is what the README and the registry pages leave to the reader: the provider's source, and a
// provider block that signs in from the ARM_* environment.
const testAccProviderBlock = `
terraform {
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

provider "entraoath" {}
`

// testAccExampleDestroyStep destroys what the examples created by applying a configuration without resources, and
// checks the emulator afterwards.
func testAccExampleDestroyStep(checks ...resource.TestCheckFunc) resource.TestStep {
	return resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Config:                   testAccProviderBlock,
		ConfigStateChecks:        []statecheck.StateCheck{emulatorCheck(resource.ComposeAggregateTestCheckFunc(checks...))},
	}
}

// testAccExampleSetup prepares the shared emulator for an example: the users it names exist, and the provider is
// served under the address the example declares (entraoath/entraoath rather than the harness's hashicorp/...).
func testAccExampleSetup(t *testing.T, upns ...string) map[string]emulator.User {
	t.Helper()
	if testEmulator == nil {
		t.Skip("acceptance tests need TF_ACC=1")
	}
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "entraoath")
	users := make(map[string]emulator.User, len(upns))
	for _, upn := range upns {
		u, ok := testEmulator.User(upn)
		if !ok {
			u = testEmulator.AddUser(emulator.User{UserPrincipalName: upn, DisplayName: upn})
		}
		users[upn] = u
	}
	return users
}

// testAccExampleTokens reads an example's vendor file the way the example does.
func testAccExampleTokens(t *testing.T, name string) []seedfile.Token {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(examplesDir, name, "tokens.csv"))
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := seedfile.Parse(string(content), seedfile.Options{})
	if err != nil {
		t.Fatalf("examples/%s/tokens.csv: %v", name, err)
	}
	return tokens
}

// testAccCheckExampleTokens checks the inventory: each serial number is there once, activated for its holder, or
// available when holders maps it to nil.
func testAccCheckExampleTokens(holders map[string]*emulator.User) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for serial, u := range holders {
			devices := testEmulator.DevicesBySerial(serial)
			if len(devices) != 1 {
				return fmt.Errorf("the emulator holds %d tokens with serial number %s, want 1", len(devices), serial)
			}
			status, holder := emulator.StatusAvailable, ""
			if u != nil {
				status, holder = emulator.StatusActivated, u.ID
			}
			if err := testAccCheckToken(devices[0].ID, status, holder)(s); err != nil {
				return fmt.Errorf("serial number %s: %w", serial, err)
			}
		}
		return nil
	}
}

// testAccCheckNoEmulatorTokens checks that none of the serial numbers is left in the inventory.
func testAccCheckNoEmulatorTokens(serials []string) resource.TestCheckFunc {
	var checks []resource.TestCheckFunc
	for _, serial := range serials {
		checks = append(checks, testAccCheckNoEmulatorToken(serial))
	}
	return resource.ComposeAggregateTestCheckFunc(checks...)
}

// testAccSeedsNotInState asserts that the write-only seeds never reached the state.
func testAccSeedsNotInState(seeds []string) []statecheck.StateCheck {
	checks := make([]statecheck.StateCheck, len(seeds))
	for i, seed := range seeds {
		checks[i] = stateExcludes{seed}
	}
	return checks
}

var testAccEmptyPlanAfterApply = resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}

// testAccCleanupExampleTokens deletes what a failed test left of an example's tokens: its serial numbers are fixed,
// and the post-test destroy cannot run on a state with for_each instances.
func testAccCleanupExampleTokens(t *testing.T, serials []string) {
	t.Cleanup(func() {
		for _, serial := range serials {
			for _, d := range testEmulator.DevicesBySerial(serial) {
				_ = testEmulator.DeleteDevice(d.ID)
			}
		}
	})
}

var testAccEnabledForAllUsers = emulator.Policy{
	State:          "enabled",
	IncludeTargets: []emulator.PolicyTarget{{ID: "all_users", TargetType: "group"}},
	ExcludeTargets: []emulator.PolicyTarget{},
}

// The quickstart, and what `make demo` shows: a token reassigned out of band is put back and activated again.
func TestAccExample_quickstart(t *testing.T) {
	const moved, intruder = "60212302", "user5@contoso.example"
	tokens := testAccExampleTokens(t, "quickstart")
	upns := []string{intruder}
	for _, tok := range tokens {
		if tok.UserPrincipalName != "" {
			upns = append(upns, tok.UserPrincipalName)
		}
	}
	users := testAccExampleSetup(t, upns...)
	testAccRestoreDefaultPolicy(t)

	holders := map[string]*emulator.User{}
	outputs := map[string]knownvalue.Check{}
	var serials []string
	for _, tok := range tokens {
		serials = append(serials, tok.SerialNumber)
		var user, status knownvalue.Check = knownvalue.Null(), knownvalue.StringExact(emulator.StatusAvailable)
		holders[tok.SerialNumber] = nil
		if u, ok := users[tok.UserPrincipalName]; ok {
			user, status = knownvalue.StringExact(u.UserPrincipalName), knownvalue.StringExact(emulator.StatusActivated)
			holders[tok.SerialNumber] = &u
		}
		outputs[tok.SerialNumber] = knownvalue.ObjectExact(map[string]knownvalue.Check{"user": user, "status": status})
	}
	if holders[moved] == nil {
		t.Fatalf("examples/quickstart/tokens.csv no longer assigns token %s, which this test and scripts/demo.sh move", moved)
	}
	testAccCleanupExampleTokens(t, serials)
	applied := []statecheck.StateCheck{
		statecheck.ExpectKnownOutputValue("tokens", knownvalue.MapExact(outputs)),
		emulatorCheck(testAccCheckExampleTokens(holders)),
	}

	resource.Test(t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          testAccExampleDir("quickstart"),
				ConfigPlanChecks:         testAccEmptyPlanAfterApply,
				ConfigStateChecks:        append(applied, emulatorCheck(testAccCheckEmulatorPolicy(testAccEnabledForAllUsers))),
			},
			{
				// Issue 12 §2: a no-change plan of the quickstart with every seed removed is empty.
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          testAccExampleWithoutSeeds(t, "quickstart"),
				PlanOnly:                 true,
			},
			{
				PreConfig: func() {
					must(t, testEmulator.Assign(testAccTokenID(t, moved), intruder))
				},
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          testAccExampleDir("quickstart"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(`entraoath_hardware_token_assignment.this["`+moved+`"]`, plancheck.ResourceActionReplace),
						plancheck.ExpectResourceAction(`entraoath_hardware_token.this["`+moved+`"]`, plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: testAccEmptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: applied,
			},
			// The policy stays enabled: destroying the configuration does not turn hardware OATH off.
			testAccExampleDestroyStep(testAccCheckNoEmulatorTokens(serials), testAccCheckEmulatorPolicy(testAccEnabledForAllUsers)),
		},
	})
}

func TestAccExample_breakGlass(t *testing.T) {
	accounts := map[string]string{ // as in examples/break-glass/main.tf
		"BG-0001": "emergency1@contoso.example",
		"BG-0002": "emergency2@contoso.example",
	}
	users := testAccExampleSetup(t, accounts["BG-0001"], accounts["BG-0002"])

	holders := map[string]*emulator.User{}
	outputs := map[string]knownvalue.Check{}
	seedVars := config.Variables{}
	var serials, seeds []string
	for serial, upn := range accounts {
		u, seed := users[upn], testAccSeed()
		holders[serial] = &u
		outputs[serial] = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"account": knownvalue.StringExact(upn),
			"status":  knownvalue.StringExact(emulator.StatusActivated),
		})
		seedVars[serial] = config.StringVariable(seed)
		serials, seeds = append(serials, serial), append(seeds, seed)
	}
	testAccCleanupExampleTokens(t, serials)
	apply := resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          testAccExampleDir("break-glass"),
		ConfigVariables:          config.Variables{"break_glass_seeds": config.MapVariable(seedVars)},
		ConfigPlanChecks:         testAccEmptyPlanAfterApply,
		ConfigStateChecks: append(testAccSeedsNotInState(seeds),
			statecheck.ExpectKnownOutputValue("break_glass_tokens", knownvalue.MapExact(outputs)),
			emulatorCheck(testAccCheckExampleTokens(holders))),
	}
	// A plan without the seed variable, as a nightly drift check runs it, is empty (issue 12 §2).
	noSeeds := resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          testAccExampleDir("break-glass"),
		PlanOnly:                 true,
	}
	// A break-glass token deactivated outside Terraform is activated again by the next apply.
	reactivate := apply
	reactivate.PreConfig = func() { must(t, testEmulator.Deactivate(testAccTokenID(t, "BG-0001"))) }
	reactivate.ConfigPlanChecks.PreApply = []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(`entraoath_hardware_token_assignment.break_glass["BG-0001"]`, plancheck.ResourceActionUpdate),
		plancheck.ExpectResourceAction(`entraoath_hardware_token_assignment.break_glass["BG-0002"]`, plancheck.ResourceActionNoop),
	}

	// prevent_destroy: `terraform destroy` of the example fails, and leaves the tokens activated.
	destroy := apply
	destroy.Destroy = true
	destroy.ExpectError = regexp.MustCompile(`Instance cannot be destroyed`)
	destroy.ConfigPlanChecks, destroy.ConfigStateChecks = resource.ConfigPlanChecks{}, nil
	afterDestroy := apply
	afterDestroy.ConfigPlanChecks.PreApply = []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}
	// A deliberate removal, as the guide describes it: without the resource blocks (and so without their
	// lifecycle blocks), the apply destroys the tokens.
	resource.Test(t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{apply, noSeeds, reactivate, destroy, afterDestroy,
			testAccExampleDestroyStep(testAccCheckNoEmulatorTokens(serials))},
	})
}

// Self-service: Terraform keeps the inventory; a user claiming a token leaves the plan empty.
func TestAccExample_selfService(t *testing.T) {
	const claimed = "60212401"
	tokens := testAccExampleTokens(t, "self-service")
	users := testAccExampleSetup(t, "user1@contoso.example")
	claimant := users["user1@contoso.example"]
	testAccRestoreDefaultPolicy(t)

	available := map[string]*emulator.User{}
	var serials, seeds []string
	for _, tok := range tokens {
		available[tok.SerialNumber] = nil
		serials, seeds = append(serials, tok.SerialNumber), append(seeds, tok.SecretKey)
	}
	if _, ok := available[claimed]; !ok {
		t.Fatalf("examples/self-service/tokens.csv no longer lists token %s, which this test claims", claimed)
	}
	var serialValues []knownvalue.Check // the output is sorted
	for _, serial := range slices.Sorted(maps.Keys(available)) {
		serialValues = append(serialValues, knownvalue.StringExact(serial))
	}
	afterClaim := maps.Clone(available)
	afterClaim[claimed] = &claimant
	testAccCleanupExampleTokens(t, serials)

	resource.Test(t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          testAccExampleDir("self-service"),
				ConfigPlanChecks:         testAccEmptyPlanAfterApply,
				ConfigStateChecks: append(testAccSeedsNotInState(seeds),
					statecheck.ExpectKnownOutputValue("serial_numbers", knownvalue.ListExact(serialValues)),
					emulatorCheck(testAccCheckExampleTokens(available)),
					emulatorCheck(testAccCheckEmulatorPolicy(testAccEnabledForAllUsers))),
			},
			{
				// The user adds the token in Security info: assigned and activated outside Terraform.
				PreConfig: func() {
					id := testAccTokenID(t, claimed)
					must(t, testEmulator.Assign(id, claimant.ID))
					must(t, testEmulator.Activate(id))
				},
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          testAccExampleDir("self-service"),
				ConfigPlanChecks:         resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks:        []statecheck.StateCheck{emulatorCheck(testAccCheckExampleTokens(afterClaim))},
			},
			// Destroying the inventory deletes the claimed token too, unassigning it first; the policy stays enabled.
			testAccExampleDestroyStep(testAccCheckNoEmulatorTokens(serials), testAccCheckEmulatorPolicy(testAccEnabledForAllUsers)),
		},
	})
}

// The README's HCL, as a user copies it, with the terraform and provider blocks it leaves out and a vendor file
// whose tokens differ in period and hash: each token must get its own, not the defaults.
func TestAccExample_readme(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var hcl []string
	for _, m := range regexp.MustCompile("(?s)```hcl\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		hcl = append(hcl, m[1])
	}
	if len(hcl) == 0 {
		t.Fatal("README.md has no hcl block")
	}
	const user30, user60 = "readme30@contoso.example", "readme60@contoso.example"
	users := testAccExampleSetup(t, user30, user60)
	u30, u60 := users[user30], users[user60]
	type row struct {
		upn, serial string
		period      int
		hash        string // as the file spells it
		holder      *emulator.User
		want        string // Graph's name
	}
	rows := []row{
		{user30, "RM-0030", 30, "sha1", &u30, "hmacsha1"},
		{user60, "RM-0060", 60, "SHA-256", &u60, "hmacsha256"},
		{"", "RM-SPARE", 60, "", nil, "hmacsha1"},
	}
	csv := "upn,serial number,secret key,time interval,manufacturer,model,hash\n"
	holders := map[string]*emulator.User{}
	var serials []string
	var settings []resource.TestCheckFunc
	for _, r := range rows {
		csv += fmt.Sprintf("%s,%s,%s,%d,Token2,C302-i,%s\n", r.upn, r.serial, testAccSeed(), r.period, r.hash)
		holders[r.serial], serials = r.holder, append(serials, r.serial)
		settings = append(settings, testAccCheckTokenSettings(r.serial, r.period, r.want))
	}
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(csv), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(testAccProviderBlock+strings.Join(hcl, "\n")), 0o600))
	testAccCleanupExampleTokens(t, serials)

	resource.Test(t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          config.StaticDirectory(dir),
				ConfigPlanChecks:         testAccEmptyPlanAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{
					emulatorCheck(testAccCheckExampleTokens(holders)),
					emulatorCheck(resource.ComposeAggregateTestCheckFunc(settings...)),
				},
			},
			testAccExampleDestroyStep(testAccCheckNoEmulatorTokens(serials)),
		},
	})
}

// testAccCheckTokenSettings checks the period and hash function of the token with the serial number.
func testAccCheckTokenSettings(serial string, period int, hash string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for _, d := range testEmulator.DevicesBySerial(serial) {
			if d.TimeIntervalInSeconds != period || d.HashFunction != hash {
				return fmt.Errorf("token %s has period %d and hash %s, want %d and %s", serial, d.TimeIntervalInSeconds, d.HashFunction, period, hash)
			}
		}
		return nil
	}
}
