package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// Issue 13 §1: a tenant whose tokens were uploaded in the portal, 300 of them, 200 assigned (four per user) and
// activated, is adopted by one apply of the guide's example: no Graph write, at most ⌈N/999⌉ device listings plus
// one read per distinct user, and an empty plan after. Then the configuration is frozen (tokens.json from the
// example's output) and still plans empty. Not parallel: the emulator's request counts are the whole package's.
func TestAccExample_adoptExistingTokens(t *testing.T) {
	const tokens, assigned, perUser = 300, 200, 4
	testAccExampleSetup(t)
	batch := testAccName(t) // the manufacturer: only this test's tokens are adopted
	var ids []string
	t.Cleanup(func() {
		for _, id := range ids {
			_ = testEmulator.DeleteDevice(id)
		}
	})
	users := make([]emulator.User, assigned/perUser)
	for i := range users {
		users[i] = testEmulator.AddUser(emulator.User{UserPrincipalName: fmt.Sprintf("%s-%d@contoso.example", batch, i), DisplayName: fmt.Sprintf("User %d", i)})
	}
	for i := range tokens {
		d, err := testEmulator.AddDevice(emulator.Device{SerialNumber: fmt.Sprintf("%s-%03d", batch, i), Manufacturer: batch,
			Model: "C302-i", SecretKey: testAccSeed(), TimeIntervalInSeconds: 30})
		must(t, err)
		ids = append(ids, d.ID)
		if i < assigned {
			must(t, testEmulator.Assign(d.ID, users[i/perUser].ID))
			must(t, testEmulator.Activate(d.ID))
		}
	}
	frozen := t.TempDir()
	b, err := os.ReadFile(filepath.Join(guidesDir, "adopt-existing-tokens-frozen", "main.tf"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(frozen, "main.tf"), b, 0o600))
	listings := (len(testEmulator.Devices()) + 998) / 999 // this test's tokens and other tests' (no test runs alongside)
	adoption := &requestCounts{}
	started := time.Now()
	resource.Test(t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_7_0)},
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				PreConfig:                func() { testEmulator.ResetRequests(); adoption.started = time.Now() },
				ConfigDirectory:          testAccGuideOnly("adopt-existing-tokens"),
				ConfigVariables:          config.Variables{"manufacturer": config.StringVariable(batch)},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						adoption.snapshot(),
						plancheck.ExpectResourceAction(`entraoath_hardware_token.this["`+batch+`-000"]`, plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction(`entraoath_hardware_token_assignment.this["`+batch+`-000"]`, plancheck.ResourceActionNoop),
						expectImports(tokens + assigned),
					},
					PostApplyPreRefresh:  []plancheck.PlanCheck{adoption.appliedAt()},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					writeOutputJSON{output: "adopted", path: filepath.Join(frozen, "tokens.json")},
					emulatorCheck(func(*terraform.State) error {
						if w := writes(testEmulator.Requests()); len(w) != 0 {
							return fmt.Errorf("adopting wrote to Graph: %v", w)
						}
						return nil
					}),
				},
			},
			{
				// Frozen: the same resources from tokens.json, without the data source and the import blocks. The plan
				// changes no resource (only the output goes).
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				PreConfig:                testEmulator.ResetRequests,
				ConfigDirectory:          config.StaticDirectory(frozen),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{expectImports(0)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Stop managing the tokens without touching the tenant, as the stop-managing guide does; the test deletes
				// them from the emulator.
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          testAccGuideOnly("stop-managing/removed"),
				ConfigStateChecks: []statecheck.StateCheck{emulatorCheck(func(*terraform.State) error {
					if w := writes(testEmulator.Requests()); len(w) != 0 {
						return fmt.Errorf("the steps after the adoption wrote to Graph: %v", w)
					}
					return nil
				})},
			},
		},
	})
	got := adoption.counts
	lists, userReads := got[testAccListDevices], got[testAccUserGET]
	t.Logf("adoption of %d tokens and %d assignments (%d users): the plan read %d listing page(s), %d user(s), %d device(s); "+
		"plan %s, plan and apply %s; the whole test %s", tokens, assigned, len(users), lists, userReads, got[testAccGetDevice],
		adoption.planned.Round(time.Millisecond), adoption.done.Round(time.Millisecond), time.Since(started).Round(time.Millisecond))
	if lists > listings || got[testAccGetDevice] != 0 || userReads > len(users) {
		t.Errorf("adoption plan: %d listings (want at most %d), %d device reads (want 0), %d user reads (want at most %d): %v",
			lists, listings, got[testAccGetDevice], userReads, len(users), got)
	}
}

// requestCounts keeps the emulator's request counts after the adoption's plan command, and the time its plan and
// apply took.
type requestCounts struct {
	counts        map[string]int
	started       time.Time
	planned, done time.Duration
}

func (c *requestCounts) snapshot() plancheck.PlanCheck {
	return planCheckFunc(func() { c.counts, c.planned = testEmulator.Requests(), time.Since(c.started) })
}

