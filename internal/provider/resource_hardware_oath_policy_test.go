package provider

import (
	"fmt"
	"reflect"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// The policy is a tenant singleton, so these tests use resource.Test (never in parallel with each other) and put
// the emulator back to Microsoft's defaults when they end.

const (
	testPolicyResource = "entraoath_hardware_oath_policy.test"
	testPolicyGroupA   = "11111111-1111-4111-8111-111111111111"
	testPolicyGroupB   = "22222222-2222-4222-8222-222222222222"
	testPolicyGroupC   = "33333333-3333-4333-8333-333333333333"
)

// testDefaultPolicy is what DELETE on the policy restores (internal/emulator/CONTRACT.md, Policy).
func testDefaultPolicy() emulator.Policy {
	return emulator.Policy{
		State:          "disabled",
		IncludeTargets: []emulator.PolicyTarget{{ID: "all_users", TargetType: "group"}},
		ExcludeTargets: []emulator.PolicyTarget{},
	}
}

func testAccRestoreDefaultPolicy(t *testing.T) {
	t.Helper()
	testEmulator.SetPolicy(testDefaultPolicy())
	t.Cleanup(func() { testEmulator.SetPolicy(testDefaultPolicy()) })
}

// testAccCheckEmulatorPolicy compares the emulator's policy with want, ignoring target order.
func testAccCheckEmulatorPolicy(want emulator.Policy) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := testEmulator.Policy()
		if got.State != want.State || !sameTargets(got.IncludeTargets, want.IncludeTargets) || !sameTargets(got.ExcludeTargets, want.ExcludeTargets) {
			return fmt.Errorf("the emulator's policy is %+v, want %+v", got, want)
		}
		return nil
	}
}

func sameTargets(a, b []emulator.PolicyTarget) bool {
	count := func(ts []emulator.PolicyTarget) map[emulator.PolicyTarget]int {
		m := map[emulator.PolicyTarget]int{}
		for _, t := range ts {
			m[t]++
		}
		return m
	}
	return reflect.DeepEqual(count(a), count(b))
}

func testAccCheckPolicyDestroyed(*terraform.State) error {
	return testAccCheckEmulatorPolicy(testDefaultPolicy())(nil)
}

const testAccPolicyConfigTargets = `
resource "entraoath_hardware_oath_policy" "test" {
  state = "enabled"
  include_targets = [
    { id = "` + testPolicyGroupA + `", is_registration_required = true },
    { id = "` + testPolicyGroupB + `" },
  ]
  exclude_targets = [
    { id = "` + testPolicyGroupC + `" },
  ]
}
`

// testAccTargetsPolicy is what testAccPolicyConfigTargets sets.
var testAccTargetsPolicy = emulator.Policy{
	State: "enabled",
	IncludeTargets: []emulator.PolicyTarget{
		{ID: testPolicyGroupA, TargetType: "group", IsRegistrationRequired: true},
		{ID: testPolicyGroupB, TargetType: "group"},
	},
	ExcludeTargets: []emulator.PolicyTarget{{ID: testPolicyGroupC, TargetType: "group"}},
}

