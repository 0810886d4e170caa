package provider

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// testAccExampleHolders prepares the users of an example's tokens.csv and returns who should hold each serial
// number (nil: nobody); tokens a failed run leaves are deleted at cleanup.
func testAccExampleHolders(t *testing.T, name string) map[string]*emulator.User {
	t.Helper()
	tokens := testAccExampleTokens(t, name)
	var upns, serials []string
	for _, tok := range tokens {
		serials = append(serials, tok.SerialNumber)
		if tok.UserPrincipalName != "" {
			upns = append(upns, tok.UserPrincipalName)
		}
	}
	users := testAccExampleSetup(t, upns...)
	holders := map[string]*emulator.User{}
	for _, tok := range tokens {
		holders[tok.SerialNumber] = nil
		if u, ok := users[tok.UserPrincipalName]; ok {
			holders[tok.SerialNumber] = &u
		}
	}
	testAccCleanupExampleTokens(t, serials)
	return holders
}

// examples/fleet, the fleet guide's configuration: one apply creates, assigns and activates every token; the next
// plan is empty.
func TestAccExample_fleet(t *testing.T) {
	holders := testAccExampleHolders(t, "fleet")
	outputs := map[string]knownvalue.Check{}
	for serial, u := range holders {
		var user, status knownvalue.Check = knownvalue.Null(), knownvalue.StringExact(emulator.StatusAvailable)
		if u != nil {
			user, status = knownvalue.StringExact(u.UserPrincipalName), knownvalue.StringExact(emulator.StatusActivated)
		}
		outputs[serial] = knownvalue.ObjectExact(map[string]knownvalue.Check{"user": user, "status": status})
	}
	resource.Test(t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          testAccExampleDir("fleet"),
				ConfigPlanChecks:         testAccEmptyPlanAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("tokens", knownvalue.MapExact(outputs)),
					emulatorCheck(testAccCheckExampleTokens(holders)),
				},
			},
			testAccExampleDestroyStep(testAccCheckSerialsGone(slices.Collect(maps.Keys(holders))...)),
		},
	})
}

// examples/fleet-move, the fleet guide's move from per-token resources: the removed blocks forget the per-token
// resources and the import block adopts their tokens into a fleet.
func TestAccExample_fleetMove(t *testing.T) {
	testAccExampleMove(t, "fleet-move", testAccPerTokenBeforeMove, tfversion.SkipBelow(tfversion.Version1_8_0),
		func(holders map[string]*emulator.User) expectPlan {
			return expectPlan{"entraoath_hardware_token_fleet.ward": "no-op"}.perToken(holders, "forget", slices.Collect(maps.Keys(holders))...)
		})
}

// examples/fleet-move-out, the fleet guide's move the other way: the removed block forgets the fleet and the
// import blocks adopt its tokens and assignments into per-token resources.
func TestAccExample_fleetMoveOut(t *testing.T) {
	testAccExampleMove(t, "fleet-move-out", testAccFleetExampleNamed(t, "ward"), tfversion.SkipBelow(tfversion.Version1_11_0),
		func(holders map[string]*emulator.User) expectPlan {
			return expectPlan{"entraoath_hardware_token_fleet.ward": "forget"}.perToken(holders, "no-op", slices.Collect(maps.Keys(holders))...)
		})
}

// examples/fleet-split, the fleet guide's partial move: two tokens leave the fleet for per-token resources, the
// others stay in a fleet under a new address; none is deleted.
func TestAccExample_fleetSplit(t *testing.T) {
	testAccExampleMove(t, "fleet-split", testAccFleetExampleNamed(t, "ward"), tfversion.SkipBelow(tfversion.Version1_11_0),
		func(holders map[string]*emulator.User) expectPlan {
			return expectPlan{"entraoath_hardware_token_fleet.ward": "forget", "entraoath_hardware_token_fleet.ward_rest": "no-op"}.
				perToken(holders, "no-op", "60314603", "60314604")
		})
}