func (c *requestCounts) appliedAt() plancheck.PlanCheck {
	return planCheckFunc(func() { c.done = time.Since(c.started) })
}

type planCheckFunc func()

func (f planCheckFunc) CheckPlan(context.Context, plancheck.CheckPlanRequest, *plancheck.CheckPlanResponse) {
	f()
}

// writes are the Graph requests that are not reads (sign-in excluded).
func writes(requests map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range requests {
		if !strings.HasPrefix(k, "GET ") && !strings.Contains(k, "/oauth2/") {
			out[k] = n
		}
	}
	return out
}

// expectImports checks that the plan imports n resources and changes no resource.
type expectImports int

func (n expectImports) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	imports := 0
	for _, rc := range req.Plan.ResourceChanges {
		if !rc.Change.Actions.NoOp() && !rc.Change.Actions.Read() {
			resp.Error = fmt.Errorf("%s: %v, want only imports", rc.Address, rc.Change.Actions)
			return
		}
		if rc.Change.Importing != nil {
			imports++
		}
	}
	if imports != int(n) {
		resp.Error = fmt.Errorf("the plan imports %d resources, want %d", imports, n)
	}
}

// writeOutputJSON writes an output's value as `terraform output -json <output>` prints it.
type writeOutputJSON struct{ output, path string }

func (w writeOutputJSON) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	out, ok := req.State.Values.Outputs[w.output]
	if !ok {
		resp.Error = fmt.Errorf("no output %q", w.output)
		return
	}
	b, err := json.Marshal(out.Value)
	if err == nil {
		err = os.WriteFile(w.path, b, 0o600)
	}
	resp.Error = err
}

// testAccBySerialConfig is an assignment-only configuration: the token is named by its serial number.
func testAccBySerialConfig(serial, upn, extra string) string {
	return fmt.Sprintf(`
resource "entraoath_hardware_token_assignment" "test" {
  serial_number       = %q
  user_principal_name = %q
  %s
}
`, serial, upn, extra)
}

// Issue 13 §2: assign and activate by serial number, with drift as with token_id.
func TestAccHardwareTokenAssignment_bySerialNumber(t *testing.T) {
	seed := testAccSeed()
	token := testAccInventoryToken(t, seed)
	user := testAccUser(t)
	config := testAccBySerialConfig(token.SerialNumber, user.UserPrincipalName, testAccAttr("secret_key", seed))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckTokenReturned(token.ID),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectUnknownValue(testAccAssignment, tfjsonpath.New("token_id"))},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("token_id"), knownvalue.StringExact(token.ID)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("id"), knownvalue.StringExact(user.ID+"/"+token.ID)),
					statecheck.ExpectKnownValue(testAccAssignment, tfjsonpath.New("status"), knownvalue.StringExact("activated")),
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
			{
				// Unassigned in the portal: the plan assigns it again, by the same serial number.
				PreConfig: func() { must(t, testEmulator.Unassign(token.ID)) },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionCreate)},
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
			{
				// Deactivated in the portal: an in-place update activates it again.
				PreConfig: func() { must(t, testEmulator.Deactivate(token.ID)) },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionUpdate)},
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
		},
	})
}

// Exactly one of token_id and serial_number, checked when planning; a serial number the inventory does not hold
// fails the apply before any write.
func TestAccHardwareTokenAssignment_tokenByIDOrSerial(t *testing.T) {
	token := testAccInventoryToken(t, testAccSeed())
	user := testAccUser(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      testAccBySerialConfig(token.SerialNumber, user.UserPrincipalName, testAccAttr("token_id", token.ID)),
				PlanOnly:    true,
				ExpectError: testAccErrorPattern(`Invalid Attribute Combination.*Exactly one of these attributes must be configured: \[token_id,serial_number\]`),
			},
			{
				Config: fmt.Sprintf(`
resource "entraoath_hardware_token_assignment" "test" {
  user_principal_name = %q
}
`, user.UserPrincipalName),
				PlanOnly:    true,
				ExpectError: testAccErrorPattern(`Exactly one of these attributes must be configured: \[token_id,serial_number\]`),
			},
			{
				Config:      testAccBySerialConfig("NO-SUCH-"+token.SerialNumber, user.UserPrincipalName, "activate = false"),
				ExpectError: testAccErrorPattern(`No hardware token with serial number "NO-SUCH-` + token.SerialNumber + `".*Check serial_number`),
				Check:       testAccCheckTokenReturned(token.ID),
			},
		},
	})
}

