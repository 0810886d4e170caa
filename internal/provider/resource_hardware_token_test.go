package provider

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

const testAccTokenAddr = "entraoath_hardware_token.test"

// testAccTokenConfig renders entraoath_hardware_token.test with the serial number and the given attribute lines.
func testAccTokenConfig(serial string, lines ...string) string {
	return fmt.Sprintf(`
resource "entraoath_hardware_token" "test" {
  serial_number = %q
  %s
}
`, serial, strings.Join(lines, "\n  "))
}

func testAccAttr(name string, value any) string {
	if s, ok := value.(string); ok {
		return fmt.Sprintf("%s = %q", name, s)
	}
	return fmt.Sprintf("%s = %v", name, value)
}

// testAccCheckEmulatorToken checks that the emulator holds exactly one device with want's serial number and that it
// matches want (ID, assignment time and last use are not compared).
func testAccCheckEmulatorToken(want emulator.Device) resource.TestCheckFunc {
	return func(*terraform.State) error {
		devices := testEmulator.DevicesBySerial(want.SerialNumber)
		if len(devices) != 1 {
			return fmt.Errorf("the emulator holds %d devices with serial number %s, want 1", len(devices), want.SerialNumber)
		}
		got := devices[0]
		if got.SecretKey != want.SecretKey {
			return fmt.Errorf("the emulator holds a different seed for %s than expected", want.SerialNumber)
		}
		got.ID, got.AssignedAt, got.LastUsed = "", want.AssignedAt, want.LastUsed
		got.SecretKey, want.SecretKey = "", ""
		if got != want {
			return fmt.Errorf("emulator device:\n got  %+v\n want %+v", got, want)
		}
		return nil
	}
}

// testAccCheckNoEmulatorToken is a CheckDestroy: no device with the serial number is left.
func testAccCheckNoEmulatorToken(serial string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if n := len(testEmulator.DevicesBySerial(serial)); n != 0 {
			return fmt.Errorf("the emulator still holds %d devices with serial number %s", n, serial)
		}
		return nil
	}
}

// testAccTokenID is the emulator id of the only device with the serial number.
func testAccTokenID(t *testing.T, serial string) string {
	t.Helper()
	devices := testEmulator.DevicesBySerial(serial)
	if len(devices) != 1 {
		t.Fatalf("the emulator holds %d devices with serial number %s, want 1", len(devices), serial)
	}
	return devices[0].ID
}

// testAccGUID is a random object id, for devices a test adds to the emulator itself.
func testAccGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func testAccTokenValue(name string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(testAccTokenAddr, tfjsonpath.New(name), v)
}

