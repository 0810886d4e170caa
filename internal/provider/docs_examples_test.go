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

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

// The examples rendered into the registry pages (examples/resources, data-sources and functions), applied as a
// user copies them: each file as written, next to what the page leaves to the reader (a provider block, values
// for its variables, the vendor files it reads, and the users and tokens it names, created in the emulator
// first). The import.sh commands run as ImportState steps with their id forms. The examples name fixed serial
// numbers, users and object ids, so these tests never run in parallel and delete what they made.

// The object id the pages show for token 60234567; the tests give it to that token where they create it, and
// put that token's id in its place in import commands.
const pageTokenID = "3dee0e53-f50f-43ef-85c0-b44689f2d66d"

// testAccPageExample is a working directory holding the files of examples/<example> (import.sh aside) and the
// files the page leaves to the reader; without a provider.tf among them, testAccProviderBlock.
func testAccPageExample(t *testing.T, example string, files map[string]string) config.TestStepConfigFunc {
	t.Helper()
	overlay := map[string]string{"provider.tf": testAccProviderBlock}
	maps.Copy(overlay, files)
	return testAccExampleCopy(t, example, overlay)
}

// testAccPageFixture adds the users (user principal name => object id, "" for a new one) and tokens a page
// example refers to, and deletes them, and any token with the serial numbers, after the test: other pages give
// the same names other ids.
func testAccPageFixture(t *testing.T, users map[string]string, tokens []emulator.Device, serials ...string) map[string]emulator.User {
	t.Helper()
	testAccExampleSetup(t)
	added := map[string]emulator.User{}
	for upn, id := range users {
		added[upn] = testEmulator.AddUser(emulator.User{ID: id, UserPrincipalName: upn, DisplayName: upn})
	}
	t.Cleanup(func() {
		for _, u := range added {
			_ = testEmulator.DeleteUser(u.ID)
		}
	})
	for _, d := range tokens {
		if d.AssignedToID != "" {
			d.AssignedToID = added[d.AssignedToID].ID
		}
		_, err := testEmulator.AddDevice(d)
		must(t, err)
		serials = append(serials, d.SerialNumber)
	}
	testAccCleanupExampleTokens(t, serials)
	return added
}

// pageToken is a token the emulator holds before a page example refers to it.
func pageToken(id, serial, holder, status string) emulator.Device {
	return emulator.Device{ID: id, SerialNumber: serial, Manufacturer: "Token2", Model: "C302-i", SecretKey: testAccSeed(),
		TimeIntervalInSeconds: 30, AssignedToID: holder, Status: status}
}

// testAccImportSteps runs the commands of the page's import.sh as ImportState steps on apply's configuration,
// verifying the imported state against the applied one; pageTokenID in an id stands for token 60234567's id.
func testAccImportSteps(t *testing.T, example string, apply resource.TestStep, ignore ...string) []resource.TestStep {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(examplesDir, example, "import.sh"))
	must(t, err)
	var steps []resource.TestStep
	for _, m := range regexp.MustCompile(`(?m)^terraform import (\S+) (\S+)$`).FindAllStringSubmatch(string(script), -1) {
		id := m[2]
		steps = append(steps, resource.TestStep{
			ProtoV6ProviderFactories: apply.ProtoV6ProviderFactories,
			ConfigDirectory:          apply.ConfigDirectory,
			ConfigVariables:          apply.ConfigVariables,
			ResourceName:             m[1],
			ImportState:              true,
			ImportStateIdFunc: func(*terraform.State) (string, error) {
				if strings.Contains(id, pageTokenID) {
					return strings.ReplaceAll(id, pageTokenID, testAccTokenID(t, "60234567")), nil
				}
				return id, nil
			},
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: ignore,
		})
	}
	if len(steps) == 0 {
		t.Fatalf("examples/%s/import.sh has no terraform import command", example)
	}
	return steps
}

// pageApply applies a page example and checks that the plan after the apply is empty.
func pageApply(dir config.TestStepConfigFunc, vars config.Variables, checks ...statecheck.StateCheck) resource.TestStep {
	return resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          dir,
		ConfigVariables:          vars,
		ConfigPlanChecks:         testAccEmptyPlanAfterApply,
		ConfigStateChecks:        checks,
	}
}

