package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
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
						"id":                  knownvalue.StringRegexp(guidPattern),
						"serial_number":       knownvalue.StringExact(serial(2)),
						"manufacturer":        knownvalue.StringExact(manufacturer),
						"model":               knownvalue.StringExact("A"),
						"display_name":        knownvalue.Null(),
						"time_interval":       knownvalue.Int64Exact(30),
						"hash_function":       knownvalue.StringExact("hmacsha1"),
						"status":              knownvalue.StringExact("available"),
						"assigned_user_id":    knownvalue.Null(),
						"last_used_date_time": knownvalue.Null(),
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
