package provider

import (
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// The internal/seedfile tests cover the parser case by case; these check what reaches Terraform: the map's shape,
// nulls, numbers, the encoding argument, sensitivity and the errors.

// tokenValue is the expected object for one token; upn, manufacturer and model may be nil for null.
func tokenValue(upn *string, serial, secret string, interval int64, hash string, manufacturer, model *string) knownvalue.Check {
	nullable := func(s *string) knownvalue.Check {
		if s == nil {
			return knownvalue.Null()
		}
		return knownvalue.StringExact(*s)
	}
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"user_principal_name": nullable(upn),
		"serial_number":       knownvalue.StringExact(serial),
		"secret_key":          knownvalue.StringExact(secret),
		"time_interval":       knownvalue.Int64Exact(interval),
		"hash_function":       knownvalue.StringExact(hash),
		"manufacturer":        nullable(manufacturer),
		"model":               nullable(model),
	})
}

func ptr(s string) *string { return &s }

// parseTokenCSVOutput is a configuration with the call's result as output "tokens". args follow the content.
func parseTokenCSVOutput(content string, args ...string) string {
	call := "provider::entraoath::parse_token_csv(" + strconv.Quote(content) // Go's escapes are valid HCL escapes
	for _, a := range args {
		call += ", " + strconv.Quote(a)
	}
	return `output "tokens" { value = ` + call + `) }`
}

func TestParseTokenCSVFunction(t *testing.T) {
	const jbswy = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// The Entra admin center layout as a heredoc, with a vendor's hash column appended.
				Config: `
output "tokens" {
  value = provider::entraoath::parse_token_csv(<<-EOT
    upn,serial number,secret key,time interval,manufacturer,model,hash
    helga@contoso.com,1234567,` + rfcSeedSHA256 + `,60,Contoso,HardwareKey,SHA-256
    ,0001234,"jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp",,Contoso,"Key, v2",
    EOT
  )
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("tokens", knownvalue.MapExact(map[string]knownvalue.Check{
						"1234567": tokenValue(ptr("helga@contoso.com"), "1234567", rfcSeedSHA256, 60, "hmacsha256", ptr("Contoso"), ptr("HardwareKey")),
						"0001234": tokenValue(nil, "0001234", jbswy, 30, "hmacsha1", ptr("Contoso"), ptr("Key, v2")),
					})),
				},
			},
			{
				// Excel export: byte order mark, CRLF, blank rows; vendor header spellings; no upn, model or hash.
				Config: parseTokenCSVOutput("\ufeffSerial_Number,SecretKey,TimeInterval,Vendor\r\n\r\n,,,\r\n00042," + rfcSeedSHA1 + ",30,Token2\r\n"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("tokens", knownvalue.MapExact(map[string]knownvalue.Check{
						"00042": tokenValue(nil, "00042", rfcSeedSHA1, 30, "hmacsha1", ptr("Token2"), nil),
					})),
				},
			},
			{
				// Hex seeds declared by the header, semicolon-separated.
				Config: parseTokenCSVOutput("serial number;secret key (hex);algorithm\nA-1;" + rfcSeedHex + ";hmacsha1\n"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("tokens", knownvalue.MapExact(map[string]knownvalue.Check{
						"A-1": tokenValue(nil, "A-1", rfcSeedSHA1, 30, "hmacsha1", nil, nil),
					})),
				},
			},
			{
				// Hex seeds declared by the call.
				Config: parseTokenCSVOutput("serial,seed\nA-2,"+rfcSeedHex+"\n", "hex"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("tokens", knownvalue.MapExact(map[string]knownvalue.Check{
						"A-2": tokenValue(nil, "A-2", rfcSeedSHA1, 30, "hmacsha1", nil, nil),
					})),
				},
			},
			{
				// A vendor's extra columns are ignored; strict mode with no unknown column reads the file as usual.
				Config: parseTokenCSVOutput("batch,serial,seed (hex),order no.,notes\nB-7,A-3,"+rfcSeedHex+",PO-1,\"desk, 2nd floor\"\n", "hex") +
					"\n" + `output "strict" { value = provider::entraoath::parse_token_csv("serial,seed\nA-4,` + rfcSeedSHA1 + `\n", "strict", "base32") }`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("tokens", knownvalue.MapExact(map[string]knownvalue.Check{
						"A-3": tokenValue(nil, "A-3", rfcSeedSHA1, 30, "hmacsha1", nil, nil),
					})),
					statecheck.ExpectKnownOutputValue("strict", knownvalue.MapExact(map[string]knownvalue.Check{
						"A-4": tokenValue(nil, "A-4", rfcSeedSHA1, 30, "hmacsha1", nil, nil),
					})),
				},
			},
			{
				// Base32 declared explicitly; a header-only file gives an empty map.
				Config: parseTokenCSVOutput("upn,serial number,secret key,time interval,manufacturer,model\n", "base32"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("tokens", knownvalue.MapSizeExact(0)),
				},
			},
		},
	})
}

// TestParseTokenCSVFunction_sensitive checks the documented pattern: a sensitive file gives a sensitive result,
// and a map of what is not secret (serial number => user principal name), made nonsensitive, can drive iteration
// while the seeds looked up by key stay sensitive. (for_each itself cannot be used in
// the test: terraform-plugin-testing's legacy state shim rejects for_each instances.)
func TestParseTokenCSVFunction_sensitive(t *testing.T) {
	tokens := `
locals {
  tokens = provider::entraoath::parse_token_csv(sensitive("upn,serial number,secret key\namy@contoso.example,0001,` + rfcSeedSHA1 + `\n,0002,` + rfcSeedSHA256 + `\n"))
  users  = nonsensitive({ for serial, t in local.tokens : serial => t.user_principal_name })
}
`
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      tokens + `output "tokens" { value = local.tokens }`,
				ExpectError: expectErrorText("Output refers to sensitive values"),
			},
			{
				Config: tokens + `
output "users" {
  value = local.users
}
resource "terraform_data" "seeds" {
  input = { for serial, upn in local.users : serial => local.tokens[serial].secret_key }
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("users", knownvalue.MapExact(map[string]knownvalue.Check{
						"0001": knownvalue.StringExact("amy@contoso.example"), "0002": knownvalue.Null(),
					})),
					statecheck.ExpectKnownValue("terraform_data.seeds", tfjsonpath.New("input"), knownvalue.MapExact(map[string]knownvalue.Check{
						"0001": knownvalue.StringExact(rfcSeedSHA1),
						"0002": knownvalue.StringExact(rfcSeedSHA256),
					})),
					statecheck.ExpectSensitiveValue("terraform_data.seeds", tfjsonpath.New("input").AtMapKey("0001")),
				},
			},
		},
	})
}