func pageTestCase(t *testing.T, version tfversion.TerraformVersionCheck, checkDestroy resource.TestCheckFunc, steps ...resource.TestStep) resource.TestCase {
	return resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{version},
		CheckDestroy:           checkDestroy,
		Steps:                  steps,
	}
}

// The policy page's example, with the provider page's block as its provider block, then the page's commented
// alternative (targeted groups) uncommented in its place. Destroying it leaves the policy as it is.
func TestAccPageExample_hardwareOATHPolicy(t *testing.T) {
	const example = "resources/entraoath_hardware_oath_policy"
	testAccPageFixture(t, nil, nil)
	testAccRestoreDefaultPolicy(t)
	providerPage, err := os.ReadFile(filepath.Join(examplesDir, "provider", "provider.tf"))
	must(t, err)
	page, err := os.ReadFile(filepath.Join(examplesDir, example, "resource.tf"))
	must(t, err)
	_, alternative, found := strings.Cut(string(page), "# Or, instead")
	if !found {
		t.Fatalf("examples/%s/resource.tf no longer has the alternative this test uncomments", example)
	}
	alternative = regexp.MustCompile(`(?m)^#( |$)`).ReplaceAllString(alternative[strings.Index(alternative, "\n"):], "")
	opts := testEmulator.Options()
	vars := config.Variables{
		"tenant_id":     config.StringVariable(opts.TenantID),
		"client_id":     config.StringVariable(opts.ClientID),
		"client_secret": config.StringVariable(opts.ClientSecret),
	}
	targeted := emulator.Policy{
		State:          "enabled",
		IncludeTargets: []emulator.PolicyTarget{{ID: "7b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8", TargetType: "group", IsRegistrationRequired: true}},
		ExcludeTargets: []emulator.PolicyTarget{{ID: "0f1e2d3c-4b5a-4968-8776-655443322110", TargetType: "group"}},
	}
	apply := pageApply(testAccPageExample(t, example, map[string]string{"provider.tf": string(providerPage)}), vars,
		emulatorCheck(testAccCheckEmulatorPolicy(testAccEnabledForAllUsers)))
	steps := append([]resource.TestStep{apply}, testAccImportSteps(t, example, apply)...)
	steps = append(steps,
		pageApply(testAccPageExample(t, example, map[string]string{"provider.tf": string(providerPage), "resource.tf": alternative}), vars,
			emulatorCheck(testAccCheckEmulatorPolicy(targeted))),
		testAccExampleDestroyStep(testAccCheckEmulatorPolicy(targeted)))
	resource.Test(t, pageTestCase(t, tfversion.SkipBelow(tfversion.Version1_11_0), nil, steps...))
}

// The token page's example: three tokens in the inventory, the spare's write-only seed kept out of the state, the
// hex seed converted; then imported by object id and by serial number.
func TestAccPageExample_hardwareToken(t *testing.T) {
	const example = "resources/entraoath_hardware_token"
	serials := []string{"60234567", "60234568", "GALT11420104"}
	testAccPageFixture(t, nil, nil, serials...)
	desk, spare := testAccSeed(), testAccSeed()
	token := func(serial, manufacturer, model, name, seed string, period int, hash string) resource.TestCheckFunc {
		return testAccCheckEmulatorToken(emulator.Device{SerialNumber: serial, Manufacturer: manufacturer, Model: model, DisplayName: name,
			SecretKey: seed, TimeIntervalInSeconds: period, HashFunction: hash, Status: emulator.StatusAvailable})
	}
	apply := pageApply(testAccPageExample(t, example, nil),
		config.Variables{"desk_token_seed": config.StringVariable(desk), "spare_token_seed": config.StringVariable(spare)},
		stateExcludes{spare},
		emulatorCheck(resource.ComposeAggregateTestCheckFunc(
			token("60234567", "Token2", "C302-i", "Front desk", desk, 30, emulator.HashSHA1),
			token("60234568", "Token2", "C302-i", "", spare, 60, emulator.HashSHA256),
			token("GALT11420104", "Thales", "OTP 110 Token", "", rfcSeedSHA1, 30, emulator.HashSHA1))))
	resource.Test(t, pageTestCase(t, tfversion.SkipBelow(tfversion.Version1_11_0), testAccCheckNoEmulatorTokens(serials),
		append([]resource.TestStep{apply}, testAccImportSteps(t, example, apply, "secret_key")...)...))
}