func TestAccHardwareOATHPolicyResource_basic(t *testing.T) {
	testAccRestoreDefaultPolicy(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckPolicyDestroyed,
		Steps: []resource.TestStep{
			{
				// Only the state: the targets default to all users, nobody excluded.
				Config: `resource "entraoath_hardware_oath_policy" "test" { state = "enabled" }`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testPolicyResource, tfjsonpath.New("id"), knownvalue.StringExact("hardwareOath")),
					statecheck.ExpectKnownValue(testPolicyResource, tfjsonpath.New("state"), knownvalue.StringExact("enabled")),
					statecheck.ExpectKnownValue(testPolicyResource, tfjsonpath.New("include_targets"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"id":                       knownvalue.StringExact("all_users"),
							"target_type":              knownvalue.StringExact("group"),
							"is_registration_required": knownvalue.Bool(false),
						}),
					})),
					statecheck.ExpectKnownValue(testPolicyResource, tfjsonpath.New("exclude_targets"), knownvalue.SetSizeExact(0)),
				},
				Check: testAccCheckEmulatorPolicy(emulator.Policy{
					State:          "enabled",
					IncludeTargets: []emulator.PolicyTarget{{ID: "all_users", TargetType: "group"}},
				}),
			},
			{
				Config: testAccPolicyConfigTargets,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testPolicyResource, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testPolicyResource, tfjsonpath.New("include_targets"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"id":                       knownvalue.StringExact(testPolicyGroupA),
							"target_type":              knownvalue.StringExact("group"),
							"is_registration_required": knownvalue.Bool(true),
						}),
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"id":                       knownvalue.StringExact(testPolicyGroupB),
							"target_type":              knownvalue.StringExact("group"),
							"is_registration_required": knownvalue.Bool(false),
						}),
					})),
					statecheck.ExpectKnownValue(testPolicyResource, tfjsonpath.New("exclude_targets"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"id":          knownvalue.StringExact(testPolicyGroupC),
							"target_type": knownvalue.StringExact("group"),
						}),
					})),
				},
				Check: testAccCheckEmulatorPolicy(testAccTargetsPolicy),
			},
			{
				ResourceName:      testPolicyResource,
				ImportState:       true,
				ImportStateId:     "HardwareOath", // Graph's own spelling is accepted too
				ImportStateVerify: true,
			},
			{
				// Drift: an administrator disables the method and drops the exclusion in the portal.
				PreConfig: func() {
					drifted := testAccTargetsPolicy
					drifted.State = "disabled"
					drifted.ExcludeTargets = nil
					testEmulator.SetPolicy(drifted)
				},
				Config: testAccPolicyConfigTargets,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(testPolicyResource, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(testPolicyResource, tfjsonpath.New("state"), knownvalue.StringExact("enabled")),
					},
				},
				Check: testAccCheckEmulatorPolicy(testAccTargetsPolicy),
			},
			{
				Config: `resource "entraoath_hardware_oath_policy" "test" { state = "disabled" }`,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testPolicyResource, plancheck.ResourceActionUpdate)},
				},
				Check: testAccCheckEmulatorPolicy(emulator.Policy{
					State:          "disabled",
					IncludeTargets: []emulator.PolicyTarget{{ID: "all_users", TargetType: "group"}},
				}),
			},
		},
	})
}

// TestAccHardwareOATHPolicyResource_destroyLeavesPolicy: destroying the resource must not turn hardware OATH off
// for the tenant (break-glass accounts depend on it); it only leaves the state.
func TestAccHardwareOATHPolicyResource_destroyLeavesPolicy(t *testing.T) {
	testAccRestoreDefaultPolicy(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckEmulatorPolicy(testAccTargetsPolicy),
		Steps: []resource.TestStep{
			{
				Config: testAccPolicyConfigTargets,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testPolicyResource, tfjsonpath.New("reset_on_destroy"), knownvalue.Bool(false)),
				},
				Check: testAccCheckEmulatorPolicy(testAccTargetsPolicy),
			},
		},
	})
}

// TestAccHardwareOATHPolicyResource_resetOnDestroy: with the opt-in, destroy puts Microsoft's defaults back.
func TestAccHardwareOATHPolicyResource_resetOnDestroy(t *testing.T) {
	testAccRestoreDefaultPolicy(t)
	const resetConfig = `
resource "entraoath_hardware_oath_policy" "test" {
  state            = "enabled"
  reset_on_destroy = true
}`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckPolicyDestroyed,
		Steps: []resource.TestStep{
			{
				Config: `resource "entraoath_hardware_oath_policy" "test" { state = "enabled" }`,
				Check:  testAccCheckEmulatorPolicy(testAccEnabledForAllUsers),
			},
			{
				Config: resetConfig,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testPolicyResource, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testPolicyResource, tfjsonpath.New("reset_on_destroy"), knownvalue.Bool(true)),
				},
				Check: testAccCheckEmulatorPolicy(testAccEnabledForAllUsers),
			},
			{
				ResourceName:            testPolicyResource,
				ImportState:             true,
				ImportStateId:           "hardwareOath",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"reset_on_destroy"}, // Terraform's setting, not Graph's: false when imported
			},
		},
	})
}

func TestAccHardwareOATHPolicyResource_invalid(t *testing.T) {
	testAccRestoreDefaultPolicy(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      `resource "entraoath_hardware_oath_policy" "test" { state = "on" }`,
				ExpectError: regexp.MustCompile(`value must be one of: \["enabled" "disabled"\]`),
			},
			{
				Config: `
resource "entraoath_hardware_oath_policy" "test" {
  state           = "enabled"
  include_targets = [{ id = "Sales Team" }]
}`,
				ExpectError: expectErrorText("must be an object id (a GUID) or all_users"),
			},
			{
				Config: `
resource "entraoath_hardware_oath_policy" "test" {
  state           = "enabled"
  include_targets = []
}`,
				ExpectError: expectErrorText("set must contain at least 1 elements"),
			},
			{
				Config:        `resource "entraoath_hardware_oath_policy" "test" { state = "enabled" }`,
				ResourceName:  testPolicyResource,
				ImportState:   true,
				ImportStateId: "fido2",
				ExpectError:   expectErrorText(`is imported with the id "hardwareOath"; got "fido2"`),
			},
		},
	})
}