// testAccExampleMove applies one of the fleet guide's moves as written, with the Terraform versions that can. The
// first step applies before (main.tf of the configuration the move starts from, next to the example's tokens.csv);
// the second applies the example, whose plan must be the one plan returns and whose apply must write nothing to
// Graph and leave every token with its id, activated for its holder, and the plan after it empty. The example
// without its removed and import blocks, as the guide says to leave it, then plans nothing.
func testAccExampleMove(t *testing.T, name, before string, versions tfversion.TerraformVersionCheck,
	plan func(map[string]*emulator.User) expectPlan) {
	holders := testAccExampleHolders(t, name)
	ids := map[string]string{}
	sameTokens := func(*terraform.State) error {
		for serial := range holders {
			d := testEmulator.DevicesBySerial(serial)
			if len(d) != 1 || d[0].ID != ids[serial] {
				return fmt.Errorf("serial %s: tokens %+v, want the one token %s from before the move", serial, d, ids[serial])
			}
		}
		if w := testAccGraphWrites(); len(w) > 0 {
			return fmt.Errorf("the move wrote to Graph: %v", w)
		}
		return testAccCheckExampleTokens(holders)(nil)
	}
	resource.Test(t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{versions},
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          testAccExampleMainReplaced(t, name, func(string) string { return before }),
				ConfigStateChecks: []statecheck.StateCheck{emulatorCheck(func(*terraform.State) error {
					for serial := range holders {
						ids[serial] = testEmulator.DevicesBySerial(serial)[0].ID
					}
					return testAccCheckExampleTokens(holders)(nil)
				})},
			},
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				PreConfig:                testEmulator.ResetRequests,
				ConfigDirectory:          testAccExampleDir(name),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plan(holders)},
					PostApplyPostRefresh: testAccEmptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: []statecheck.StateCheck{emulatorCheck(sameTokens)},
			},
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          testAccExampleMainReplaced(t, name, withoutMoveBlocks(t)),
				PlanOnly:                 true,
			},
			testAccExampleDestroyStep(testAccCheckSerialsGone(slices.Collect(maps.Keys(holders))...)),
		},
	})
}

// testAccFleetExampleNamed is examples/fleet/main.tf with the fleet named name: where the moves out of a fleet
// start from.
func testAccFleetExampleNamed(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examplesDir, "fleet", "main.tf"))
	must(t, err)
	if !strings.Contains(string(b), `"site_a"`) {
		t.Fatal(`examples/fleet/main.tf no longer names its fleet "site_a", which this test renames`)
	}
	return strings.ReplaceAll(string(b), "site_a", name)
}

// perToken adds action for the per-token resources of serials: the token, and the assignment of a held one.
func (e expectPlan) perToken(holders map[string]*emulator.User, action string, serials ...string) expectPlan {
	for _, serial := range serials {
		e[guideToken(serial)] = action
		if holders[serial] != nil {
			e[guideAssignment(serial)] = action
		}
	}
	return e
}

// withoutMoveBlocks deletes a configuration's top-level removed and import blocks, as the guide says to once the
// move is applied.
func withoutMoveBlocks(t *testing.T) func(string) string {
	return func(main string) string {
		var kept []string
		inBlock, deleted := false, 0
		for _, line := range strings.Split(main, "\n") {
			switch {
			case line == "removed {" || line == "import {":
				inBlock = true
				deleted++
			case inBlock:
				inBlock = line != "}"
			default:
				kept = append(kept, line)
			}
		}
		if deleted == 0 {
			t.Fatal("the example has no removed or import block to delete")
		}
		return strings.Join(kept, "\n")
	}
}

// testAccPerTokenBeforeMove is the per-token configuration examples/fleet-move starts from (the quickstart's shape).
const testAccPerTokenBeforeMove = `
terraform {
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

provider "entraoath" {}

locals {
  tokens   = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/tokens.csv")))
  users    = nonsensitive({ for serial, t in local.tokens : serial => t.user_principal_name })
  assigned = { for serial, upn in local.users : serial => upn if upn != null }
}

resource "entraoath_hardware_token" "this" {
  for_each = local.users

  serial_number = each.key
  manufacturer  = nonsensitive(local.tokens[each.key].manufacturer)
  model         = nonsensitive(local.tokens[each.key].model)
  secret_key    = local.tokens[each.key].secret_key
}

resource "entraoath_hardware_token_assignment" "this" {
  for_each = local.assigned

  token_id            = entraoath_hardware_token.this[each.key].id
  user_principal_name = each.value
  secret_key          = local.tokens[each.key].secret_key
}
`