// The assignment page's example: Amy's new token activated with its seed, Bob's existing token with a write-only
// seed, Carol's assigned only; Amy's assignment imported by user principal name and token id. Destroying the
// assignments returns the tokens the example did not create to the inventory.
func TestAccPageExample_hardwareTokenAssignment(t *testing.T) {
	const example = "resources/entraoath_hardware_token_assignment"
	bobToken := pageToken("6c0272a7-8a5e-490c-bc45-9fe7a42fc4e0", "60234580", "", emulator.StatusAvailable)
	carolToken := pageToken("aad49556-1f3e-4c4b-8a55-0d2b6e7f9c10", "60234581", "", emulator.StatusAvailable)
	users := testAccPageFixture(t, map[string]string{
		"amy@contoso.com":   "",
		"bob@contoso.com":   "0cadbf92-7e3a-4c1b-9a8e-5f2d3b1c4a6e",
		"carol@contoso.com": "",
	}, []emulator.Device{bobToken, carolToken}, "60234567")
	amySeed := testAccSeed()
	amyToken := func(*terraform.State) error {
		if err := testAccCheckSerial("60234567", emulator.StatusActivated, users["amy@contoso.com"].ID)(nil); err != nil {
			return err
		}
		if d := testEmulator.DevicesBySerial("60234567")[0]; d.DisplayName != "Amy's Token2" {
			return fmt.Errorf("Amy's token is named %q", d.DisplayName)
		}
		return nil
	}
	apply := pageApply(testAccPageExample(t, example, nil),
		config.Variables{"amy_token_seed": config.StringVariable(amySeed), "bob_token_seed": config.StringVariable(bobToken.SecretKey)},
		stateExcludes{bobToken.SecretKey},
		emulatorCheck(resource.ComposeAggregateTestCheckFunc(amyToken,
			testAccCheckToken(bobToken.ID, emulator.StatusActivated, users["bob@contoso.com"].ID),
			testAccCheckToken(carolToken.ID, emulator.StatusAssigned, users["carol@contoso.com"].ID))))
	resource.Test(t, pageTestCase(t, tfversion.SkipBelow(tfversion.Version1_11_0),
		resource.ComposeAggregateTestCheckFunc(testAccCheckNoEmulatorToken("60234567"),
			testAccCheckTokenReturned(bobToken.ID), testAccCheckTokenReturned(carolToken.ID)),
		append([]resource.TestStep{apply},
			testAccImportSteps(t, example, apply, append([]string{"user_id", "serial_number"}, testAccAssignmentImportIgnore...)...)...)...))
}

// The fleet page's example: one apply creates the three tokens, activates Amy's, assigns Ben's; the postcondition
// holds. The fleet is then imported by its serial numbers and by the page's filter.
func TestAccPageExample_hardwareTokenFleet(t *testing.T) {
	const example = "resources/entraoath_hardware_token_fleet"
	serials := []string{"60234567", "60234568", "60234569"}
	users := testAccPageFixture(t, map[string]string{"amy@contoso.com": "", "ben@contoso.com": ""}, nil, serials...)
	seeds := config.Variables{}
	var values []string
	for _, serial := range serials {
		values = append(values, testAccSeed())
		seeds[serial] = config.StringVariable(values[len(values)-1])
	}
	apply := pageApply(testAccPageExample(t, example, nil), config.Variables{"seeds": config.MapVariable(seeds)},
		append(testAccSeedsNotInState(values),
			statecheck.ExpectKnownValue("entraoath_hardware_token_fleet.site_a", tfjsonpath.New("failed_serial_numbers"), knownvalue.ListExact(nil)),
			emulatorCheck(resource.ComposeAggregateTestCheckFunc(
				testAccCheckSerial("60234567", emulator.StatusActivated, users["amy@contoso.com"].ID),
				testAccCheckSerial("60234568", emulator.StatusAssigned, users["ben@contoso.com"].ID),
				testAccCheckSerial("60234569", emulator.StatusAvailable, ""),
				testAccCheckTokenSettings("60234569", 60, emulator.HashSHA256))))...)
	imports := testAccImportSteps(t, example, apply, "secret_keys_wo_version")
	for i := range imports {
		imports[i].ImportStateVerifyIdentifierAttribute = "concurrency" // the fleet has no id attribute
		if id, _ := imports[i].ImportStateIdFunc(nil); strings.Contains(id, "=") {
			// The filter also matches tokens that tests running in parallel hold: check the example's own.
			imports[i].ImportStateVerify, imports[i].ImportStateCheck = false, importedSerials(serials)
		}
	}
	resource.Test(t, pageTestCase(t, tfversion.SkipBelow(tfversion.Version1_11_0), testAccCheckNoEmulatorTokens(serials),
		append([]resource.TestStep{apply}, imports...)...))
}

