package provider

import (
	"fmt"
	"regexp"
	"testing"

	acc "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

const testAccUserGET = "GET /beta/users/{user}"

// testAccExpectUserReads checks how many user reads reached the emulator since the last ResetRequests.
func testAccExpectUserReads(t *testing.T, want int) {
	t.Helper()
	if got := testEmulator.Requests()[testAccUserGET]; got != want {
		t.Errorf("%d user reads, want %d", got, want)
	}
}

// testAccNamedAssignment is entraoath_hardware_token_assignment.<name> for tokenID and upn, with extra lines.
func testAccNamedAssignment(name, tokenID, upn string, extra ...string) string {
	lines := ""
	for _, l := range extra {
		lines += "\n  " + l
	}
	return fmt.Sprintf(`
resource "entraoath_hardware_token_assignment" %q {
  token_id            = %q
  user_principal_name = %q%s
}
`, name, tokenID, upn, lines)
}

// Issue 12 §1: a misspelled, disabled or guest user fails the plan on the attribute, and the token stays with its
// holder. A changed user is read once per plan; an unchanged one never. Sequential: it counts user reads.
func TestAccHardwareTokenAssignment_userCheckedAtPlan(t *testing.T) {
	seedA, seedB := testAccSeed(), testAccSeed()
	tokenA, tokenB := testAccInventoryToken(t, seedA), testAccInventoryToken(t, seedB)
	dave, eve := testAccUser(t), testAccUser(t)
	disabled := testEmulator.AddUser(emulator.User{UserPrincipalName: "off-" + dave.UserPrincipalName, AccountDisabled: true})
	guest := testEmulator.AddUser(emulator.User{UserPrincipalName: "guest_" + dave.UserPrincipalName + "#EXT#@contoso.example", UserType: "Guest"})
	misspelled := "dvae-" + dave.UserPrincipalName
	config := func(upnA string) string {
		return testAccNamedAssignment("a", tokenA.ID, upnA, testAccAttr("secret_key", seedA)) +
			testAccNamedAssignment("b", tokenB.ID, eve.UserPrincipalName, testAccAttr("secret_key", seedB))
	}
	stillDaves := func() {
		if d, _ := testEmulator.Device(tokenA.ID); d.Status != emulator.StatusActivated || d.AssignedToID != dave.ID {
			t.Errorf("dave's token is %s, assigned to %q; it must stay activated for dave", d.Status, d.AssignedToID)
		}
	}
	refused := func(upn, why string) acc.TestStep {
		return acc.TestStep{
			PreConfig:   stillDaves,
			Config:      config(upn),
			ExpectError: testAccErrorPattern(`with entraoath_hardware_token_assignment.a.*user_principal_name = "` + regexp.QuoteMeta(upn) + `".*` + why),
		}
	}
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acc.ComposeTestCheckFunc(testAccCheckTokenReturned(tokenA.ID), testAccCheckTokenReturned(tokenB.ID)),
		Steps: []acc.TestStep{
			{Config: config(dave.UserPrincipalName)},
			{
				// A no-change plan reads no user.
				PreConfig: testEmulator.ResetRequests,
				Config:    config(dave.UserPrincipalName),
				PlanOnly:  true,
			},
			{
				PreConfig: func() {
					testAccExpectUserReads(t, 0)
					testEmulator.ResetRequests()
				},
				// One assignment changes user: one user read per plan (Terraform plans the replacement's create
				// separately; the provider reads the user once). The step plans twice.
				Config:             config(eve.UserPrincipalName),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() {
					testAccExpectUserReads(t, 2)
				},
				Config:   config(dave.UserPrincipalName),
				PlanOnly: true,
			},
			refused(misspelled, `User "`+regexp.QuoteMeta(misspelled)+`" was not found in the tenant`),
			refused(disabled.UserPrincipalName, `is disabled`),
			refused(guest.UserPrincipalName, `is a guest`),
			{
				PreConfig: stillDaves,
				Config:    config(dave.UserPrincipalName),
				PlanOnly:  true,
			},
		},
	})
}