func TestAccHardwareToken_basic(t *testing.T) {
	serial, seed := testAccName(t), testAccSeed()
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []resource.TestStep{
			{
				Config: testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"),
					testAccAttr("display_name", "Desk token"), testAccAttr("secret_key", seed), testAccAttr("time_interval", 60), testAccAttr("hash_function", "hmacsha256")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(testAccTokenAddr, tfjsonpath.New("id")),
					testAccTokenValue("id", knownvalue.StringRegexp(guidPattern)),
					testAccTokenValue("serial_number", knownvalue.StringExact(serial)),
					testAccTokenValue("manufacturer", knownvalue.StringExact("Token2")),
					testAccTokenValue("model", knownvalue.StringExact("C302-i")),
					testAccTokenValue("display_name", knownvalue.StringExact("Desk token")),
					testAccTokenValue("secret_key", knownvalue.StringExact(seed)),
					testAccTokenValue("secret_key_wo", knownvalue.Null()),
					testAccTokenValue("secret_key_wo_version", knownvalue.Null()),
					testAccTokenValue("time_interval", knownvalue.Int64Exact(60)),
					testAccTokenValue("hash_function", knownvalue.StringExact("hmacsha256")),
					testAccTokenValue("status", knownvalue.StringExact("available")),
					testAccTokenValue("assigned_user_id", knownvalue.Null()),
					testAccTokenValue("last_used_date_time", knownvalue.Null()),
				},
				Check: testAccCheckEmulatorToken(emulator.Device{
					SerialNumber: serial, Manufacturer: "Token2", Model: "C302-i", DisplayName: "Desk token", SecretKey: seed,
					TimeIntervalInSeconds: 60, HashFunction: "hmacsha256", Status: "available",
				}),
			},
			{
				// Every other updatable attribute changes: one in-place update. display_name is removed from the
				// configuration, and the token keeps the name Graph shows.
				Config: testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2 SA"), testAccAttr("model", "C301"), testAccAttr("secret_key", seed)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(testAccTokenAddr, tfjsonpath.New("id")),
					testAccTokenValue("manufacturer", knownvalue.StringExact("Token2 SA")),
					testAccTokenValue("model", knownvalue.StringExact("C301")),
					testAccTokenValue("display_name", knownvalue.StringExact("Desk token")),
					testAccTokenValue("time_interval", knownvalue.Int64Exact(30)),
					testAccTokenValue("hash_function", knownvalue.StringExact("hmacsha1")),
					testAccTokenValue("status", knownvalue.StringExact("available")),
				},
				Check: testAccCheckEmulatorToken(emulator.Device{
					SerialNumber: serial, Manufacturer: "Token2 SA", Model: "C301", DisplayName: "Desk token", SecretKey: seed,
					TimeIntervalInSeconds: 30, HashFunction: "hmacsha1", Status: "available",
				}),
			},
			{
				ResourceName:            testAccTokenAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"secret_key"},
			},
			{
				ResourceName:            testAccTokenAddr,
				ImportState:             true,
				ImportStateId:           serial,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"secret_key"},
			},
		},
	})
}

func TestAccHardwareToken_seedNormalised(t *testing.T) {
	serial, seed := testAccName(t), testAccSeed()
	// As a vendor sheet might print it: lower case, in groups, with a hyphen and padding.
	messy := strings.ToLower(seed[:8] + " " + seed[8:16] + "-" + seed[16:24] + " " + seed[24:] + "==")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []resource.TestStep{{
			Config: testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"), testAccAttr("secret_key", messy)),
			// The state keeps the configured spelling, so the post-apply plan is empty.
			ConfigStateChecks: []statecheck.StateCheck{testAccTokenValue("secret_key", knownvalue.StringExact(messy))},
			Check: testAccCheckEmulatorToken(emulator.Device{
				SerialNumber: serial, Manufacturer: "Token2", Model: "C302-i", SecretKey: seed,
				TimeIntervalInSeconds: 30, HashFunction: "hmacsha1", Status: "available",
			}),
		}},
	})
}

func TestAccHardwareToken_updateWhileAssigned(t *testing.T) {
	serial, seed, user := testAccName(t), testAccSeed(), testAccUser(t)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	newID := statecheck.CompareValue(compare.ValuesDiffer())
	config := func(displayName string) string {
		return testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"),
			testAccAttr("display_name", displayName), testAccAttr("secret_key", seed))
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []resource.TestStep{
			{
				Config: config("First"),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(testAccTokenAddr, tfjsonpath.New("id")),
					newID.AddStateValue(testAccTokenAddr, tfjsonpath.New("id")),
				},
			},
			{
				// An assignment made elsewhere is refreshed into the computed attributes without a diff.
				PreConfig: func() {
					if err := testEmulator.Assign(testAccTokenID(t, serial), user.ID); err != nil {
						t.Fatal(err)
					}
				},
				Config: config("First"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(testAccTokenAddr, tfjsonpath.New("id")),
					testAccTokenValue("status", knownvalue.StringExact("assigned")),
					testAccTokenValue("assigned_user_id", knownvalue.StringExact(user.ID)),
				},
			},
			{
				// Graph cannot PATCH an assigned token: the plan says replace, and the apply unassigns, deletes, creates.
				Config: config("Second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					newID.AddStateValue(testAccTokenAddr, tfjsonpath.New("id")),
					testAccTokenValue("display_name", knownvalue.StringExact("Second")),
					testAccTokenValue("status", knownvalue.StringExact("available")),
					testAccTokenValue("assigned_user_id", knownvalue.Null()),
				},
				Check: testAccCheckEmulatorToken(emulator.Device{
					SerialNumber: serial, Manufacturer: "Token2", Model: "C302-i", DisplayName: "Second", SecretKey: seed,
					TimeIntervalInSeconds: 30, HashFunction: "hmacsha1", Status: "available",
				}),
			},
		},
	})
}