// importedSerials checks that an imported fleet holds each serial's token as the emulator has it.
func importedSerials(serials []string) resource.ImportStateCheckFunc {
	return func(states []*terraform.InstanceState) error {
		if len(states) != 1 {
			return fmt.Errorf("imported %d objects, want 1 fleet", len(states))
		}
		for _, serial := range serials {
			d := testEmulator.DevicesBySerial(serial)
			attrs := states[0].Attributes
			if len(d) != 1 || attrs["tokens."+serial+".id"] != d[0].ID || attrs["tokens."+serial+".status"] != d[0].Status {
				return fmt.Errorf("serial %s: imported id %q, status %q; the emulator holds %+v", serial,
					attrs["tokens."+serial+".id"], attrs["tokens."+serial+".status"], d)
			}
		}
		return nil
	}
}

// emulatorSerials accepts a list of serial numbers, or of tokens with a serial_number, that is what the
// emulator's tokens kept by the function are when the check runs, in order of serial number.
type emulatorSerials func(emulator.Device) bool

func (keep emulatorSerials) CheckValue(v any) error {
	list, _ := v.([]any)
	var got, want []string
	for _, e := range list {
		if token, ok := e.(map[string]any); ok {
			e = token["serial_number"]
		}
		s, _ := e.(string)
		got = append(got, s)
	}
	for _, d := range testEmulator.Devices() {
		if keep(d) {
			want = append(want, d.SerialNumber)
		}
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("serial numbers %v, want %v", got, want)
	}
	return nil
}

func (emulatorSerials) String() string { return "the emulator's tokens" }

// The data source pages' examples on an inventory with Amy's activated token 60234567 (the id the pages show)
// and a spare 60234568: each lookup and filter finds what the emulator holds.
func TestAccPageExample_dataSources(t *testing.T) {
	const amyID = "0cadbf92-7e3a-4c1b-9a8e-5f2d3b1c4a6e"
	testAccPageFixture(t, map[string]string{"amy@contoso.com": amyID}, []emulator.Device{
		pageToken(pageTokenID, "60234567", "amy@contoso.com", emulator.StatusActivated),
		pageToken("", "60234568", "", emulator.StatusAvailable),
	})
	resource.Test(t, pageTestCase(t, tfversion.SkipBelow(tfversion.Version1_0_0), nil,
		pageApply(testAccPageExample(t, "data-sources/entraoath_hardware_token", nil), nil,
			statecheck.ExpectKnownOutputValue("desk_token", knownvalue.ObjectExact(map[string]knownvalue.Check{
				"status":           knownvalue.StringExact(emulator.StatusActivated),
				"assigned_user_id": knownvalue.StringExact(amyID),
			})),
			statecheck.ExpectKnownValue("data.entraoath_hardware_token.by_id", tfjsonpath.New("serial_number"), knownvalue.StringExact("60234567"))),
		pageApply(testAccPageExample(t, "data-sources/entraoath_hardware_tokens", nil), nil,
			statecheck.ExpectKnownOutputValue("spare_serial_numbers", emulatorSerials(func(d emulator.Device) bool {
				return d.Status == emulator.StatusAvailable && d.Manufacturer == "Token2" && d.Model == "C302-i"
			})),
			statecheck.ExpectKnownValue("data.entraoath_hardware_tokens.amy", tfjsonpath.New("tokens"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.ObjectPartial(map[string]knownvalue.Check{"serial_number": knownvalue.StringExact("60234567")}),
			})),
			statecheck.ExpectKnownValue("data.entraoath_hardware_tokens.all", tfjsonpath.New("tokens"),
				emulatorSerials(func(emulator.Device) bool { return true }))),
	))
}

// stateCheckFunc is a state check written as a function.
type stateCheckFunc func(statecheck.CheckStateRequest) error

func (f stateCheckFunc) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(req)
}