// Issue 13 §1: an activated assignment imported by <UPN>/<serial> needs no seed, writes nothing, and the
// configuration the guide shows plans no change; naming the same token and user the other way later is no change
// either, while naming another token replaces the assignment.
func TestAccHardwareTokenAssignment_importBySerialNumber(t *testing.T) {
	token, other := testAccInventoryToken(t, testAccSeed()), testAccInventoryToken(t, testAccSeed())
	user := testAccUser(t)
	config := testAccBySerialConfig(token.SerialNumber, user.UserPrincipalName, "")
	byIDs := fmt.Sprintf(`
resource "entraoath_hardware_token_assignment" "test" {
  token_id = %q
  user_id  = %q
}
`, token.ID, user.ID)
	imported := testAccImportActivatedStep(t, token, user, config)
	imported.ImportStateId = user.UserPrincipalName + "/" + token.SerialNumber
	imported.ImportStateCheck = func(states []*terraform.InstanceState) error {
		want := map[string]string{"id": user.ID + "/" + token.ID, "serial_number": token.SerialNumber,
			"user_principal_name": user.UserPrincipalName, "status": "activated", "activate": "true"}
		for k, v := range want {
			if got := states[0].Attributes[k]; got != v {
				return fmt.Errorf("imported %s = %q, want %q", k, got, v)
			}
		}
		for _, k := range []string{"user_id", "token_id", "secret_key"} {
			if got, ok := states[0].Attributes[k]; ok && got != "" {
				return fmt.Errorf("imported %s = %q, want null", k, got)
			}
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			imported,
			{
				Config:   config,
				PlanOnly: true, // no seed, and no change
			},
			{
				Config: byIDs,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionUpdate)},
				},
				Check: testAccCheckToken(token.ID, emulator.StatusActivated, user.ID),
			},
			{
				Config:   byIDs,
				PlanOnly: true,
			},
			{
				Config: testAccBySerialConfig(other.SerialNumber, user.UserPrincipalName, "activate = false"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAccAssignment, plancheck.ResourceActionReplace)},
				},
				Check: resource.ComposeTestCheckFunc(testAccCheckTokenReturned(token.ID), testAccCheckToken(other.ID, emulator.StatusAssigned, user.ID)),
			},
		},
	})
}

// Issue 13 §1: `terraform plan -generate-config-out` writes configuration for an imported activated assignment and
// its token that validates and plans no change, without seeds (plugin-testing's GenerateConfig mode runs the plan
// with -generate-config-out and fails unless the import is a no-op). Both import forms of the assignment.
func TestAccAdoption_generateConfig(t *testing.T) {
	for name, importID := range map[string]func(emulator.Device, emulator.User) string{
		"upnAndSerial": func(d emulator.Device, u emulator.User) string { return u.UserPrincipalName + "/" + d.SerialNumber },
		"ids":          func(d emulator.Device, u emulator.User) string { return u.ID + "/" + d.ID },
	} {
		t.Run(name, func(t *testing.T) {
			token := testAccInventoryToken(t, testAccSeed())
			user := testAccUser(t)
			must(t, testEmulator.Assign(token.ID, user.ID))
			must(t, testEmulator.Activate(token.ID))
			for resourceName, id := range map[string]string{
				"entraoath_hardware_token_assignment.adopted": importID(token, user),
				"entraoath_hardware_token.adopted":            token.SerialNumber,
			} {
				resource.Test(t, resource.TestCase{
					PreCheck:                 func() { testAccPreCheck(t) },
					TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_5_0)},
					ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
					Steps: []resource.TestStep{{
						Config:          `provider "entraoath" {}`,
						ResourceName:    resourceName,
						ImportState:     true,
						ImportStateKind: resource.ImportBlockWithID,
						ImportStateId:   id,
						GenerateConfig:  true,
					}},
				})
			}
			if err := testAccCheckToken(token.ID, emulator.StatusActivated, user.ID)(nil); err != nil {
				t.Error(err)
			}
		})
	}
}

// The warning of an assignment unassigned outside Terraform names a deleted user, and only a deleted one, also after
// an import by user principal name (user_id null in the state, the user's object id only in id).
func TestAccHardwareTokenAssignment_unassignedDetailAfterImportByUPN(t *testing.T) {
	token, user := testAccInventoryToken(t, testAccSeed()), testAccUser(t)
	o := testEmulator.Options()
	cred, err := azidentity.NewClientSecretCredential(o.TenantID, o.ClientID, o.ClientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: testEmulator.URL() + "/"}}, // trusted via SSL_CERT_FILE
		DisableInstanceDiscovery: true,
	})
	must(t, err)
	client, err := graph.New(graph.Config{Endpoint: testEmulator.URL() + "/", Credential: cred})
	must(t, err)
	imported := hardwareTokenAssignmentModel{ID: types.StringValue(user.ID + "/" + token.ID), UserID: types.StringNull(),
		UserPrincipalName: types.StringValue(user.UserPrincipalName)}
	device := &graph.Device{ID: token.ID, SerialNumber: token.SerialNumber}
	ctx := context.Background()
	if d := unassignedDetail(ctx, client, imported, device); strings.Contains(d, "no longer exists") {
		t.Errorf("the user exists, yet the detail says: %s", d)
	}
	must(t, testEmulator.DeleteUser(user.ID))
	want := fmt.Sprintf("User %s (%s) no longer exists", user.UserPrincipalName, user.ID)
	if d := unassignedDetail(ctx, client, imported, device); !strings.Contains(d, want) {
		t.Errorf("the user was deleted, yet the detail says: %s", d)
	}
}
