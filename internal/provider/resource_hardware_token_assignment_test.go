package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	acc "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

const testAccAssignment = "entraoath_hardware_token_assignment.test"

// testAccInventoryToken adds an unassigned 30-second SHA-1 token with seed to the emulator's inventory.
func testAccInventoryToken(t *testing.T, seed string) emulator.Device {
	t.Helper()
	d, err := testEmulator.AddDevice(emulator.Device{
		SerialNumber:          testAccName(t),
		Manufacturer:          "Token2",
		Model:                 "C302-i",
		SecretKey:             seed,
		TimeIntervalInSeconds: 30,
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testAccAssignmentConfig assigns tokenID to the user named by userAttr (user_id or user_principal_name); extra
// holds further arguments.
func testAccAssignmentConfig(tokenID, userAttr, user, extra string) string {
	return fmt.Sprintf(`
resource "entraoath_hardware_token_assignment" "test" {
  token_id = %q
  %s = %q
  %s
}
`, tokenID, userAttr, user, extra)
}

// testAccCheckToken asserts what the emulator holds for the token: its status and holder ("" for nobody).
func testAccCheckToken(id, status, holder string) acc.TestCheckFunc {
	return func(*terraform.State) error {
		d, ok := testEmulator.Device(id)
		if !ok {
			return fmt.Errorf("token %s is not in the emulator", id)
		}
		if d.Status != status || d.AssignedToID != holder {
			return fmt.Errorf("token %s: status %q assigned to %q; want status %q assigned to %q", id, d.Status, d.AssignedToID, status, holder)
		}
		return nil
	}
}

// testAccCheckTokenReturned is a CheckDestroy: destroying the assignment returns the token to the inventory.
func testAccCheckTokenReturned(id string) acc.TestCheckFunc {
	return testAccCheckToken(id, emulator.StatusAvailable, "")
}

// testAccErrorPattern matches pattern in Terraform's error output, which wraps lines: a space matches any whitespace.
func testAccErrorPattern(pattern string) *regexp.Regexp {
	return regexp.MustCompile("(?s)" + strings.ReplaceAll(pattern, " ", `\s+`))
}

// stateExcludes fails when value appears anywhere in the state as `terraform show -json` prints it (sensitive
// values included).
type stateExcludes struct{ value string }

func (c stateExcludes) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	raw, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if strings.Contains(string(raw), c.value) {
		resp.Error = errors.New("the seed appears in the Terraform state")
	}
}

// The seed and display name are not readable from Graph; last_used_date_time is as of the last read, and create
// reads the token before activating it (which counts as a use).
var testAccAssignmentImportIgnore = []string{"secret_key", "display_name", "last_used_date_time"}

func TestAccHardwareTokenAssignment_activateByUPN(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []acc.TestStep{
			{
				Config: testAccAssignmentConfig(token.ID, "user_principal_name", user.UserPrincipalName,
					fmt.Sprintf("secret_key = %q\n  display_name = \"Amy's token\"", seed)),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue(testAccAssignment, tfjsonpath.New("user_id")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("id"), knownvalue.StringExact(user.ID+"/"+token.ID)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("user_id"), knownvalue.StringExact(user.ID)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("serial_number"), knownvalue.StringExact(token.SerialNumber)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("activate"), knownvalue.Bool(true)),
					// secret_key is kept (sensitive) in the state, unlike secret_key_wo.
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("secret_key"), knownvalue.StringExact(seed)),
				},
				Check: acc.ComposeTestCheckFunc(
					testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
					func(*terraform.State) error {
						if d, _ := testEmulator.Device(token.ID); d.DisplayName != "Amy's token" {
							return fmt.Errorf("the activation sent display name %q", d.DisplayName)
						}
						return nil
					},
				),
			},
			{
				ResourceName:      testAccAssignment,
				ImportState:       true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return user.UserPrincipalName + "/" + token.ID, nil },
				ImportStateVerify: true,
				// The import records the user and the token in the forms its id gives (for -generate-config-out).
				ImportStateVerifyIgnore: append([]string{"user_id", "serial_number"}, testAccAssignmentImportIgnore...),
			},
			{
				ResourceName:            testAccAssignment,
				ImportState:             true,
				ImportStateIdFunc:       func(*terraform.State) (string, error) { return user.ID + "/" + token.SerialNumber, nil },
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: append([]string{"user_principal_name", "token_id"}, testAccAssignmentImportIgnore...),
			},
		},
	})
}