// Issue 12 §1: two assignments of one token fail the plan when token_id is known, naming the token's serial
// number and the other claim's user; also when one of them is already applied.
func TestAccHardwareTokenAssignment_twoAssignmentsOneToken(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	amy, bob := testAccUser(t), testAccUser(t)
	first := testAccNamedAssignment("first", token.ID, amy.UserPrincipalName, testAccAttr("secret_key", seed))
	second := testAccNamedAssignment("second", token.ID, bob.UserPrincipalName, "activate = false")
	// Either resource may be planned first: the message names the other one's user.
	twice := testAccErrorPattern(`Hardware Token Assigned Twice.*` + token.SerialNumber + `.*another one to (` +
		regexp.QuoteMeta(amy.UserPrincipalName) + `|` + regexp.QuoteMeta(bob.UserPrincipalName) + `).*Remove one of the two resources`)
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []acc.TestStep{
			{Config: first + second, PlanOnly: true, ExpectError: twice},
			{
				PreConfig: func() { must(t, checkTokenAvailable(token.ID)) },
				Config:    first,
				Check:     testAccCheckToken(token.ID, emulator.StatusActivated, amy.ID),
			},
			// One of them applied already.
			{Config: first + second, PlanOnly: true, ExpectError: twice},
		},
	})
}

func checkTokenAvailable(id string) error {
	if d, _ := testEmulator.Device(id); d.AssignedToID != "" {
		return fmt.Errorf("token %s is assigned to %s after a failed plan", id, d.AssignedToID)
	}
	return nil
}

// When token_id is known only during apply, the second assignment fails before it writes anything, naming both
// users by user principal name; the token ends up with exactly one user.
func TestAccHardwareTokenAssignment_twoAssignmentsTokenKnownAtApply(t *testing.T) {
	serial, seed := testAccName(t), testAccSeed()
	amy, bob := testAccUser(t), testAccUser(t)
	config := fmt.Sprintf(`
resource "entraoath_hardware_token" "t" {
  serial_number = %[1]q
  manufacturer  = "Token2"
  model         = "C302-i"
  secret_key    = %[2]q
}

resource "entraoath_hardware_token_assignment" "amy" {
  token_id            = entraoath_hardware_token.t.id
  user_principal_name = %[3]q
  activate            = false
}

resource "entraoath_hardware_token_assignment" "bob" {
  token_id            = entraoath_hardware_token.t.id
  user_principal_name = %[4]q
  activate            = false
}
`, serial, seed, amy.UserPrincipalName, bob.UserPrincipalName)
	either := regexp.QuoteMeta(amy.UserPrincipalName) + `|` + regexp.QuoteMeta(bob.UserPrincipalName)
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []acc.TestStep{
			{
				Config: config,
				// Terraform plans each resource again just before applying it, in one provider process: the second
				// one's final plan meets the first one's claim.
				ExpectError: testAccErrorPattern(`Hardware Token Assigned Twice.*` + serial + `.*this one to (` + either + `), and another one to (` + either + `)`),
			},
			{
				PreConfig: func() {
					d := testEmulator.DevicesBySerial(serial)[0]
					if d.AssignedToID != amy.ID && d.AssignedToID != bob.ID {
						t.Errorf("the token is assigned to %q; want one of the two users", d.AssignedToID)
					}
				},
				Config:      config,
				PlanOnly:    true,
				ExpectError: testAccErrorPattern(`Hardware Token Assigned Twice`),
			},
		},
	})
}

// Issue 12 §1: activate = false never deactivates an activated token (here an imported one); deactivate = true
// does, and needs activate = false.
func TestAccHardwareTokenAssignment_activateFalseNeverDeactivates(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	config := func(extra string) string {
		return testAccAssignmentConfig(token.ID, "user_principal_name", user.UserPrincipalName, extra)
	}
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []acc.TestStep{
			testAccImportActivatedStep(t, token, user, config("activate = false")),
			{
				// No seed, activate = false: the import recorded activate = true, so the plan records false, and the
				// status stays activated: nothing is written to Graph.
				Config: config("activate = false"),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
			{
				Config:      config("deactivate = true"),
				PlanOnly:    true,
				ExpectError: testAccErrorPattern(`Conflicting Activation Settings.*set activate = false`),
			},
			{
				Config: config("activate = false\n  deactivate = true"),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusAssigned)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: testAccCheckToken(token.ID, emulator.StatusAssigned, user.ID),
			},
		},
	})
}
