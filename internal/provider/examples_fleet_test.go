package provider

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
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

// examples/fleet-move, the fleet guide's move from per-token resources: the removed and import blocks move the
// tokens into a fleet without a Graph write (the test counts them); the tokens keep their ids and stay activated.
func TestAccExample_fleetMove(t *testing.T) {
	holders := testAccExampleHolders(t, "fleet-move")
	before := t.TempDir()
	csv, err := os.ReadFile(filepath.Join(examplesDir, "fleet-move", "tokens.csv"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(before, "tokens.csv"), csv, 0o600))
	must(t, os.WriteFile(filepath.Join(before, "main.tf"), []byte(testAccPerTokenBeforeMove), 0o600))
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
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          config.StaticDirectory(before),
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
				ConfigDirectory:          testAccExampleDir("fleet-move"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("entraoath_hardware_token_fleet.ward", plancheck.ResourceActionNoop)},
					PostApplyPostRefresh: testAccEmptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: []statecheck.StateCheck{emulatorCheck(sameTokens)},
			},
			testAccExampleDestroyStep(testAccCheckSerialsGone(slices.Collect(maps.Keys(holders))...)),
		},
	})
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