// The usual configuration: the token comes from the inventory resource, the seed from its secret_key.
func TestAccHardwareTokenAssignment_withInventoryToken(t *testing.T) {
	seed, serial := testAccSeed(), testAccName(t)
	user := testAccUser(t)
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []acc.TestStep{
			{
				Config: fmt.Sprintf(`
resource "entraoath_hardware_token" "t" {
  serial_number = %q
  manufacturer  = "Token2"
  model         = "C302-i"
  secret_key    = %q
}

resource "entraoath_hardware_token_assignment" "test" {
  token_id            = entraoath_hardware_token.t.id
  user_principal_name = %q
  secret_key          = entraoath_hardware_token.t.secret_key
}
`, serial, seed, user.UserPrincipalName),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs(testAccAssignment, tfjsonpath.New("token_id"),
						"entraoath_hardware_token.t", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("serial_number"), knownvalue.StringExact(serial)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)),
				},
				Check: func(*terraform.State) error {
					tokens := testEmulator.DevicesBySerial(serial)
					if len(tokens) != 1 {
						return fmt.Errorf("want one token with serial %s, got %d", serial, len(tokens))
					}
					return testAccCheckToken(tokens[0].ID, emulator.StatusActivated, user.ID)(nil)
				},
			},
		},
	})
}

// An imported assignment has no seed in its state; adding the configured one must not replace it.
func TestAccHardwareTokenAssignment_importThenManage(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	config := testAccAssignmentConfig(token.ID, "user_principal_name", user.UserPrincipalName, fmt.Sprintf("secret_key = %q", seed))
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []acc.TestStep{
			testAccImportActivatedStep(t, token, user, config),
			{
				Config: config,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)),
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
		},
	})
}

// testAccImportActivatedStep assigns and activates token for user in the emulator, then imports the assignment
// (by user principal name) into testAccAssignment, configured by config.
func testAccImportActivatedStep(t *testing.T, token emulator.Device, user emulator.User, config string) acc.TestStep {
	return acc.TestStep{
		PreConfig: func() {
			must(t, testEmulator.Assign(token.ID, user.ID))
			must(t, testEmulator.Activate(token.ID))
		},
		Config:             config,
		ResourceName:       testAccAssignment,
		ImportState:        true,
		ImportStateId:      user.UserPrincipalName + "/" + token.ID,
		ImportStatePersist: true,
	}
}

func TestAccHardwareTokenAssignment_assignOnlyByUserID(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []acc.TestStep{
			{
				Config: testAccAssignmentConfig(token.ID, "user_id", user.ID, "activate = false"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusAssigned)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("user_principal_name"), knownvalue.StringExact(user.UserPrincipalName)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("last_used_date_time"), knownvalue.Null()),
				},
				Check: testAccCheckToken(token.ID, emulator.StatusAssigned, user.ID),
			},
			{
				// Activating later is an in-place update.
				Config: testAccAssignmentConfig(token.ID, "user_id", user.ID, fmt.Sprintf("secret_key = %q", seed)),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)),
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
			{
				// deactivate = true on an activated token deactivates it; the token stays assigned.
				Config: testAccAssignmentConfig(token.ID, "user_id", user.ID, fmt.Sprintf("secret_key = %q\n  activate = false\n  deactivate = true", seed)),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusAssigned)),
					},
				},
				Check: testAccCheckToken(token.ID, emulator.StatusAssigned, user.ID),
			},
		},
	})
}

// testAccDriftCase: the token is changed in the tenant after create; the next plan must show action and apply
// must restore an activated assignment to user, after which the plan is empty.
func testAccDriftCase(t *testing.T, userAttr string, drift func(token emulator.Device, user emulator.User), action plancheck.ResourceActionType, extra ...plancheck.PlanCheck) {
	t.Helper()
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	ref := user.ID
	if userAttr == "user_principal_name" {
		ref = user.UserPrincipalName
	}
	config := testAccAssignmentConfig(token.ID, userAttr, ref, fmt.Sprintf("secret_key = %q", seed))
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []acc.TestStep{
			{
				Config: config,
				Check:  testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
			{
				PreConfig: func() { drift(token, user) },
				Config:    config,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply:             append([]plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccAssignment, action)}, extra...),
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("user_id"), knownvalue.StringExact(user.ID)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)),
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
		},
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAccHardwareTokenAssignment_driftUnassigned(t *testing.T) {
	testAccDriftCase(t, "user_principal_name", func(token emulator.Device, _ emulator.User) {
		must(t, testEmulator.Unassign(token.ID))
	}, plancheck.ResourceActionCreate)
}

func TestAccHardwareTokenAssignment_driftAssignedToOtherUser(t *testing.T) {
	other := testAccUser(t)
	testAccDriftCase(t, "user_id", func(token emulator.Device, _ emulator.User) {
		must(t, testEmulator.Assign(token.ID, other.ID))
	}, plancheck.ResourceActionDestroyBeforeCreate)
}

