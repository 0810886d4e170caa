package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// faultSuiteTokens is how many tokens (each assigned to its own user and activated) the fault suite applies.
const faultSuiteTokens = 200

// faultSuiteFaults are the faults the suite injects into every Graph call: throttling, unavailability (a 503 that
// did not process the call, on reads and writes alike), writes applied but answered 503 or with a reset connection,
// and a read-after-write lag. Retry-After is 50 ms rather than Graph's usual seconds so the suite fits CI's two
// cores; the client honours it the same way.
var faultSuiteFaults = emulator.Faults{
	ThrottleRate:         0.20,
	UnavailableRate:      0.10,
	RetryAfter:           50 * time.Millisecond,
	AppliedThen503Rate:   0.10,
	AppliedThenResetRate: 0.05,
	VisibilityDelay:      2 * time.Second,
}

// faultSuiteToken is one token of the suite's fleet.
type faultSuiteToken struct {
	serial, seed string
	user         emulator.User
}

// testAccFleet adds n users to the emulator and returns one token for each.
func testAccFleet(t *testing.T, n int) []faultSuiteToken {
	t.Helper()
	fleet := make([]faultSuiteToken, n)
	for i := range fleet {
		fleet[i] = faultSuiteToken{serial: testAccName(t), seed: testAccSeed(), user: testAccUser(t)}
	}
	return fleet
}

// testAccFleetConfig creates every token of fleet with a write-only seed and assigns and activates it for its user;
// providerLines go into the provider block. The seeds come from the sensitive variable seeds, which
// testAccSetFleetSeeds sets, as a real configuration would take them from a secret store rather than literals.
func testAccFleetConfig(fleet []faultSuiteToken, providerLines ...string) string {
	var tokens strings.Builder
	for _, tok := range fleet {
		fmt.Fprintf(&tokens, "    { serial = %q, user = %q },\n", tok.serial, tok.user.UserPrincipalName)
	}
	return fmt.Sprintf(`
provider "entraoath" {
  %s
}

variable "seeds" {
  type      = list(string)
  sensitive = true
}

# count rather than for_each: the harness's legacy state checks do not support string keys.
locals {
  tokens = [
%s  ]
}

resource "entraoath_hardware_token" "fleet" {
  count                 = length(local.tokens)
  serial_number         = local.tokens[count.index].serial
  manufacturer          = "Token2"
  model                 = "C302-i"
  secret_key_wo         = var.seeds[count.index]
  secret_key_wo_version = 1
}

resource "entraoath_hardware_token_assignment" "fleet" {
  count               = length(local.tokens)
  token_id            = entraoath_hardware_token.fleet[count.index].id
  user_principal_name = local.tokens[count.index].user
  secret_key_wo       = var.seeds[count.index]
}
`, strings.Join(providerLines, "\n  "), tokens.String())
}

// testAccSetFleetSeeds passes the fleet's seeds to Terraform in TF_VAR_seeds, for the test's lifetime.
func testAccSetFleetSeeds(t *testing.T, fleet []faultSuiteToken) {
	t.Helper()
	seeds := make([]string, len(fleet))
	for i, tok := range fleet {
		seeds[i] = tok.seed
	}
	raw, err := json.Marshal(seeds)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TF_VAR_seeds", string(raw))
}

// testAccCheckFleet asserts that the emulator holds exactly one device per serial number of fleet, activated for
// its user, and returns how many serial numbers have more than one device.
func testAccCheckFleet(fleet []faultSuiteToken) (duplicates int, err error) {
	var problems []string
	for _, tok := range fleet {
		devices := testEmulator.DevicesBySerial(tok.serial)
		switch {
		case len(devices) > 1:
			duplicates++
			problems = append(problems, fmt.Sprintf("%s: %d devices", tok.serial, len(devices)))
		case len(devices) == 0:
			problems = append(problems, tok.serial+": no device")
		case devices[0].Status != emulator.StatusActivated || devices[0].AssignedToID != tok.user.ID:
			problems = append(problems, fmt.Sprintf("%s: status %s, assigned to %q (want activated for %s)",
				tok.serial, devices[0].Status, devices[0].AssignedToID, tok.user.ID))
		}
	}
	if len(problems) > 0 {
		err = fmt.Errorf("%d of %d tokens are wrong:\n%s", len(problems), len(fleet), strings.Join(problems, "\n"))
	}
	return duplicates, err
}

