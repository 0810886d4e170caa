package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// testAccConfigure runs the provider's Configure with the given arguments (the others null), as Terraform would,
// and returns its diagnostics: the warnings a Terraform run shows but a test step cannot assert.
func testAccConfigure(t *testing.T, args map[string]string) diag.Diagnostics {
	t.Helper()
	testAccRequireEmulator(t) // Configure signs in
	ctx := context.Background()
	p := New("test")()
	var sr provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sr)
	typ, ok := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("the provider schema is not an object")
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	for name, v := range args {
		vals[name] = tftypes.NewValue(tftypes.String, v)
	}
	var resp provider.ConfigureResponse
	p.Configure(ctx, provider.ConfigureRequest{
		Config:           tfsdk.Config{Schema: sr.Schema, Raw: tftypes.NewValue(typ, vals)},
		TerraformVersion: "1.11.4",
	}, &resp)
	return resp.Diagnostics
}

// summaries lists the diagnostics' severities and summaries, e.g. "Warning: Custom Endpoint in Use".
func summaries(diags diag.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, d.Severity().String()+": "+d.Summary())
	}
	return out
}

// findDiag returns the detail of the diagnostic with summary, or fails the test.
func findDiag(t *testing.T, diags diag.Diagnostics, summary string) string {
	t.Helper()
	for _, d := range diags {
		if d.Summary() == summary {
			return d.Detail()
		}
	}
	t.Fatalf("no diagnostic %q among %q", summary, summaries(diags))
	return ""
}

// Without ENTRAOATH_ALLOW_CUSTOM_ENDPOINTS=true, a Graph endpoint or authority outside the cloud fails the plan
// before the provider sends anything there: the other host sees no sign-in request.
func TestAccProviderSignIn_customEndpointsNeedOptIn(t *testing.T) {
	testAccRequireEmulator(t)
	other, err := emulator.Start(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	testAccSignInEnv(t, map[string]string{
		"ARM_CLIENT_SECRET":        testEmulator.Options().ClientSecret,
		"ENTRAOATH_AUTHORITY_HOST": other.URL() + "/",
		allowCustomEndpointsEnv:    "",
	})
	testAccExpectSignInError(t, fmt.Sprintf(`provider "entraoath" {
  graph_endpoint = %q
}`, other.URL()), regexp.MustCompile(`(?s)Custom Endpoint Not Allowed.*(graph_endpoint\s+points\s+to.*`+
		`ENTRAOATH_AUTHORITY_HOST\s+points\s+to|ENTRAOATH_AUTHORITY_HOST\s+points\s+to.*graph_endpoint\s+points\s+to)`),
		testEmulator.Options().ClientSecret)
	if got := other.Requests(); len(got) != 0 {
		t.Fatalf("the other host received requests before the opt-in was checked: %v", got)
	}
}

// With the opt-in, an override works and is announced; the token is requested for the Graph host actually called
// (the emulator grants none for https://graph.microsoft.com).
func TestAccProviderConfigure_customEndpointWarning(t *testing.T) {
	testAccRequireEmulator(t)
	diags := testAccConfigure(t, map[string]string{"graph_endpoint": testEmulator.URL()})
	if diags.HasError() {
		t.Fatalf("configure failed: %v", diags)
	}
	host := strings.TrimPrefix(testEmulator.URL(), "https://")
	for _, want := range []string{"graph_endpoint points to " + host, "ENTRAOATH_AUTHORITY_HOST points to " + host} {
		found := false
		for _, d := range diags {
			found = found || d.Summary() == "Custom Endpoint in Use" && strings.Contains(d.Detail(), want)
		}
		if !found {
			t.Errorf("no warning saying %q among %v", want, diags)
		}
	}
}

// A national cloud gets a warning naming it and the only resource documented there.
func TestAccProviderConfigure_nationalCloudWarning(t *testing.T) {
	for env, name := range map[string]string{"usgovernment": "US Government", "china": "China"} {
		detail := findDiag(t, testAccConfigure(t, map[string]string{"environment": env}),
			"Hardware OATH Token APIs Not Documented in This Cloud")
		if !strings.Contains(detail, name) || !strings.Contains(detail, "entraoath_hardware_oath_policy") {
			t.Errorf("%s: warning does not name the cloud and the policy resource: %s", env, detail)
		}
	}
	for _, d := range testAccConfigure(t, nil) {
		if d.Summary() == "Hardware OATH Token APIs Not Documented in This Cloud" {
			t.Errorf("the global service got the national cloud warning: %s", d.Detail())
		}
	}
}

// TF_LOG_SDK_PROTO_DATA_DIR writes configurations, seeds included, to disk: the provider says so.
func TestAccProviderConfigure_protoDumpWarning(t *testing.T) {
	t.Setenv(protoDumpEnv, t.TempDir())
	detail := findDiag(t, testAccConfigure(t, nil), "Terraform Protocol Messages Written to Disk")
	if !strings.Contains(detail, "secret_key_wo") {
		t.Errorf("the warning does not say seeds are written: %s", detail)
	}
}

// In a national cloud, Graph refusing a token call gets an error that names the cloud.
func TestAccProviderSignIn_nationalCloudRefusal(t *testing.T) {
	testAccRequireEmulator(t)
	testAccSignInEnv(t, map[string]string{"ARM_CLIENT_SECRET": testEmulator.Options().ClientSecret})
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `provider "entraoath" {
  environment = "usgovernment"
}

data "entraoath_hardware_token" "missing" {
  id = "00000000-0000-4000-8000-00000000dead"
}`,
			ExpectError: regexp.MustCompile(`(?s)configured for the US Government cloud.*entraoath_hardware_oath_policy.*HTTP 404`),
		}},
	})
}
