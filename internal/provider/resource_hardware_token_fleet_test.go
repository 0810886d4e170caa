package provider

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"
	acc "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

const testAccFleetAddr = "entraoath_hardware_token_fleet.test"

// fleetEntry is one token of a test fleet: its user ("" for none) and seed.
type fleetEntry struct {
	upn, seed string
	activate  *bool
}

// testAccTokenFleetConfig writes a fleet of entries keyed by serial number, seeds in seedsAttr (secret_keys or
// secret_keys_wo; "" for none).
func testAccTokenFleetConfig(entries map[string]fleetEntry, seedsAttr string) string {
	serials := make([]string, 0, len(entries))
	for s := range entries {
		serials = append(serials, s)
	}
	sort.Strings(serials)
	var tokens, seeds strings.Builder
	for _, s := range serials {
		e := entries[s]
		fmt.Fprintf(&tokens, "    %q = { manufacturer = \"Token2\", model = \"C302-i\"", s)
		if e.upn != "" {
			fmt.Fprintf(&tokens, ", user_principal_name = %q", e.upn)
		}
		if e.activate != nil {
			fmt.Fprintf(&tokens, ", activate = %t", *e.activate)
		}
		tokens.WriteString(" }\n")
		fmt.Fprintf(&seeds, "    %q = %q\n", s, e.seed)
	}
	seedBlock := ""
	if seedsAttr != "" {
		seedBlock = fmt.Sprintf("  %s = {\n%s  }\n", seedsAttr, seeds.String())
	}
	return fmt.Sprintf("resource \"entraoath_hardware_token_fleet\" \"test\" {\n  tokens = {\n%s  }\n%s}\n", tokens.String(), seedBlock)
}

// testAccTokenFleetSerials returns n fresh serial numbers.
func testAccTokenFleetSerials(t *testing.T, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = testAccName(t)
	}
	return out
}

// testAccCheckSerial asserts the emulator's one token with serial: its status and holder ("" for nobody).
func testAccCheckSerial(serial, status, holder string) acc.TestCheckFunc {
	return func(*terraform.State) error {
		found := testEmulator.DevicesBySerial(serial)
		if len(found) != 1 {
			return fmt.Errorf("serial %s: %d tokens in the emulator, want 1", serial, len(found))
		}
		return testAccCheckToken(found[0].ID, status, holder)(nil)
	}
}

// testAccCheckSerialsGone asserts that the emulator holds no token with any of serials.
func testAccCheckSerialsGone(serials ...string) acc.TestCheckFunc {
	return func(*terraform.State) error {
		for _, s := range serials {
			if n := len(testEmulator.DevicesBySerial(s)); n != 0 {
				return fmt.Errorf("serial %s: %d tokens left in the emulator", s, n)
			}
		}
		return nil
	}
}

func fleetStatus(serial string) tfjsonpath.Path {
	return tfjsonpath.New("tokens").AtMapKey(serial).AtMapKey("status")
}

func fleetID(serial string) tfjsonpath.Path {
	return tfjsonpath.New("tokens").AtMapKey(serial).AtMapKey("id")
}

// testAccFleetFailed asserts that failed_serial_numbers holds exactly serials.
func testAccFleetFailed(serials ...string) statecheck.StateCheck {
	checks := make([]knownvalue.Check, len(serials))
	for i, serial := range serials {
		checks[i] = knownvalue.StringExact(serial)
	}
	return statecheck.ExpectKnownValue(testAccFleetAddr, tfjsonpath.New("failed_serial_numbers"), knownvalue.SetExact(checks))
}

