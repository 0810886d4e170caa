package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	acc "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// testAccPairConfig is the quickstart's shape for one token: entraoath_hardware_token.<name> and its activated
// assignment to upn. tokenSeed and assignmentSeed are attribute lines ("" for none).
func testAccPairConfig(name, serial, upn, tokenSeed, assignmentSeed string) string {
	return fmt.Sprintf(`
resource "entraoath_hardware_token" %[1]q {
  serial_number = %[2]q
  manufacturer  = "Token2"
  model         = "C302-i"
  %[4]s
}

resource "entraoath_hardware_token_assignment" %[1]q {
  token_id            = entraoath_hardware_token.%[1]s.id
  user_principal_name = %[3]q
  %[5]s
}
`, name, serial, upn, tokenSeed, assignmentSeed)
}

// testAccGraphWrites counts the Graph calls since the last ResetRequests that are not reads (sign-in excluded).
func testAccGraphWrites() map[string]int {
	writes := map[string]int{}
	for key, n := range testEmulator.Requests() {
		if !strings.HasPrefix(key, "GET ") && !strings.Contains(key, "oauth2") {
			writes[key] = n
		}
	}
	return writes
}

func testAccExpectNoGraphWrites(t *testing.T) {
	t.Helper()
	if w := testAccGraphWrites(); len(w) > 0 {
		t.Errorf("the step wrote to Graph: %v", w)
	}
}

// Issue 12 §2: a configuration may drop its seeds once Graph has used them. The plan of unchanged tokens and
// assignments without seeds is empty and writes nothing; when drift needs a new activation, the plan shows it and
// the apply fails on that assignment alone, naming the attribute, while an assignment that has its seed is
// activated again. Sequential: it counts the emulator's requests.
func TestAccHardwareToken_seedsOnlyWhenNeeded(t *testing.T) {
	seedA, seedB := testAccSeed(), testAccSeed()
	serialA, serialB := testAccName(t), testAccName(t)
	amy, bob := testAccUser(t), testAccUser(t)
	withSeeds := testAccPairConfig("a", serialA, amy.UserPrincipalName, testAccAttr("secret_key", seedA), testAccAttr("secret_key", seedA)) +
		testAccPairConfig("b", serialB, bob.UserPrincipalName, testAccAttr("secret_key", seedB), testAccAttr("secret_key", seedB))
	noSeeds := testAccPairConfig("a", serialA, amy.UserPrincipalName, "", "") +
		testAccPairConfig("b", serialB, bob.UserPrincipalName, "", "")
	// Only b's assignment gets its seed back, for the re-activation.
	seedForB := testAccPairConfig("a", serialA, amy.UserPrincipalName, "", "") +
		testAccPairConfig("b", serialB, bob.UserPrincipalName, "", testAccAttr("secret_key", seedB))
	const assignmentA, assignmentB = "entraoath_hardware_token_assignment.a", "entraoath_hardware_token_assignment.b"
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acc.ComposeTestCheckFunc(testAccCheckNoEmulatorToken(serialA), testAccCheckNoEmulatorToken(serialB)),
		Steps: []acc.TestStep{
			{Config: withSeeds},
			{
				// Seeds removed: no change, no replacement, no Graph write.
				PreConfig: testEmulator.ResetRequests,
				Config:    noSeeds,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					if w := testAccGraphWrites(); len(w) > 0 {
						return fmt.Errorf("removing the seeds wrote to Graph: %v", w)
					}
					return nil
				},
			},
			{
				// Both tokens are deactivated in the tenant. The plan shows both re-activations; b has its seed and
				// is activated again, a has none and fails alone, before any Graph write for it.
				PreConfig: func() {
					must(t, testEmulator.Deactivate(testAccTokenID(t, serialA)))
					must(t, testEmulator.Deactivate(testAccTokenID(t, serialB)))
				},
				Config: seedForB,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(assignmentA, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(assignmentA, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)),
						plancheck.ExpectResourceAction(assignmentB, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("entraoath_hardware_token.a", plancheck.ResourceActionNoop),
					},
				},
				ExpectError: testAccErrorPattern(`Missing Hardware Token Seed.*with ` + regexp.QuoteMeta(assignmentA) +
					`.*needs the token's seed.*neither secret_key nor secret_key_wo`),
			},
			{
				PreConfig: func() {
					if d, _ := testEmulator.Device(testAccTokenID(t, serialB)); d.Status != emulator.StatusActivated {
						t.Errorf("b's token is %s; the assignment with a seed should have been activated again", d.Status)
					}
					if d, _ := testEmulator.Device(testAccTokenID(t, serialA)); d.Status != emulator.StatusAssigned || d.AssignedToID != amy.ID {
						t.Errorf("a's token is %s, assigned to %q; want assigned to %s", d.Status, d.AssignedToID, amy.ID)
					}
				},
				// Giving a's seed back finishes the job.
				Config: withSeeds,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(st *terraform.State) error {
					return testAccCheckToken(testAccTokenID(t, serialA), emulator.StatusActivated, amy.ID)(st)
				},
			},
		},
	})
}