// programmedToken checks the token P-0001 of the programmable-token examples: its seed is random_bytes.seed's,
// in Base32, and the burn_uri output, when there is one, is that seed's URI.
var programmedToken stateCheckFunc = func(req statecheck.CheckStateRequest) error {
	var seed string
	for _, r := range req.State.Values.RootModule.Resources {
		if r.Address == "random_bytes.seed" {
			b32, err := totp.HexToBase32(fmt.Sprint(r.AttributeValues["hex"]))
			if err != nil {
				return err
			}
			seed = b32
		}
	}
	tokens := testEmulator.DevicesBySerial("P-0001")
	if len(tokens) != 1 || tokens[0].SecretKey != seed || tokens[0].Model != "miniOTP-2" {
		return fmt.Errorf("the emulator holds %d tokens P-0001, want one miniOTP-2 with random_bytes.seed's seed", len(tokens))
	}
	if uri, ok := req.State.Values.Outputs["burn_uri"]; ok &&
		uri.Value != "otpauth://totp/Contoso:P-0001?secret="+seed+"&issuer=Contoso&algorithm=SHA1&digits=6&period=30" {
		return fmt.Errorf("burn_uri is not the URI of P-0001's seed")
	}
	return nil
}

// The function pages' examples, with a stand-in for hashicorp/random's random_bytes (no registry is reached). parse_token_csv's page reads
// tokens.csv, which it shows in a comment, and a hex vendor file, which it does not.
func TestAccPageExample_functions(t *testing.T) {
	factories := maps.Clone(testAccProtoV6ProviderFactories)
	factories["random"] = providerserver.NewProtocol6WithError(randomStandIn{})
	page, err := os.ReadFile(filepath.Join(examplesDir, "functions", "parse_token_csv", "function.tf"))
	must(t, err)
	var csv string
	for _, m := range regexp.MustCompile(`(?m)^#   (.*)$`).FindAllStringSubmatch(string(page), -1) {
		csv += m[1] + "\n"
	}
	// What a reader adds for random_bytes: its source; the harness serves the stand-in under its own namespace.
	random := map[string]string{"provider.tf": strings.Replace(testAccProviderBlock, "required_providers {\n",
		"required_providers {\n    random = {\n      source = \"entraoath/random\"\n    }\n", 1)}
	vendorToken := func(serial, seed string) resource.TestCheckFunc {
		return testAccCheckEmulatorToken(emulator.Device{SerialNumber: serial, Manufacturer: "Token2", Model: "C302-i", SecretKey: seed,
			TimeIntervalInSeconds: 30, HashFunction: emulator.HashSHA1, Status: emulator.StatusAvailable})
	}
	for _, c := range []struct {
		function string
		files    map[string]string
		serials  []string
		checks   []statecheck.StateCheck
	}{
		{function: "hex_to_base32", files: random, serials: []string{"P-0001"}, checks: []statecheck.StateCheck{
			statecheck.ExpectKnownOutputValue("seed", knownvalue.StringExact(rfcSeedSHA1)), programmedToken}},
		{function: "otpauth_uri", files: random, serials: []string{"P-0001"}, checks: []statecheck.StateCheck{programmedToken}},
		{function: "totp_code", checks: []statecheck.StateCheck{statecheck.ExpectKnownOutputValue("code", knownvalue.StringExact("005924"))}},
		{
			function: "parse_token_csv",
			files:    map[string]string{"tokens.csv": csv, "feitian.csv": "serial number,secret key,manufacturer,model\nFT-0001," + rfcSeedHex + ",Feitian,c200\n"},
			serials:  []string{"60234567", "60234568"},
			checks: []statecheck.StateCheck{emulatorCheck(resource.ComposeAggregateTestCheckFunc(
				vendorToken("60234567", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), vendorToken("60234568", rfcSeedSHA1)))},
		},
	} {
		t.Run(c.function, func(t *testing.T) {
			testAccPageFixture(t, nil, nil, c.serials...)
			apply := pageApply(testAccPageExample(t, "functions/"+c.function, c.files), nil, c.checks...)
			apply.ProtoV6ProviderFactories = factories
			// parse_token_csv's tokens are for_each instances, which the harness's own destroy cannot handle.
			destroy := testAccExampleDestroyStep(testAccCheckNoEmulatorTokens(c.serials))
			destroy.ProtoV6ProviderFactories = factories
			resource.Test(t, pageTestCase(t, tfversion.SkipBelow(tfversion.Version1_8_0), nil, apply, destroy))
		})
	}
}