// One fleet creates, assigns and activates its tokens; drift of two entries shows as changes of those entries only
// (an in-place update of the fleet) and the apply repairs them; a removed entry's token is unassigned and deleted.
func TestAccHardwareTokenFleet_lifecycle(t *testing.T) {
	amy, ben := testAccUser(t), testAccUser(t)
	s := testAccTokenFleetSerials(t, 3)
	entries := map[string]fleetEntry{
		s[0]: {upn: amy.UserPrincipalName, seed: testAccSeed()},
		s[1]: {upn: ben.UserPrincipalName, seed: testAccSeed()},
		s[2]: {seed: testAccSeed()},
	}
	withoutLast := map[string]fleetEntry{s[0]: entries[s[0]], s[1]: entries[s[1]]}
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckSerialsGone(s...),
		Steps: []acc.TestStep{
			{
				Config: testAccTokenFleetConfig(entries, "secret_keys"),
				Check: acc.ComposeAggregateTestCheckFunc(
					testAccCheckSerial(s[0], emulator.StatusActivated, amy.ID),
					testAccCheckSerial(s[1], emulator.StatusActivated, ben.ID),
					testAccCheckSerial(s[2], emulator.StatusAvailable, ""),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetStatus(s[0]), knownvalue.StringExact("activated")),
					statecheck.ExpectKnownValue(testAccFleetAddr, tfjsonpath.New("tokens").AtMapKey(s[0]).AtMapKey("user_id"), knownvalue.StringExact(amy.ID)),
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetStatus(s[2]), knownvalue.StringExact("available")),
				},
			},
			{
				// Out of band: s[0] deactivated, s[1] unassigned, s[2] deleted.
				PreConfig: func() {
					must(t, testEmulator.Deactivate(testEmulator.DevicesBySerial(s[0])[0].ID))
					must(t, testEmulator.Unassign(testEmulator.DevicesBySerial(s[1])[0].ID))
					must(t, testEmulator.DeleteDevice(testEmulator.DevicesBySerial(s[2])[0].ID))
				},
				Config: testAccTokenFleetConfig(entries, "secret_keys"),
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAccFleetAddr, fleetStatus(s[0]), knownvalue.StringExact("activated")),
					plancheck.ExpectKnownValue(testAccFleetAddr, fleetStatus(s[1]), knownvalue.StringExact("activated")),
					plancheck.ExpectUnknownValue(testAccFleetAddr, tfjsonpath.New("tokens").AtMapKey(s[2]).AtMapKey("id")),
				}},
				Check: acc.ComposeAggregateTestCheckFunc(
					testAccCheckSerial(s[0], emulator.StatusActivated, amy.ID),
					testAccCheckSerial(s[1], emulator.StatusActivated, ben.ID),
					testAccCheckSerial(s[2], emulator.StatusAvailable, ""),
				),
			},
			{
				// Once the tokens exist and are activated, no seed is needed.
				Config:            testAccTokenFleetConfig(entries, ""),
				ConfigPlanChecks:  acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(testAccFleetAddr, fleetStatus(s[1]), knownvalue.StringExact("activated"))},
			},
			{
				Config: testAccTokenFleetConfig(withoutLast, ""),
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionUpdate),
				}},
				Check: testAccCheckSerialsGone(s[2]),
			},
		},
	})
}

// A token reassigned to someone else out of band is planned back to its configured user, without replacing
// anything, and the write-only seeds work like the stored ones.
func TestAccHardwareTokenFleet_reassignedWriteOnly(t *testing.T) {
	amy, eve := testAccUser(t), testAccUser(t)
	s := testAccTokenFleetSerials(t, 2)
	entries := map[string]fleetEntry{
		s[0]: {upn: amy.UserPrincipalName, seed: testAccSeed()},
		s[1]: {upn: amy.UserPrincipalName, seed: testAccSeed(), activate: new(false)},
	}
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		CheckDestroy:             testAccCheckSerialsGone(s...),
		Steps: []acc.TestStep{
			{
				Config: testAccTokenFleetConfig(entries, "secret_keys_wo"),
				Check: acc.ComposeAggregateTestCheckFunc(
					testAccCheckSerial(s[0], emulator.StatusActivated, amy.ID),
					testAccCheckSerial(s[1], emulator.StatusAssigned, amy.ID),
				),
			},
			{
				PreConfig: func() {
					id := testEmulator.DevicesBySerial(s[0])[0].ID
					must(t, testEmulator.Unassign(id))
					must(t, testEmulator.Assign(id, eve.ID))
				},
				Config: testAccTokenFleetConfig(entries, "secret_keys_wo"),
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(testAccFleetAddr, tfjsonpath.New("tokens").AtMapKey(s[0]).AtMapKey("user_id")),
				}},
				Check: testAccCheckSerial(s[0], emulator.StatusActivated, amy.ID),
			},
		},
	})
}

