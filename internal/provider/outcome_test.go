package provider

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	acc "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// TestAccHardwareToken_serialInInventory: a token uploaded before (portal, script) with the configured serial number
// is not created a second time; the create fails with the import block to paste, and that block, pasted, brings the
// token under the resource.
func TestAccHardwareToken_serialInInventory(t *testing.T) {
	serial, seed, id := testAccName(t), testAccSeed(), testAccGUID()
	config := testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"), testAccAttr("secret_key", seed))
	acc.ParallelTest(t, acc.TestCase{
		PreCheck: func() {
			testAccPreCheck(t)
			_, err := testEmulator.AddDevice(emulator.Device{ID: id, SerialNumber: serial, Manufacturer: "Token2", Model: "C302-i",
				SecretKey: seed, TimeIntervalInSeconds: 30})
			must(t, err)
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []acc.TestStep{
			{
				Config: config,
				ExpectError: regexp.MustCompile(`(?s)Hardware Token Already in the Inventory.*` + regexp.QuoteMeta(id) +
					`.*import \{\s+to = entraoath_hardware_token\.<name>\s+id = "` + regexp.QuoteMeta(id) + `"\s+\}`),
			},
			{
				PreConfig: func() {
					if n := len(testEmulator.DevicesBySerial(serial)); n != 1 {
						t.Fatalf("the emulator holds %d tokens with serial number %s after the refused create, want 1", n, serial)
					}
				},
				// The block from the error, with <name> replaced as it says.
				Config: config + fmt.Sprintf("\nimport {\n  to = entraoath_hardware_token.test\n  id = %q\n}\n", id),
				ConfigPlanChecks: acc.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{testAccTokenValue("id", knownvalue.StringExact(id))},
			},
		},
	})
}

// TestAccHardwareTokenAssignment_heldByOtherShownLate: the token was assigned to another user moments before the
// apply, and Graph still shows it available, so the provider's own check passes and Graph refuses the assignment
// with whatever it answers. The provider reads the token until Graph shows why, and names the holder by user
// principal name. Not parallel: the visibility delay applies to every test.
func TestAccHardwareTokenAssignment_heldByOtherShownLate(t *testing.T) {
	user, other := testAccUser(t), testAccUser(t)
	token := testAccInventoryToken(t, testAccSeed())
	acc.Test(t, acc.TestCase{
		PreCheck: func() {
			testAccPreCheck(t)
			testEmulator.SetFaults(emulator.Faults{VisibilityDelay: 3 * time.Second})
			t.Cleanup(func() { testEmulator.SetFaults(emulator.Faults{}) })
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []acc.TestStep{
			{
				PreConfig: func() { must(t, testEmulator.Assign(token.ID, other.ID)) },
				Config:    testAccAssignmentConfig(token.ID, "user_id", user.ID, "activate = false"),
				ExpectError: testAccErrorPattern(`Unable to Create Hardware Token Assignment.*Graph answered HTTP 4\d\d.*` +
					`the token is assigned to user ` + regexp.QuoteMeta(other.UserPrincipalName)),
			},
		},
	})
	if d, _ := testEmulator.Device(token.ID); d.AssignedToID != other.ID {
		t.Errorf("the token moved to %q", d.AssignedToID)
	}
}