// With user_principal_name configured, the state records the holder's UPN, which forces the replacement.
func TestAccHardwareTokenAssignment_driftAssignedToOtherUserByUPN(t *testing.T) {
	other := testAccUser(t)
	testAccDriftCase(t, "user_principal_name", func(token emulator.Device, _ emulator.User) {
		must(t, testEmulator.Assign(token.ID, other.ID))
	}, plancheck.ResourceActionDestroyBeforeCreate, plancheck.ExpectUnknownValue(testAccAssignment, tfjsonpath.New("user_id")))
}

func TestAccHardwareTokenAssignment_driftDeactivated(t *testing.T) {
	testAccDriftCase(t, "user_id", func(token emulator.Device, _ emulator.User) {
		must(t, testEmulator.Deactivate(token.ID))
	}, plancheck.ResourceActionUpdate,
		plancheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)))
}

func TestAccHardwareTokenAssignment_driftFailedActivation(t *testing.T) {
	testAccDriftCase(t, "user_principal_name", func(token emulator.Device, _ emulator.User) {
		must(t, testEmulator.UpdateDevice(token.ID, func(d *emulator.Device) { d.Status = emulator.StatusFailedActivation }))
	}, plancheck.ResourceActionUpdate,
		plancheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)))
}

// Graph may report "available" for a token that assignedTo shows assigned; the assignment trusts assignedTo.
func TestAccHardwareTokenAssignment_statusAvailableButAssigned(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	config := testAccAssignmentConfig(token.ID, "user_id", user.ID, "activate = false")
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []acc.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					must(t, testEmulator.UpdateDevice(token.ID, func(d *emulator.Device) { d.Status = emulator.StatusAvailable }))
				},
				Config: config,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusAssigned)),
				},
			},
		},
	})
}

func TestAccHardwareTokenAssignment_writeOnlySeed(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	config := testAccAssignmentConfig(token.ID, "user_id", user.ID, fmt.Sprintf("secret_key_wo = %q\n  secret_key_wo_version = 1", seed))
	noSeed := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("secret_key"), knownvalue.Null()),
		statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("secret_key_wo"), knownvalue.Null()),
		statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact(graph.StatusActivated)),
		stateExcludes{seed},
	}
	acc.ParallelTest(t, acc.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []acc.TestStep{
			{
				Config:            config,
				ConfigStateChecks: noSeed,
				Check:             testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
			{
				// Re-activation during update also takes the write-only seed from the configuration.
				PreConfig: func() { must(t, testEmulator.Deactivate(token.ID)) },
				Config:    config,
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: noSeed,
				Check:             testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
		},
	})
}