// testAccFleetWithLateUser is a fleet of n serials: the first for amy, the second for a user who does not exist
// until the test adds them (late), the others unassigned.
func testAccFleetWithLateUser(t *testing.T, n int) (amy emulator.User, late string, s []string, entries map[string]fleetEntry) {
	amy, late, s = testAccUser(t), testAccName(t)+"@contoso.example", testAccTokenFleetSerials(t, n)
	entries = map[string]fleetEntry{s[0]: {upn: amy.UserPrincipalName, seed: testAccSeed()}, s[1]: {upn: late, seed: testAccSeed()}}
	for _, serial := range s[2:] {
		entries[serial] = fleetEntry{seed: testAccSeed()}
	}
	return amy, late, s, entries
}

// When some tokens fail, the state records what exists and the fleet is never tainted: the create reports the
// failed serial as a warning, later applies as an error (non-zero exit), every plan is an in-place update, and the
// apply after the cause is fixed does only what is left.
func TestAccHardwareTokenFleet_partialFailure(t *testing.T) {
	amy, late, s, entries := testAccFleetWithLateUser(t, 3)
	notReplaced := acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionUpdate)}}
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckSerialsGone(s...),
		Steps: []acc.TestStep{
			{
				Config:             testAccTokenFleetConfig(entries, "secret_keys"),
				ExpectNonEmptyPlan: true, // the failed entry is still to do
				Check: acc.ComposeAggregateTestCheckFunc(
					testAccCheckSerial(s[0], emulator.StatusActivated, amy.ID),
					testAccCheckSerial(s[1], emulator.StatusAvailable, ""), // created, not assigned
					testAccCheckSerial(s[2], emulator.StatusAvailable, ""),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetStatus(s[1]), knownvalue.StringExact("available")),
					testAccFleetFailed(s[1]),
				},
			},
			{
				Config:           testAccTokenFleetConfig(entries, "secret_keys"),
				ConfigPlanChecks: notReplaced,
				ExpectError:      testAccErrorPattern(regexp.QuoteMeta(s[1]) + `.*user "` + regexp.QuoteMeta(late) + `" was not found`),
			},
			{
				PreConfig:        func() { testEmulator.AddUser(emulator.User{UserPrincipalName: late, DisplayName: late}) },
				Config:           testAccTokenFleetConfig(entries, "secret_keys"),
				ConfigPlanChecks: notReplaced,
				Check: acc.ComposeAggregateTestCheckFunc(
					testAccCheckSerial(s[0], emulator.StatusActivated, amy.ID),
					func(*terraform.State) error {
						u, _ := testEmulator.User(late)
						return testAccCheckSerial(s[1], emulator.StatusActivated, u.ID)(nil)
					},
				),
				ConfigStateChecks: []statecheck.StateCheck{testAccFleetFailed()},
			},
		},
	})
}

// With the documented postcondition on failed_serial_numbers, the apply that creates a fleet fails when a token
// fails, and the fleet is not tainted: the next plan updates it in place and the apply does only what is left.
func TestAccHardwareTokenFleet_partialFailureFailsTheCreate(t *testing.T) {
	amy, late, s, entries := testAccFleetWithLateUser(t, 2)
	config := testAccFleetWithPostcondition(testAccTokenFleetConfig(entries, "secret_keys"))
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckSerialsGone(s...),
		Steps: []acc.TestStep{
			{
				Config:      config,
				ExpectError: regexp.MustCompile(`(?s)postcondition failed.*Tokens not done: ` + regexp.QuoteMeta(s[1])),
			},
			{
				PreConfig: func() {
					for _, check := range []acc.TestCheckFunc{testAccCheckSerial(s[0], emulator.StatusActivated, amy.ID),
						testAccCheckSerial(s[1], emulator.StatusAvailable, "")} {
						if err := check(nil); err != nil {
							t.Errorf("after the failed create: %v", err)
						}
					}
					testEmulator.AddUser(emulator.User{UserPrincipalName: late, DisplayName: late})
				},
				Config: config,
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(testAccFleetAddr, tfjsonpath.New("failed_serial_numbers")),
				}},
				Check: func(*terraform.State) error {
					u, _ := testEmulator.User(late)
					return testAccCheckSerial(s[1], emulator.StatusActivated, u.ID)(nil)
				},
			},
		},
	})
}

