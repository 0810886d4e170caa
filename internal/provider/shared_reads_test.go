package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

// Device routes as the emulator counts them.
const (
	testAccListDevices = "GET /beta/directory/authenticationMethodDevices/hardwareOathDevices"
	testAccGetDevice   = testAccListDevices + "/{id}"
)

// testAccSharedReadsConfig has three tokens, named one to three, and an activated assignment of token three. Token
// two depends on token one, so that it is created after it.
func testAccSharedReadsConfig(prefix, upn string, seeds [3]string) string {
	cfg := ""
	for i, name := range []string{"one", "two", "three"} {
		dependsOn := ""
		if name == "two" {
			dependsOn = "depends_on = [entraoath_hardware_token.one]"
		}
		cfg += fmt.Sprintf(`
resource "entraoath_hardware_token" %[1]q {
  serial_number = "%[2]s-%[1]s"
  manufacturer  = "Contoso"
  model         = "OTP C200"
  display_name  = "token %[1]s"
  secret_key    = %[3]q
  %[4]s
}
`, name, prefix, seeds[i], dependsOn)
	}
	return cfg + fmt.Sprintf(`
resource "entraoath_hardware_token_assignment" "three" {
  token_id            = entraoath_hardware_token.three.id
  user_principal_name = %q
  secret_key          = entraoath_hardware_token.three.secret_key
}
`, upn)
}

// expectSharedListing checks, after PreConfig zeroed the emulator's counts, that the plan's refresh read every device
// from one listing of the inventory: read-sharing was on, so the drift the plan finds was not hidden by it.
type expectSharedListing struct{}

func (expectSharedListing) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	got := testEmulator.Requests()
	if got[testAccListDevices] != 1 || got[testAccGetDevice] != 0 {
		resp.Error = fmt.Errorf("the plan listed the inventory %d times and read %d devices one by one; want one listing "+
			"and no single reads (is read-sharing wired in Configure?)", got[testAccListDevices], got[testAccGetDevice])
	}
}

// TestAccSharedReads_driftBetweenPlans changes tokens in the emulator between two commands, as an admin in the
// portal would, and checks that the next plan, whose reads come from one shared listing, sees every change.
// Not parallel: it counts the emulator's requests.
func TestAccSharedReads_driftBetweenPlans(t *testing.T) {
	prefix, user := testAccName(t), testAccUser(t)
	seeds := [3]string{testAccSeed(), testAccSeed(), testAccSeed()}
	config := testAccSharedReadsConfig(prefix, user.UserPrincipalName, seeds)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					// Past the consistency window, a read that differs from the state is drift at once, not a write
					// Graph does not show yet that the resources would read again from Graph.
					time.Sleep(lifecycle.DefaultWindow)
					testEmulator.ResetRequests()
					two, three := testAccTokenID(t, prefix+"-two"), testAccTokenID(t, prefix+"-three")
					if err := testEmulator.UpdateDevice(two, func(d *emulator.Device) { d.DisplayName = "renamed in the portal" }); err != nil {
						t.Fatal(err)
					}
					if err := testEmulator.Deactivate(three); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectSharedListing{},
					plancheck.ExpectResourceAction("entraoath_hardware_token.two", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("entraoath_hardware_token_assignment.three", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("entraoath_hardware_token.one", plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("entraoath_hardware_token.two", tfjsonpath.New("display_name"), knownvalue.StringExact("token two")),
					statecheck.ExpectKnownValue("entraoath_hardware_token_assignment.three", tfjsonpath.New("status"), knownvalue.StringExact("activated")),
				},
			},
		},
	})
}

// TestAccSharedReads_driftDuringApply renames token one in the emulator while the apply that created it is still
// running (token two, which depends on it, is not created yet), then checks that the plan after the apply sees the
// change. What it proves: nothing the provider learnt during a command (here the POST response of token one, which
// that command would answer reads from) survives into the next command. It cannot prove that the apply itself saw
// the change, and by design it would not: within a command, reads are answered as of the command's first read or
// its own last write.
// Not parallel: it slows the emulator down.
func TestAccSharedReads_driftDuringApply(t *testing.T) {
	prefix, user := testAccName(t), testAccUser(t)
	seeds := [3]string{testAccSeed(), testAccSeed(), testAccSeed()}
	config := testAccSharedReadsConfig(prefix, user.UserPrincipalName, seeds)
	// The latency keeps token two's creation in flight long after token one appears.
	testEmulator.SetLatency(200 * time.Millisecond)
	t.Cleanup(func() { testEmulator.SetLatency(testEmulator.Options().Latency) })

	renamed := make(chan error, 1)
	renameOneWhenCreated := func() {
		go func() {
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				if one := testEmulator.DevicesBySerial(prefix + "-one"); len(one) == 1 {
					err := testEmulator.UpdateDevice(one[0].ID, func(d *emulator.Device) { d.DisplayName = "renamed during apply" })
					if err == nil && len(testEmulator.DevicesBySerial(prefix+"-two")) != 0 {
						err = fmt.Errorf("token two already existed when token one was renamed: the rename was not during the apply")
					}
					renamed <- err
					return
				}
				time.Sleep(time.Millisecond)
			}
			renamed <- fmt.Errorf("token one was not created within a minute")
		}()
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: renameOneWhenCreated,
				Config:    config,
				Check: func(*terraform.State) error {
					return <-renamed
				},
				// The plan after the apply and a refresh (each its own command) must find the rename and plan to undo it.
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("entraoath_hardware_token.one", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("entraoath_hardware_token.two", plancheck.ResourceActionNoop),
				}},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("entraoath_hardware_token.one", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("entraoath_hardware_token.one", tfjsonpath.New("display_name"), knownvalue.StringExact("token one")),
				},
			},
		},
	})
}