// Removing secret_key keeps the token (and its recorded seed): no replacement, no Graph write. A new token without
// a seed still fails at plan, naming the attribute.
func TestAccHardwareToken_removeSeed(t *testing.T) {
	seed, serial := testAccSeed(), testAccName(t)
	base := []string{testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i")}
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []acc.TestStep{
			{Config: testAccTokenConfig(serial, append(base, testAccAttr("secret_key", seed))...)},
			{
				PreConfig: testEmulator.ResetRequests,
				Config:    testAccTokenConfig(serial, base...),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				// The state keeps the seed it recorded: removing the attribute is not a change.
				ConfigStateChecks: []statecheck.StateCheck{testAccTokenValue("secret_key", knownvalue.StringExact(seed))},
				Check: func(*terraform.State) error {
					testAccExpectNoGraphWrites(t)
					return nil
				},
			},
			{
				// A display name change of an unassigned token is an update that keeps the recorded seed.
				Config: testAccTokenConfig(serial, append(base, testAccAttr("display_name", "spare"))...),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{testAccTokenValue("secret_key", knownvalue.StringExact(seed))},
			},
			{
				// A token that must be created again (deleted in the tenant) needs its seed: the plan says so.
				PreConfig:   func() { must(t, testEmulator.DeleteDevice(testAccTokenID(t, serial))) },
				Config:      testAccTokenConfig(serial, append(base, testAccAttr("display_name", "spare"))...),
				PlanOnly:    true,
				ExpectError: testAccErrorPattern(`Missing Hardware Token Seed.*when the provider creates the token.*secret_key`),
			},
		},
	})
}

// An imported token needs no seed in the configuration; adding one only records it, with no Graph write.
func TestAccHardwareToken_importWithoutSeed(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	base := []string{testAccAttr("manufacturer", token.Manufacturer), testAccAttr("model", token.Model)}
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(token.SerialNumber),
		Steps: []acc.TestStep{
			{
				Config:             testAccTokenConfig(token.SerialNumber, base...),
				ResourceName:       testAccTokenAddr,
				ImportState:        true,
				ImportStateId:      token.SerialNumber,
				ImportStatePersist: true,
			},
			{
				// Managed without ever giving the seed.
				Config: testAccTokenConfig(token.SerialNumber, base...),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				PreConfig: testEmulator.ResetRequests,
				Config:    testAccTokenConfig(token.SerialNumber, append(base, testAccAttr("secret_key", seed))...),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: acc.ComposeTestCheckFunc(
					func(*terraform.State) error {
						testAccExpectNoGraphWrites(t)
						return nil
					},
					testAccCheckToken(token.ID, emulator.StatusAvailable, ""),
				),
			},
		},
	})
}

// Issue 11 §4: secret_key -> secret_key_wo with the same seed, and then removing secret_key_wo_version, replace
// nothing: the activated token keeps its id and its holder, and nothing is written to Graph.
func TestAccHardwareToken_migrateToWriteOnlySeed(t *testing.T) {
	seed, serial := testAccSeed(), testAccName(t)
	amy := testAccUser(t)
	plain := testAccPairConfig("a", serial, amy.UserPrincipalName, testAccAttr("secret_key", seed), testAccAttr("secret_key", seed))
	writeOnly := testAccPairConfig("a", serial, amy.UserPrincipalName,
		testAccAttr("secret_key_wo", seed)+"\n  secret_key_wo_version = 1", testAccAttr("secret_key_wo", seed))
	noVersion := testAccPairConfig("a", serial, amy.UserPrincipalName, testAccAttr("secret_key_wo", seed), testAccAttr("secret_key_wo", seed))
	var id string
	const token, assignment = "entraoath_hardware_token.a", "entraoath_hardware_token_assignment.a"
	acc.Test(t, acc.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []acc.TestStep{
			{
				Config: plain,
				Check: func(*terraform.State) error {
					id = testAccTokenID(t, serial)
					return nil
				},
			},
			{
				PreConfig: testEmulator.ResetRequests,
				Config:    writeOnly,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(token, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(assignment, plancheck.ResourceActionUpdate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(token, tfjsonpath.New("secret_key"), knownvalue.Null()),
					statecheck.ExpectKnownValue(assignment, tfjsonpath.New("secret_key"), knownvalue.Null()),
					stateExcludes{seed},
				},
				Check: func(*terraform.State) error {
					testAccExpectNoGraphWrites(t)
					return testAccCheckToken(id, emulator.StatusActivated, amy.ID)(nil)
				},
			},
			{
				PreConfig: testEmulator.ResetRequests,
				Config:    noVersion,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					testAccExpectNoGraphWrites(t)
					return testAccCheckToken(id, emulator.StatusActivated, amy.ID)(nil)
				},
			},
		},
	})
}

// The warning that explains an in-place seed change as "only recorded" appears exactly when a seed attribute is
// set or cleared without a replacement.
func TestWarnSeedOnlyRecorded(t *testing.T) {
	s := func(v string) types.String {
		if v == "" {
			return types.StringNull()
		}
		return types.StringValue(v)
	}
	for _, tc := range []struct {
		name        string
		plan, state seedFields
		want        bool
	}{
		{"after import", seedFields{SecretKey: s("A")}, seedFields{SecretKey: s("")}, true},
		{"to write-only", seedFields{SecretKey: s(""), SecretKeyWOVersion: types.Int64Value(1)}, seedFields{SecretKey: s("A")}, true},
		{"unchanged", seedFields{SecretKey: s("A")}, seedFields{SecretKey: s("A")}, false},
		{"new seed replaces", seedFields{SecretKey: s("B")}, seedFields{SecretKey: s("A")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var diags diag.Diagnostics
			warnSeedOnlyRecorded(&diags, "S1", tc.plan, tc.state)
			if got := diags.WarningsCount() == 1; got != tc.want {
				t.Fatalf("warning: got %v, want %v (%v)", got, tc.want, diags)
			}
			if tc.want && !strings.Contains(diags.Warnings()[0].Detail(), "makes no Graph call") {
				t.Errorf("the warning does not say that nothing is written: %s", diags.Warnings()[0].Detail())
			}
		})
	}
}