// A create whose answer is lost and whose look-up the timeout cuts short leaves Graph's token unknown to the state;
// the next apply adopts that token (the one with the entry's serial number and kind) instead of refusing the serial
// number the inventory now holds, and never creates a second one.
func TestAccHardwareTokenFleet_unconfirmedCreateAdopted(t *testing.T) {
	s := testAccTokenFleetSerials(t, 1)
	fleet := testAccTokenFleetConfig(map[string]fleetEntry{s[0]: {seed: testAccSeed()}}, "secret_keys")
	short := strings.TrimSuffix(fleet, "}\n") + "  timeouts {\n    create = \"2s\"\n  }\n}\n"
	var made string           // the id of the token the unanswered create made
	acc.Test(t, acc.TestCase{ // not parallel: the faults apply to every Graph call
		PreCheck: func() {
			testAccPreCheck(t)
			// The create is applied but answered 504, and the listing shows the token only after the 2 s timeout.
			testEmulator.SetFaults(emulator.Faults{LostWriteRate: 1, VisibilityDelay: 3 * time.Second})
			t.Cleanup(func() { testEmulator.SetFaults(emulator.Faults{}) })
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckSerialsGone(s...),
		Steps: []acc.TestStep{
			{
				Config:             short,
				ExpectNonEmptyPlan: true,
				Check: func(*terraform.State) error {
					found := testEmulator.DevicesBySerial(s[0])
					if len(found) != 1 {
						return fmt.Errorf("the unanswered create made %d tokens, want 1", len(found))
					}
					made = found[0].ID
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					testAccFleetFailed(s[0]),
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetID(s[0]), knownvalue.Null()),
				},
			},
			{
				PreConfig: func() {
					testEmulator.SetFaults(emulator.Faults{})
					time.Sleep(3 * time.Second) // until the listing shows the token
				},
				Config: fleet,
				Check: func(*terraform.State) error {
					if found := testEmulator.DevicesBySerial(s[0]); len(found) != 1 || found[0].ID != made {
						return fmt.Errorf("serial %s: tokens %+v, want only the adopted %s", s[0], found, made)
					}
					return nil
				},
				ConfigStateChecks: []statecheck.StateCheck{
					testAccFleetFailed(),
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetStatus(s[0]), knownvalue.StringExact("available")),
				},
			},
		},
	})
}

// testAccFleetWithPostcondition adds the resource documentation's postcondition to a test fleet's configuration.
func testAccFleetWithPostcondition(config string) string {
	return strings.TrimSuffix(config, "}\n") + `  lifecycle {
    postcondition {
      condition     = length(self.failed_serial_numbers) == 0
      error_message = "Tokens not done: ${join(", ", self.failed_serial_numbers)}. The next apply does only what is left."
    }
  }
}
`
}