// A seed that is valid Base32 but not the token's: activation fails, the assignment is kept (tainted) with
// status failedActivation, and the corrected seed converges.
func TestAccHardwareTokenAssignment_wrongSeed(t *testing.T) {
	seed, wrong := testAccSeed(), testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	acc.ParallelTest(t, acc.TestCase{
		PreCheck: func() { testAccPreCheck(t) },
		// The step's error goes through ErrorCheck (which sees the whole error, so it can assert what it must not
		// contain); ExpectError would bypass it.
		ErrorCheck: testAccExpectErrorHidingSeed(t, testAccErrorPattern(`Unable to Activate Hardware Token.*time interval 30 seconds, `+
			`hash function hmacsha1.*Graph answered HTTP 4\d\d.*`+token.SerialNumber+`.*failedActivation`), wrong),
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []acc.TestStep{
			{
				Config: testAccAssignmentConfig(token.ID, "user_id", user.ID, fmt.Sprintf("secret_key = %q", wrong)),
			},
			{
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // the failed create left the resource tainted
				Check: acc.ComposeTestCheckFunc(
					acc.TestCheckResourceAttr(testAccAssignment, "status", graph.StatusFailedActivation),
					acc.TestCheckResourceAttr(testAccAssignment, "user_id", user.ID),
					testAccCheckToken(token.ID, emulator.StatusFailedActivation, user.ID),
				),
			},
			{
				Config: testAccAssignmentConfig(token.ID, "user_id", user.ID, fmt.Sprintf("secret_key = %q", seed)),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
		},
	})
}

// testAccExpectErrorHidingSeed is an ErrorCheck expecting a step to fail with an error matching want that shows
// neither seed nor a verification code derived from it around now (the codes the provider may have sent). Any
// other error fails the step; no such error at all fails the test.
func testAccExpectErrorHidingSeed(t *testing.T, want *regexp.Regexp, seed string) acc.ErrorCheckFunc {
	seen := false
	t.Cleanup(func() {
		if !seen && !t.Skipped() {
			t.Errorf("no step failed with an error matching %s", want)
		}
	})
	return func(err error) error {
		if err == nil || !want.MatchString(err.Error()) {
			return err
		}
		secrets := []string{seed}
		for step := -2; step <= 2; step++ {
			code, cerr := totp.Code(seed, time.Now().Add(time.Duration(step)*30*time.Second), 30, graph.HashSHA1)
			if cerr != nil {
				return cerr
			}
			secrets = append(secrets, code)
		}
		for _, secret := range secrets {
			if strings.Contains(err.Error(), secret) {
				return fmt.Errorf("the error shows the seed or a verification code: %w", err)
			}
		}
		seen = true
		return nil
	}
}

// Activating an assigned token with a wrong seed: the update fails, the state records failedActivation, and the
// corrected seed activates the token in place.
func TestAccHardwareTokenAssignment_wrongSeedOnUpdate(t *testing.T) {
	seed, wrong := testAccSeed(), testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []acc.TestStep{
			{
				Config: testAccAssignmentConfig(token.ID, "user_id", user.ID, "activate = false"),
				Check:  testAccCheckToken(token.ID, emulator.StatusAssigned, user.ID),
			},
			{
				Config:      testAccAssignmentConfig(token.ID, "user_id", user.ID, fmt.Sprintf("secret_key = %q", wrong)),
				ExpectError: testAccErrorPattern(`Unable to Activate Hardware Token.*time interval 30 seconds, hash function hmacsha1`),
			},
			{
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // activation is still pending
				Check: acc.ComposeTestCheckFunc(
					acc.TestCheckResourceAttr(testAccAssignment, "status", graph.StatusFailedActivation),
					testAccCheckToken(token.ID, emulator.StatusFailedActivation, user.ID),
				),
			},
			{
				Config: testAccAssignmentConfig(token.ID, "user_id", user.ID, fmt.Sprintf("secret_key = %q", seed)),
				ConfigPlanChecks: acc.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
		},
	})
}

func TestAccHardwareTokenAssignment_tokenHeldByOtherUser(t *testing.T) {
	token := testAccInventoryToken(t, testAccSeed())
	user, other := testAccUser(t), testAccUser(t)
	must(t, testEmulator.Assign(token.ID, other.ID))
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []acc.TestStep{
			{
				Config: testAccAssignmentConfig(token.ID, "user_id", user.ID, "activate = false"),
				// The holder is named by user principal name (issue 12 §3), with the object id.
				ExpectError: testAccErrorPattern(`already assigned to user ` + regexp.QuoteMeta(other.UserPrincipalName) + ` \(` + other.ID + `\)`),
			},
		},
	})
	if d, _ := testEmulator.Device(token.ID); d.AssignedToID != other.ID {
		t.Errorf("the token moved to %q", d.AssignedToID)
	}
}

func TestAccHardwareTokenAssignment_tokenLimit(t *testing.T) {
	user := testAccUser(t)
	for range 5 {
		d := emulator.Device{SerialNumber: testAccName(t), Manufacturer: "Token2", Model: "C302-i", SecretKey: testAccSeed(),
			TimeIntervalInSeconds: 30, AssignedToID: user.ID}
		if _, err := testEmulator.AddDevice(d); err != nil {
			t.Fatal(err)
		}
	}
	token := testAccInventoryToken(t, testAccSeed())
	acc.ParallelTest(t, acc.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []acc.TestStep{
			{
				Config:      testAccAssignmentConfig(token.ID, "user_id", user.ID, "activate = false"),
				ExpectError: testAccErrorPattern(`maximum of 5 hardware OATH tokens.*points at the user's token limit`),
			},
		},
	})
}

// Not parallel: it changes the permissions the emulator grants to every test.
func TestAccHardwareTokenAssignment_insufficientPermissions(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	acc.Test(t, acc.TestCase{
		PreCheck: func() {
			testAccPreCheck(t)
			testEmulator.SetAppPermissions(emulator.PermPolicyReadWriteAuthMethod, emulator.PermUserReadAll)
			t.Cleanup(func() { testEmulator.SetAppPermissions(emulator.DefaultAppPermissions...) })
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []acc.TestStep{
			{
				Config: testAccAssignmentConfig(token.ID, "user_id", user.ID, fmt.Sprintf("secret_key = %q", seed)),
				ExpectError: testAccErrorPattern(`Unable to Create Hardware Token Assignment.*UserAuthenticationMethod\.ReadWrite\.All.*` +
					`Authentication Administrator`),
			},
		},
	})
}