func TestParseTokenCSVFunction_invalid(t *testing.T) {
	const header = "upn,serial number,secret key,time interval,manufacturer,model\n"
	for name, c := range map[string]struct {
		content string
		args    []string
		want    string
	}{
		"empty":              {"", nil, `line 1: the file is empty`},
		"no secret column":   {"upn,serial number,time interval\nu,1,30\n", nil, `line 1: the header has no "secret key" column`},
		"strict":             {"serial number,secret key,counter\n1," + rfcSeedSHA1 + ",0\n", []string{"strict"}, `line 1, column "counter": unknown column`},
		"strict, listing":    {"batch,serial number,secret key,notes\nB,1," + rfcSeedSHA1 + ",n\n", []string{"strict", "base32"}, `line 1: unknown columns ["batch" "notes"]`},
		"misspelt interval":  {"serial number,secret key,interval (sec)\n1," + rfcSeedSHA1 + ",60\n", nil, `line 1, column "interval (sec)": looks like the time interval column`},
		"bad seed":           {header + "u,1,GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ,30,C,M\n", nil, `line 2, column "secret key": invalid seed: character 16 is not a Base32 letter`},
		"hex without saying": {header + "u,1," + rfcSeedHex + ",30,C,M\n", nil, `line 2, column "secret key": the secret key is not Base32 (A-Z, 2-7) and looks like hex`},
		"bad interval":       {header + "u,1," + rfcSeedSHA1 + ",45,C,M\n", nil, `line 2, column "time interval": the time interval must be 30 or 60 seconds, got 45`},
		"bad hash":           {"serial number,secret key,hash\n1," + rfcSeedSHA1 + ",md5\n", nil, `line 2, column "hash": "md5" is not SHA-1 or SHA-256`},
		"duplicate serial":   {header + "u,007," + rfcSeedSHA1 + ",30,C,M\nv,007," + rfcSeedSHA256 + ",30,C,M\n", nil, `line 3, column "serial number": serial number "007" is also on line 2`},
		"field count":        {header + "u,1," + rfcSeedSHA1 + ",30,C\n", nil, `line 2: the row has 5 fields but the header has 6`},
		"quoting":            {header + `u,1"2,` + rfcSeedSHA1 + ",30,C,M\n", nil, `line 2: character 4: bare " in non-quoted-field`},
		"header vs call":     {"serial number,secret key (hex)\n1," + rfcSeedHex + "\n", []string{"base32"}, `the header says the seeds are hex, but they were to be read as base32`},
		"unknown encoding":   {header, []string{"base64"}, `value must be one of: ["base32" "hex" "strict"], got: "base64"`},
		"encoding twice":     {header, []string{"hex", "hex"}, `Give the seed encoding at most once; got 2 values.`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      parseTokenCSVOutput(c.content, c.args...),
					ExpectError: expectErrorText(c.want),
				}},
			})
		})
	}
}