// Existing tokens (uploaded and assigned in the portal) are imported by their serial numbers or by a filter,
// with no Graph write: the plan after the import is empty.
func TestAccHardwareTokenFleet_import(t *testing.T) {
	amy := testAccUser(t)
	model := "M" + testAccName(t)
	var serials []string
	entries := map[string]fleetEntry{}
	for i := range 3 {
		d, err := testEmulator.AddDevice(emulator.Device{SerialNumber: testAccName(t), Manufacturer: "Token2", Model: model,
			SecretKey: testAccSeed(), TimeIntervalInSeconds: 30})
		must(t, err)
		serials = append(serials, d.SerialNumber)
		e := fleetEntry{}
		if i < 2 {
			must(t, testEmulator.Assign(d.ID, amy.ID))
			must(t, testEmulator.Activate(d.ID))
			e.upn = amy.UserPrincipalName
		}
		entries[d.SerialNumber] = e
	}
	config := strings.ReplaceAll(testAccTokenFleetConfig(entries, ""), `"C302-i"`, fmt.Sprintf("%q", model))
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_5_0)},
		CheckDestroy:             testAccCheckSerialsGone(serials...),
		Steps: []acc.TestStep{
			{
				// By filter: every token of the model.
				Config: config + fmt.Sprintf("import {\n  to = %s\n  id = \"manufacturer=Token2,model=%s\"\n}\n", testAccFleetAddr, model),
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionNoop),
				}},
				Check: acc.ComposeAggregateTestCheckFunc(
					testAccCheckSerial(serials[0], emulator.StatusActivated, amy.ID),
					testAccCheckSerial(serials[2], emulator.StatusAvailable, ""),
				),
			},
			{
				ResourceName:      testAccFleetAddr,
				ImportState:       true,
				ImportStateId:     strings.Join(serials, ","),
				ImportStateVerify: true,
				// The configuration's seeds and write-only attributes are not read back from Graph.
				ImportStateVerifyIgnore: []string{"secret_keys"},
				// The fleet has no id attribute: the import id names serial numbers. Any attribute that is the same
				// in both states pairs them up.
				ImportStateVerifyIdentifierAttribute: "concurrency",
				Config:                               config,
			},
		},
	})
}

// Tokens managed by per-token resources move into a fleet with removed blocks and an import block: no token is
// destroyed, created or written, and the plan after the move is empty.
func TestAccHardwareTokenFleet_fromPerTokenResources(t *testing.T) {
	amy := testAccUser(t)
	serial, seed := testAccName(t), testAccSeed()
	perToken := testAccPairConfig("a", serial, amy.UserPrincipalName, testAccAttr("secret_key", seed), testAccAttr("secret_key", seed))
	moved := testAccTokenFleetConfig(map[string]fleetEntry{serial: {upn: amy.UserPrincipalName}}, "") + fmt.Sprintf(`
removed {
  from = entraoath_hardware_token_assignment.a
  lifecycle {
    destroy = false
  }
}

removed {
  from = entraoath_hardware_token.a
  lifecycle {
    destroy = false
  }
}

import {
  to = %s
  id = %q
}
`, testAccFleetAddr, serial)
	var tokenID string
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_7_0)},
		CheckDestroy:             testAccCheckSerialsGone(serial),
		Steps: []acc.TestStep{
			{
				Config: perToken,
				Check: func(*terraform.State) error {
					tokenID = testEmulator.DevicesBySerial(serial)[0].ID
					return testAccCheckToken(tokenID, emulator.StatusActivated, amy.ID)(nil)
				},
			},
			{
				Config: moved,
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionNoop),
				}},
				// The same token, still activated for its user: nothing was destroyed or created.
				Check: func(*terraform.State) error { return testAccCheckToken(tokenID, emulator.StatusActivated, amy.ID)(nil) },
			},
		},
	})
}

