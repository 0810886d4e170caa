package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

func TestAccHardwareTokensDataSource_filters(t *testing.T) {
	// A manufacturer of its own keeps tokens of parallel tests out of the lists.
	manufacturer, user := testAccName(t), testAccUser(t)
	serial := func(i int) string { return fmt.Sprintf("%s-%d", manufacturer, i) }
	// Created in reverse order of serial number, so the sort is what puts them in order.
	config := fmt.Sprintf(`
resource "entraoath_hardware_token" "test" {
  count         = 3
  serial_number = "%[1]s-${2 - count.index}"
  manufacturer  = %[1]q
  model         = count.index == 0 ? "A" : "B"
  secret_key    = %[2]q
}

data "entraoath_hardware_tokens" "all" {
  manufacturer = %[1]q
  depends_on   = [entraoath_hardware_token.test]
}

data "entraoath_hardware_tokens" "model" {
  manufacturer = %[1]q
  model        = "A"
  depends_on   = [entraoath_hardware_token.test]
}

data "entraoath_hardware_tokens" "assigned" {
  manufacturer = %[1]q
  status       = "assigned"
  depends_on   = [entraoath_hardware_token.test]
}

data "entraoath_hardware_tokens" "user" {
  assigned_user_id = %[3]q
  depends_on       = [entraoath_hardware_token.test]
}
`, manufacturer, testAccSeed(), user.ID)
	tokens := func(name string, v knownvalue.Check) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("data.entraoath_hardware_tokens."+name, tfjsonpath.New("tokens"), v)
	}
	withSerial := func(i int) knownvalue.Check {
		return knownvalue.ObjectPartial(map[string]knownvalue.Check{"serial_number": knownvalue.StringExact(serial(i))})
	}
	assigned := knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"serial_number":    knownvalue.StringExact(serial(1)),
		"status":           knownvalue.StringExact("assigned"),
		"assigned_user_id": knownvalue.StringExact(user.ID),
	})})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					tokens("all", knownvalue.ListExact([]knownvalue.Check{withSerial(0), withSerial(1), withSerial(2)})),
					// Every attribute of an element, and no seed among them.
					tokens("model", knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":                           knownvalue.StringRegexp(guidPattern),
						"serial_number":                knownvalue.StringExact(serial(2)),
						"manufacturer":                 knownvalue.StringExact(manufacturer),
						"model":                        knownvalue.StringExact("A"),
						"display_name":                 knownvalue.Null(),
						"time_interval":                knownvalue.Int64Exact(30),
						"hash_function":                knownvalue.StringExact("hmacsha1"),
						"status":                       knownvalue.StringExact("available"),
						"assigned_user_id":             knownvalue.Null(),
						"last_used_date_time":          knownvalue.Null(),
						"assigned_user_principal_name": knownvalue.Null(),
						"assigned_user_display_name":   knownvalue.Null(),
					})})),
					tokens("assigned", knownvalue.ListSizeExact(0)),
					tokens("user", knownvalue.ListSizeExact(0)),
				},
			},
			{
				PreConfig: func() {
					if err := testEmulator.Assign(testAccTokenID(t, serial(1)), user.ID); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					tokens("all", knownvalue.ListSizeExact(3)),
					tokens("assigned", assigned),
					tokens("user", assigned),
				},
			},
		},
	})
}

// What an admin's reports need: who holds each token (by name), filtered by holder (object id or UPN), status and
// "not used since".
func TestAccHardwareTokensDataSource_holdersAndUse(t *testing.T) {
	manufacturer := testAccName(t)
	amy, bob := testAccUser(t), testAccUser(t)
	tokens := make([]string, 3) // serial numbers: 0 held by amy and used long ago, 1 held by bob and used now, 2 in the drawer
	for i := range tokens {
		d, err := testEmulator.AddDevice(emulator.Device{SerialNumber: fmt.Sprintf("%s-%d", manufacturer, i), Manufacturer: manufacturer,
			Model: "C302-i", SecretKey: testAccSeed(), TimeIntervalInSeconds: 30})
		must(t, err)
		tokens[i] = d.SerialNumber
		switch i {
		case 0:
			must(t, testEmulator.Assign(d.ID, amy.ID))
			must(t, testEmulator.UpdateDevice(d.ID, func(d *emulator.Device) { d.LastUsed = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }))
		case 1:
			must(t, testEmulator.Assign(d.ID, bob.ID))
			must(t, testEmulator.Activate(d.ID))
			must(t, testEmulator.UpdateDevice(d.ID, func(d *emulator.Device) { d.LastUsed = time.Now().UTC() }))
		}
	}
	serials := func(want ...int) knownvalue.Check {
		checks := make([]knownvalue.Check, len(want))
		for i, w := range want {
			checks[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"serial_number": knownvalue.StringExact(tokens[w])})
		}
		return knownvalue.ListExact(checks)
	}
	check := func(name string, v knownvalue.Check) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("data.entraoath_hardware_tokens."+name, tfjsonpath.New("tokens"), v)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
data "entraoath_hardware_tokens" "bad" {
  not_used_since = "last Tuesday"
}
`,
				PlanOnly:    true,
				ExpectError: testAccErrorPattern(`Invalid Timestamp.*not_used_since is "last Tuesday".*2026-01-01T00:00:00Z`),
			},
			{
				Config: fmt.Sprintf(`
data "entraoath_hardware_tokens" "nobody" {
  assigned_user_principal_name = "nobody-%s"
}
`, amy.UserPrincipalName),
				PlanOnly:    true,
				ExpectError: testAccErrorPattern(`User "nobody-` + amy.UserPrincipalName + `" was not found in the tenant. Check assigned_user_principal_name`),
			},
			{
				Config: fmt.Sprintf(`
data "entraoath_hardware_tokens" "all" {
  manufacturer = %[1]q
}

data "entraoath_hardware_tokens" "amy" {
  assigned_user_principal_name = %[2]q
}

data "entraoath_hardware_tokens" "bob_activated" {
  assigned_user_id = %[3]q
  status           = "activated"
}

data "entraoath_hardware_tokens" "unused_this_year" {
  manufacturer   = %[1]q
  not_used_since = "2026-01-01T00:00:00Z"
}
`, manufacturer, amy.UserPrincipalName, bob.ID),
				ConfigStateChecks: []statecheck.StateCheck{
					check("all", knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"serial_number":                knownvalue.StringExact(tokens[0]),
							"assigned_user_id":             knownvalue.StringExact(amy.ID),
							"assigned_user_principal_name": knownvalue.StringExact(amy.UserPrincipalName),
							"assigned_user_display_name":   knownvalue.StringExact(amy.DisplayName),
							"last_used_date_time":          knownvalue.StringExact("2025-01-02T03:04:05Z"),
						}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"serial_number":                knownvalue.StringExact(tokens[1]),
							"status":                       knownvalue.StringExact("activated"),
							"assigned_user_principal_name": knownvalue.StringExact(bob.UserPrincipalName),
							"assigned_user_display_name":   knownvalue.StringExact(bob.DisplayName),
						}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"serial_number":                knownvalue.StringExact(tokens[2]),
							"assigned_user_principal_name": knownvalue.Null(),
							"assigned_user_display_name":   knownvalue.Null(),
							"last_used_date_time":          knownvalue.Null(),
						}),
					})),
					check("amy", serials(0)),
					check("bob_activated", serials(1)),
					check("unused_this_year", serials(0, 2)),
				},
			},
		},
	})
}
