package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccHardwareTokenDataSource_byIDAndSerial(t *testing.T) {
	serial, user := testAccName(t), testAccUser(t)
	config := testAccTokenConfig(serial, testAccAttr("manufacturer", "Token2"), testAccAttr("model", "C302-i"),
		testAccAttr("display_name", "Lookup"), testAccAttr("hash_function", "hmacsha256"), testAccAttr("secret_key", testAccSeed())) + `
data "entraoath_hardware_token" "by_id" {
  id = entraoath_hardware_token.test.id
}

data "entraoath_hardware_token" "by_serial" {
  serial_number = entraoath_hardware_token.test.serial_number
}
`
	const byID, bySerial = "data.entraoath_hardware_token.by_id", "data.entraoath_hardware_token.by_serial"
	same := func(attr string) statecheck.StateCheck {
		return statecheck.CompareValuePairs(testAccTokenAddr, tfjsonpath.New(attr), bySerial, tfjsonpath.New(attr), compare.ValuesSame())
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: append(testAccExpectValues(byID, map[string]knownvalue.Check{
					"serial_number":       knownvalue.StringExact(serial),
					"manufacturer":        knownvalue.StringExact("Token2"),
					"model":               knownvalue.StringExact("C302-i"),
					"display_name":        knownvalue.StringExact("Lookup"),
					"time_interval":       knownvalue.Int64Exact(30),
					"hash_function":       knownvalue.StringExact("hmacsha256"),
					"status":              knownvalue.StringExact("available"),
					"assigned_user_id":    knownvalue.Null(),
					"last_used_date_time": knownvalue.Null(),
				}),
					statecheck.CompareValuePairs(testAccTokenAddr, tfjsonpath.New("id"), byID, tfjsonpath.New("id"), compare.ValuesSame()),
					same("id"), same("serial_number"), same("manufacturer"), same("model"), same("display_name"),
					same("time_interval"), same("hash_function"), same("status"),
				),
			},
			{
				PreConfig: func() {
					if err := testEmulator.Assign(testAccTokenID(t, serial), user.ID); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(byID, tfjsonpath.New("status"), knownvalue.StringExact("assigned")),
					statecheck.ExpectKnownValue(bySerial, tfjsonpath.New("assigned_user_id"), knownvalue.StringExact(user.ID)),
				},
			},
		},
	})
}

func TestAccHardwareTokenDataSource_errors(t *testing.T) {
	serial := testAccName(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      fmt.Sprintf("data \"entraoath_hardware_token\" \"test\" {\n  serial_number = %q\n}\n", serial),
				ExpectError: testAccErrorPattern("holds 0 hardware tokens with serial number.*" + serial),
			},
			{
				Config:      fmt.Sprintf("data \"entraoath_hardware_token\" \"test\" {\n  id = %q\n}\n", testAccGUID()),
				ExpectError: testAccErrorPattern("Unable to Read Hardware Token.*HTTP 404"),
			},
			{
				Config:      fmt.Sprintf("data \"entraoath_hardware_token\" \"test\" {\n  id = %q\n  serial_number = %q\n}\n", testAccGUID(), serial),
				ExpectError: testAccErrorPattern(`Invalid Attribute Combination.*\[id,serial_number\]`),
			},
			{
				Config:      "data \"entraoath_hardware_token\" \"test\" {}\n",
				ExpectError: testAccErrorPattern(`Missing Attribute Configuration.*\[id,serial_number\]`),
			},
		},
	})
}

// testAccExpectValues checks the attributes of addr.
func testAccExpectValues(addr string, values map[string]knownvalue.Check) []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	for name, v := range values {
		checks = append(checks, statecheck.ExpectKnownValue(addr, tfjsonpath.New(name), v))
	}
	return checks
}