// Under the reliability suite's fault mix (throttling, 503s, writes applied but answered 503 or with a reset
// connection, read-after-write lag), one apply of a small fleet converges: every token once, activated for its
// user, and the plan right after is empty. The 1,000-token run is in make bench.
func TestAccHardwareTokenFleet_faults(t *testing.T) {
	const n = 5
	entries := map[string]fleetEntry{}
	holders := map[string]string{}
	for range n {
		u, serial := testAccUser(t), testAccName(t)
		entries[serial], holders[serial] = fleetEntry{upn: u.UserPrincipalName, seed: testAccSeed()}, u.ID
	}
	serials := make([]string, 0, n)
	checks := []acc.TestCheckFunc{}
	for serial, id := range holders {
		serials = append(serials, serial)
		checks = append(checks, testAccCheckSerial(serial, emulator.StatusActivated, id))
	}
	acc.Test(t, acc.TestCase{
		PreCheck: func() {
			testAccPreCheck(t)
			testEmulator.SetFaults(faultSuiteFaults)
			t.Cleanup(func() { testEmulator.SetFaults(emulator.Faults{}) })
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckSerialsGone(serials...),
		Steps: []acc.TestStep{{
			Config:           testAccTokenFleetConfig(entries, "secret_keys"),
			ConfigPlanChecks: acc.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			// testAccCheckSerial fails on a second token with the serial number: no duplicates.
			Check: acc.ComposeAggregateTestCheckFunc(checks...),
		}},
	})
}

// The fleet's timeouts bound the whole operation; when one passes, the tokens not done fail like any failed token.
// With concurrency 1 the tokens are done in serial order. The third is for a user who holds five tokens already:
// Graph refuses the assignment, and the provider reads the token for the 5 s consistency window to learn what Graph
// applied, so a 3 s timeout certainly passes while it waits, with no write in flight (the first two tokens take a
// few local requests). The apply that creates the fleet records the third token created and unassigned, the last
// two not created (nothing was sent for them), and lists all three; an update under the same timeout reports each
// of them; the next apply, without the short timeout, does only what is left.
func TestAccHardwareTokenFleet_timeoutPartWay(t *testing.T) {
	amy, full := testAccUser(t), testAccUser(t)
	var fullTokens []emulator.Device
	for range 5 {
		d, err := testEmulator.AddDevice(emulator.Device{SerialNumber: testAccName(t), Manufacturer: "Token2", Model: "C302-i",
			SecretKey: testAccSeed(), TimeIntervalInSeconds: 30, AssignedToID: full.ID})
		must(t, err)
		t.Cleanup(func() { _ = testEmulator.DeleteDevice(d.ID) })
		fullTokens = append(fullTokens, d)
	}
	base := testAccName(t)
	s := []string{base + "1", base + "2", base + "3", base + "4", base + "5"}
	fleet := strings.TrimSuffix(testAccTokenFleetConfig(map[string]fleetEntry{
		s[0]: {upn: amy.UserPrincipalName, seed: testAccSeed()},
		s[1]: {seed: testAccSeed()},
		s[2]: {upn: full.UserPrincipalName, seed: testAccSeed()},
		s[3]: {upn: amy.UserPrincipalName, seed: testAccSeed()},
		s[4]: {seed: testAccSeed()},
	}, "secret_keys"), "}\n") + "  concurrency = 1\n"
	short := fleet + "  timeouts {\n    create = \"3s\"\n    update = \"3s\"\n  }\n}\n"
	notStarted := func(serial string) string {
		return `timeouts.update passed before the provider started on the token with serial number "` + serial +
			`", so it sent nothing to Graph`
	}
	var done map[string]emulator.Device // the first two tokens, as the timed-out applies left them
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckSerialsGone(s...),
		Steps: []acc.TestStep{
			{
				Config:             short,
				ExpectNonEmptyPlan: true,
				Check: acc.ComposeAggregateTestCheckFunc(
					testAccCheckSerial(s[0], emulator.StatusActivated, amy.ID),
					testAccCheckSerial(s[1], emulator.StatusAvailable, ""),
					testAccCheckSerial(s[2], emulator.StatusAvailable, ""), // created; the refused assignment changed nothing
					testAccCheckSerialsGone(s[3], s[4]),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					testAccFleetFailed(s[2], s[3], s[4]),
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetStatus(s[0]), knownvalue.StringExact("activated")),
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetStatus(s[2]), knownvalue.StringExact("available")),
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetID(s[2]), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetID(s[3]), knownvalue.Null()),
					statecheck.ExpectKnownValue(testAccFleetAddr, fleetID(s[4]), knownvalue.Null()),
				},
			},
			{
				Config: short,
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionUpdate),
				}},
				ExpectError: testAccErrorPattern(`serial number "` + regexp.QuoteMeta(s[2]) + `".*maximum of 5 hardware OATH tokens.*` +
					`timeouts.update passed before this token was done.*` + notStarted(s[3]) + `.*` + notStarted(s[4])),
			},
			{
				PreConfig: func() {
					if err := testAccCheckSerialsGone(s[3], s[4])(nil); err != nil {
						t.Errorf("the timed-out update wrote to a token it did not start: %v", err)
					}
					done = map[string]emulator.Device{s[0]: testEmulator.DevicesBySerial(s[0])[0], s[1]: testEmulator.DevicesBySerial(s[1])[0]}
					must(t, testEmulator.Unassign(fullTokens[0].ID)) // room for the third token
				},
				Config: fleet + "}\n",
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAccFleetAddr, fleetID(s[2]), knownvalue.NotNull()),
					plancheck.ExpectUnknownValue(testAccFleetAddr, fleetID(s[3])),
				}},
				Check: acc.ComposeAggregateTestCheckFunc(
					func(*terraform.State) error {
						for serial, before := range done {
							if now := testEmulator.DevicesBySerial(serial); len(now) != 1 || now[0] != before {
								return fmt.Errorf("serial %s: written again or duplicated by the apply that finished the fleet", serial)
							}
						}
						return nil
					},
					testAccCheckSerial(s[2], emulator.StatusActivated, full.ID),
					testAccCheckSerial(s[3], emulator.StatusActivated, amy.ID),
					testAccCheckSerial(s[4], emulator.StatusAvailable, ""),
				),
				ConfigStateChecks: []statecheck.StateCheck{testAccFleetFailed()},
			},
		},
	})
}