func TestAccHardwareToken_importedKeepsToken(t *testing.T) {
	serial, seed, id := testAccName(t), testAccSeed(), testAccGUID()
	var user emulator.User
	config := testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"), testAccAttr("secret_key", seed))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []resource.TestStep{
			{
				// An assigned token already in the inventory, as an admin would have uploaded it.
				PreConfig: func() {
					user = testAccUser(t)
					if _, err := testEmulator.AddDevice(emulator.Device{ID: id, SerialNumber: serial, Manufacturer: "Token2",
						Model: "C302-i", SecretKey: seed, TimeIntervalInSeconds: 30, AssignedToID: user.ID}); err != nil {
						t.Fatal(err)
					}
				},
				Config:             config,
				ResourceName:       testAccTokenAddr,
				ImportState:        true,
				ImportStateId:      serial,
				ImportStatePersist: true,
			},
			{
				// Graph never returned the seed, so the state has none: the plan records it instead of replacing
				// the (assigned) token.
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					testAccTokenValue("id", knownvalue.StringExact(id)),
					testAccTokenValue("secret_key", knownvalue.StringExact(seed)),
					testAccTokenValue("status", knownvalue.StringExact("assigned")),
				},
				Check: func(*terraform.State) error {
					if d, ok := testEmulator.Device(id); !ok || d.AssignedToID != user.ID {
						return fmt.Errorf("the imported token %s is gone or no longer assigned to %s", id, user.ID)
					}
					return nil
				},
			},
		},
	})
}

func TestAccHardwareToken_importErrors(t *testing.T) {
	missing, dup := testAccName(t), testAccName(t)
	ids := []string{testAccGUID(), testAccGUID()}
	slices.Sort(ids) // as the error lists them
	config := func(serial string) string {
		return testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"), testAccAttr("secret_key", testAccSeed()))
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:        config(missing),
				ResourceName:  testAccTokenAddr,
				ImportState:   true,
				ImportStateId: missing,
				ExpectError:   testAccErrorPattern(`No hardware token with serial number "` + missing + `"`),
			},
			{
				// Graph does not prevent duplicate serial numbers.
				PreConfig: func() {
					for _, id := range ids {
						if _, err := testEmulator.AddDevice(emulator.Device{ID: id, SerialNumber: dup, Manufacturer: "Token2",
							Model: "C302-i", SecretKey: testAccSeed(), TimeIntervalInSeconds: 30}); err != nil {
							t.Fatal(err)
						}
						t.Cleanup(func() { _ = testEmulator.DeleteDevice(id) })
					}
				},
				Config:        config(dup),
				ResourceName:  testAccTokenAddr,
				ImportState:   true,
				ImportStateId: dup,
				ExpectError:   testAccErrorPattern("2 hardware tokens have serial number.*" + ids[0] + ".*" + ids[1] + ".*Import the one you mean by its object id"),
			},
		},
	})
}

func TestAccHardwareToken_drift(t *testing.T) {
	serial, seed := testAccName(t), testAccSeed()
	config := testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"), testAccAttr("secret_key", seed))
	want := emulator.Device{SerialNumber: serial, Manufacturer: "Token2", Model: "C302-i", SecretKey: seed,
		TimeIntervalInSeconds: 30, HashFunction: "hmacsha1", Status: "available"}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []resource.TestStep{
			{Config: config},
			{
				// A portal edit of the model is planned back in place.
				PreConfig: func() {
					if err := testEmulator.UpdateDevice(testAccTokenID(t, serial), func(d *emulator.Device) { d.Model = "Edited" }); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAccTokenAddr, tfjsonpath.New("model"), knownvalue.StringExact("C302-i")),
				}},
				Check: testAccCheckEmulatorToken(want),
			},
			{
				// A token deleted outside Terraform leaves the state on refresh and is planned for creation.
				PreConfig: func() {
					if err := testEmulator.DeleteDevice(testAccTokenID(t, serial)); err != nil {
						t.Fatal(err)
					}
				},
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionCreate),
				}},
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionCreate),
				}},
				Check: testAccCheckEmulatorToken(want),
			},
		},
	})
}