// TestAccFaultSuite applies a fleet of tokens with assignments and activation in one apply while the emulator
// throttles, fails, applies writes but answers them with an error, and shows writes late; the apply must converge,
// create no token twice and leave none outside the state, the next plan must be empty, and destroy must leave
// nothing. It runs with Graph refusing a second token with a serial number and with Graph accepting it (both are
// guesses), with the provider's default max_retries. Not parallel: the faults apply to every test.
func TestAccFaultSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault suite applies 200 tokens twice")
	}
	for _, refuse := range []bool{true, false} {
		t.Run(map[bool]string{true: "duplicate serials refused", false: "duplicate serials accepted"}[refuse], func(t *testing.T) {
			testAccFaultSuite(t, refuse)
		})
	}
}

func testAccFaultSuite(t *testing.T, refuseDuplicateSerials bool) {
	fleet := testAccFleet(t, faultSuiteTokens)
	testAccSetFleetSeeds(t, fleet)
	start := time.Now()
	var applied map[string]int
	var appliedRequests map[string]int
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		PreCheck: func() {
			testAccPreCheck(t)
			variants := testEmulator.Variants()
			t.Cleanup(func() { testEmulator.SetVariants(variants) })
			v := variants
			v.RefuseDuplicateSerial = refuseDuplicateSerials
			testEmulator.SetVariants(v)
			testEmulator.ResetRequests()
			testEmulator.SetFaults(faultSuiteFaults)
			t.Cleanup(func() { testEmulator.SetFaults(emulator.Faults{}) })
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			for _, tok := range fleet {
				if n := len(testEmulator.DevicesBySerial(tok.serial)); n != 0 {
					return fmt.Errorf("destroy left %d devices with serial number %s", n, tok.serial)
				}
			}
			total := testEmulator.FaultsInjected()
			t.Logf("fault suite (%s): apply, plan and destroy of %d tokens + %d assignments took %v; faults injected in total: "+
				"%d x 429, %d x 503, %d writes applied then 503, %d writes applied then reset; %d Graph requests",
				t.Name(), len(fleet), len(fleet), time.Since(start).Round(time.Millisecond), total["429"], total["503"],
				total["applied-503"], total["applied-reset"], requestCount())
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: testAccFleetConfig(fleet),
				Check: func(state *terraform.State) error {
					duplicates, err := testAccCheckFleet(fleet)
					applied, appliedRequests = testEmulator.FaultsInjected(), testEmulator.Requests()
					const creates = "POST /beta/directory/authenticationMethodDevices/hardwareOathDevices"
					t.Logf("fault suite (%s): one apply of %d tokens, each assigned and activated, under %.0f%% 429 (Retry-After %v), "+
						"%.0f%% 503, %.0f%% of writes applied then 503, %.0f%% applied then reset, %v read-after-write lag: "+
						"%d x 429 and %d x 503 waited out by the client; %d writes applied but answered 503 and %d with a reset "+
						"connection, which the provider read back and adopted; %d creates sent for %d tokens; %d Graph requests; "+
						"%d duplicate tokens; %v",
						t.Name(), len(fleet), 100*faultSuiteFaults.ThrottleRate, faultSuiteFaults.RetryAfter, 100*faultSuiteFaults.UnavailableRate,
						100*faultSuiteFaults.AppliedThen503Rate, 100*faultSuiteFaults.AppliedThenResetRate, faultSuiteFaults.VisibilityDelay,
						applied["429"], applied["503"], applied["applied-503"], applied["applied-reset"], appliedRequests[creates], len(fleet),
						requestCount(), duplicates, time.Since(start).Round(time.Millisecond))
					if err == nil {
						err = testAccCheckNoStrayTokens(state, fleet)
					}
					return err
				},
				// Also checked by the harness after every apply; stated here because it is the point of the suite.
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
	if applied["429"] == 0 || applied["503"] == 0 || applied["applied-503"] == 0 || applied["applied-reset"] == 0 {
		t.Errorf("the apply met no fault of some kind (%v): the suite proves nothing", applied)
	}
}

// testAccCheckNoStrayTokens fails when the emulator holds a token with one of the fleet's serial numbers that is not
// in the state.
func testAccCheckNoStrayTokens(state *terraform.State, fleet []faultSuiteToken) error {
	inState := map[string]bool{}
	for _, r := range state.RootModule().Resources {
		if r.Type == "entraoath_hardware_token" {
			inState[r.Primary.ID] = true
		}
	}
	serials := map[string]bool{}
	for _, tok := range fleet {
		serials[tok.serial] = true
	}
	for _, d := range testEmulator.Devices() {
		if serials[d.SerialNumber] && !inState[d.ID] {
			return fmt.Errorf("token %s (serial number %s) is in the tenant but not in the state", d.ID, d.SerialNumber)
		}
	}
	return nil
}

// requestCount is how many Graph calls the emulator has answered since its counts were reset.
func requestCount() int {
	n := 0
	for key, c := range testEmulator.Requests() {
		if !strings.Contains(key, "/oauth2/") {
			n += c
		}
	}
	return n
}

// TestAccSecretHygiene_traceLog applies, plans and destroys tokens and activated assignments with TF_LOG=TRACE while
// the emulator throttles and loses answers (so retries, look-ups and their warnings are logged too), then searches
// the whole log, Terraform's and the provider's, for every seed (as configured and as sent to Graph) and for the
// client secret. Not parallel: the log settings and faults are the whole process's.
func TestAccSecretHygiene_traceLog(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "trace.log")
	// TF_ACC_LOG_PATH sends Terraform's log and, through the harness's log sink, the in-process provider's to one file.
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)

	fleet := testAccFleet(t, 4)
	// Seeds as a vendor file may print them: lower case in groups, which the provider normalises before sending.
	var secrets []string
	for i := range fleet {
		normalised := fleet[i].seed
		fleet[i].seed = strings.ToLower(strings.Join(regexp.MustCompile(".{4}").FindAllString(normalised, -1), " "))
		secrets = append(secrets, fleet[i].seed, normalised)
	}
	secrets = append(secrets, testEmulator.Options().ClientSecret)
	testAccSetFleetSeeds(t, fleet)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		PreCheck: func() {
			testAccPreCheck(t)
			testEmulator.SetFaults(emulator.Faults{ThrottleRate: 0.2, RetryAfter: 50 * time.Millisecond, LostWriteRate: 0.1})
			t.Cleanup(func() { testEmulator.SetFaults(emulator.Faults{}) })
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Write-only seeds, as recommended.
				Config: testAccFleetConfig(fleet, "max_retries = 10"),
				Check:  func(*terraform.State) error { _, err := testAccCheckFleet(fleet); return err },
			},
			{
				// Seeds in the state (sensitive): the plan and refresh handle them too.
				Config: strings.NewReplacer("secret_key_wo_version = 1", "", "secret_key_wo", "secret_key").
					Replace(testAccFleetConfig(fleet, "max_retries = 10")),
			},
		},
	})

	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := strings.ToUpper(string(raw))
	// The provider's own debug lines must be in the file, or the search proves nothing.
	for _, want := range []string{"MICROSOFT GRAPH REQUEST", "CALLING PROVIDER DEFINED RESOURCE CREATE", "[TRACE]"} {
		if !strings.Contains(log, want) {
			t.Fatalf("the TRACE log (%d bytes) has no %q line: it does not capture what the search needs", len(raw), want)
		}
	}
	found := 0
	for _, s := range secrets {
		if n := strings.Count(log, strings.ToUpper(s)); n > 0 {
			found++
			t.Errorf("a secret (seed or client secret) appears %d times in the TRACE log", n)
		}
	}
	t.Logf("secret hygiene: searched %d bytes of TF_LOG=TRACE output (Terraform and provider) for %d seeds, raw and normalised, "+
		"and the client secret: %d found", len(raw), len(fleet), found)
}