// A serial number the inventory holds already (uploaded in the portal) is never created a second time: the entry
// records no id, the other tokens are created, and every apply names the serial and the import that adopts it.
func TestAccHardwareTokenFleet_serialInInventory(t *testing.T) {
	existing := testAccInventoryToken(t, testAccSeed())
	t.Cleanup(func() { _ = testEmulator.DeleteDevice(existing.ID) })
	fresh := testAccName(t)
	entries := map[string]fleetEntry{existing.SerialNumber: {seed: testAccSeed()}, fresh: {seed: testAccSeed()}}
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckSerialsGone(fresh),
		Steps: []acc.TestStep{
			{
				Config:             testAccTokenFleetConfig(entries, "secret_keys"),
				ExpectNonEmptyPlan: true,
				Check: acc.ComposeAggregateTestCheckFunc(
					testAccCheckSerial(fresh, emulator.StatusAvailable, ""),
					testAccCheckSerial(existing.SerialNumber, emulator.StatusAvailable, ""), // still one token
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccFleetAddr, tfjsonpath.New("tokens").AtMapKey(existing.SerialNumber).AtMapKey("id"), knownvalue.Null()),
				},
			},
			{
				Config: testAccTokenFleetConfig(entries, "secret_keys"),
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionUpdate),
				}},
				ExpectError: testAccErrorPattern(`already holds a token with serial number "` + existing.SerialNumber + `"`),
			},
		},
	})
}

// Graph updates only unassigned tokens: a changed model of an activated entry is planned as an in-place update of
// that entry (keeping its id, with a warning), and the apply unassigns, updates, assigns and activates it again.
func TestAccHardwareTokenFleet_assignedTokenUpdated(t *testing.T) {
	amy := testAccUser(t)
	serial := testAccName(t)
	config := testAccTokenFleetConfig(map[string]fleetEntry{serial: {upn: amy.UserPrincipalName, seed: testAccSeed()}}, "secret_keys")
	var id string
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckSerialsGone(serial),
		Steps: []acc.TestStep{
			{
				Config: config,
				Check: func(*terraform.State) error {
					id = testEmulator.DevicesBySerial(serial)[0].ID
					return testAccCheckToken(id, emulator.StatusActivated, amy.ID)(nil)
				},
			},
			{
				Config: strings.ReplaceAll(config, `"C302-i"`, `"C302-ii"`),
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccFleetAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAccFleetAddr, tfjsonpath.New("tokens").AtMapKey(serial).AtMapKey("status"), knownvalue.StringExact("activated")),
				}},
				Check: func(*terraform.State) error {
					d, ok := testEmulator.Device(id)
					if !ok || d.Model != "C302-ii" {
						return fmt.Errorf("token %s: %+v, want the same token with model C302-ii", id, d)
					}
					return testAccCheckToken(id, emulator.StatusActivated, amy.ID)(nil)
				},
			},
		},
	})
}