func TestAccHardwareToken_destroyActivated(t *testing.T) {
	serial, user := testAccName(t), testAccUser(t)
	config := testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"), testAccAttr("secret_key", testAccSeed()))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// Graph deletes only unassigned tokens: the provider must have unassigned it first.
		CheckDestroy: testAccCheckNoEmulatorToken(serial),
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					id := testAccTokenID(t, serial)
					if err := testEmulator.Assign(id, user.ID); err != nil {
						t.Fatal(err)
					}
					if err := testEmulator.Activate(id); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					testAccTokenValue("status", knownvalue.StringExact("activated")),
					testAccTokenValue("assigned_user_id", knownvalue.StringExact(user.ID)),
					testAccTokenValue("last_used_date_time", knownvalue.NotNull()),
				},
			},
		},
	})
}

func TestAccHardwareToken_writeOnlySeed(t *testing.T) {
	serial, seed, newSeed := testAccName(t), testAccSeed(), testAccSeed()
	newID := statecheck.CompareValue(compare.ValuesDiffer())
	config := func(seed string, version int) string {
		return testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"),
			testAccAttr("secret_key_wo", seed), testAccAttr("secret_key_wo_version", version))
	}
	want := func(seed string) emulator.Device {
		return emulator.Device{SerialNumber: serial, Manufacturer: "Token2", Model: "C302-i", SecretKey: seed,
			TimeIntervalInSeconds: 30, HashFunction: "hmacsha1", Status: "available"}
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []resource.TestStep{
			{
				Config: config(seed, 1),
				ConfigStateChecks: []statecheck.StateCheck{
					newID.AddStateValue(testAccTokenAddr, tfjsonpath.New("id")),
					testAccTokenValue("secret_key", knownvalue.Null()),
					testAccTokenValue("secret_key_wo", knownvalue.Null()),
					testAccTokenValue("secret_key_wo_version", knownvalue.Int64Exact(1)),
					stateExcludes{seed},
				},
				Check: testAccCheckEmulatorToken(want(seed)),
			},
			{
				// A new version replaces the token with the new seed.
				Config: config(newSeed, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccTokenAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					newID.AddStateValue(testAccTokenAddr, tfjsonpath.New("id")),
					testAccTokenValue("secret_key_wo", knownvalue.Null()),
					stateExcludes{newSeed},
				},
				Check: testAccCheckEmulatorToken(want(newSeed)),
			},
		},
	})
}

// Not parallel: it makes the emulator throttle every test. A create timeout shorter than Graph's Retry-After ends
// the create at the timeout, with Graph's answer, instead of waiting past it.
func TestAccHardwareToken_timeoutBoundsRetries(t *testing.T) {
	serial, seed := testAccName(t), testAccSeed()
	var start time.Time
	resource.Test(t, resource.TestCase{
		PreCheck: func() {
			testAccPreCheck(t)
			testEmulator.SetFaults(emulator.Faults{ThrottleRate: 1, RetryAfter: time.Minute})
			t.Cleanup(func() { testEmulator.SetFaults(emulator.Faults{}) })
			start = time.Now()
		},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckNoEmulatorToken(serial),
		Steps: []resource.TestStep{
			{
				Config: testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"),
					testAccAttr("secret_key", seed), `timeouts { create = "3s" }`),
				ExpectError: testAccErrorPattern(`Unable to Create Hardware Token.*kept throttling.*HTTP 429`),
			},
			{
				PreConfig: func() {
					if elapsed := time.Since(start); elapsed > 30*time.Second {
						t.Errorf("the create took %v: it waited for Retry-After past its 3s timeout", elapsed)
					}
				},
				Config: "# nothing\n",
			},
		},
	})
}