// Not parallel: it changes the permissions the emulator grants to every test. An import that cannot read a
// token's holder fails, rather than record the holder without a name, which would plan the token's reassignment.
func TestAccHardwareTokenFleet_importHolderUnread(t *testing.T) {
	amy := testAccUser(t)
	token := testAccInventoryToken(t, testAccSeed())
	t.Cleanup(func() { _ = testEmulator.DeleteDevice(token.ID) })
	must(t, testEmulator.Assign(token.ID, amy.ID))
	must(t, testEmulator.Activate(token.ID))
	config := testAccTokenFleetConfig(map[string]fleetEntry{token.SerialNumber: {upn: amy.UserPrincipalName}}, "")
	acc.Test(t, acc.TestCase{
		PreCheck: func() {
			testAccPreCheck(t)
			testEmulator.SetAppPermissions(emulator.PermPolicyReadWriteAuthMethod, emulator.PermUserAuthMethodReadWriteAll)
			t.Cleanup(func() { testEmulator.SetAppPermissions(emulator.DefaultAppPermissions...) })
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_5_0)},
		Steps: []acc.TestStep{{
			Config:      config + fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", testAccFleetAddr, token.SerialNumber),
			ExpectError: testAccErrorPattern(`Unable to Import Hardware Token Fleet.*read user ` + amy.ID + `, who holds the token`),
		}},
	})
}

// An entry naming its user both ways is refused at plan time, naming its serial number.
func TestAccHardwareTokenFleet_bothUserAttributes(t *testing.T) {
	amy, serial := testAccUser(t), testAccName(t)
	config := strings.Replace(testAccTokenFleetConfig(map[string]fleetEntry{serial: {upn: amy.UserPrincipalName, seed: testAccSeed()}}, "secret_keys"),
		"user_principal_name = ", fmt.Sprintf("user_id = %q, user_principal_name = ", amy.ID), 1)
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckSerialsGone(serial),
		Steps: []acc.TestStep{{
			Config:      config,
			ExpectError: testAccErrorPattern(`Invalid Hardware Token Fleet Entry.*serial number "` + regexp.QuoteMeta(serial) + `" sets both user_principal_name and user_id`),
		}},
	})
}

// fleetTokens and fleetEntries, which skip the framework's reflection, agree with it on every attribute.
func TestFleetTokensMatchTheFrameworksConversion(t *testing.T) {
	entries := map[string]fleetToken{
		"A1": {Manufacturer: types.StringValue("Token2"), Model: types.StringValue("C302-i"), TimeInterval: types.Int64Value(60),
			HashFunction: types.StringValue("hmacsha256"), DisplayName: types.StringValue("Amy's token"),
			UserPrincipalName: types.StringValue("amy@contoso.example"), UserID: types.StringValue("u-1"),
			Activate: types.BoolValue(false), ID: types.StringValue("t-1"), Status: types.StringValue("assigned")},
		"B2": {Manufacturer: types.StringValue("Token2"), Model: types.StringValue("C302-i"), TimeInterval: types.Int64Unknown(),
			HashFunction: types.StringNull(), DisplayName: types.StringUnknown(), UserPrincipalName: types.StringNull(),
			UserID: types.StringNull(), Activate: types.BoolNull(), ID: types.StringUnknown(), Status: types.StringUnknown()},
	}
	want, diags := types.MapValueFrom(context.Background(), types.ObjectType{AttrTypes: fleetTokenAttrTypes}, entries)
	if diags.HasError() {
		t.Fatal(diags)
	}
	got := fleetTokens(entries)
	if !got.Equal(want) {
		t.Errorf("fleetTokens = %v, want %v", got, want)
	}
	back := fleetEntries(want)
	for serial, e := range entries {
		if back[serial] == nil || *back[serial] != e {
			t.Errorf("fleetEntries[%s] = %+v, want %+v", serial, back[serial], e)
		}
	}
	if n := len(fleetEntries(types.MapUnknown(types.ObjectType{AttrTypes: fleetTokenAttrTypes}))); n != 0 {
		t.Errorf("an unknown map has %d entries, want 0", n)
	}
}
