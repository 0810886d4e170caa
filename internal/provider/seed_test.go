package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestBase32SeedValidator(t *testing.T) {
	for _, tc := range []struct {
		name, seed string
		wantErr    []string // phrases the detail must contain; none means valid
	}{
		{name: "canonical", seed: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"},
		{name: "lower case, spaced, hyphenated, padded", seed: "jbsw y3dp-ehpk 3pxp=="},
		{name: "hex digit", seed: "JBSWY3DPEHPK3PX1", wantErr: []string{"secret_key is not a usable Base32 seed", "character 16", "hex_to_base32"}},
		{name: "hex seed", seed: "3132333435363738393031323334353637383930", wantErr: []string{"character 2", "hex_to_base32"}},
		{name: "punctuation", seed: "JBSWY3DPEHPK3PX!", wantErr: []string{"character 16", "convert it with provider::entraoath::hex_to_base32"}},
		{name: "too short", seed: "JBSWY3DP", wantErr: []string{"at least 16"}},
		{name: "bad length", seed: "JBSWY3DPEHPK3PXPJ", wantErr: []string{"whole Base32 bytes"}},
		{name: "empty", seed: "", wantErr: []string{"empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := validator.StringRequest{Path: path.Root(attrSecretKey), ConfigValue: types.StringValue(tc.seed)}
			var resp validator.StringResponse
			base32SeedValidator{}.ValidateString(context.Background(), req, &resp)
			if len(tc.wantErr) == 0 {
				if resp.Diagnostics.HasError() {
					t.Fatalf("unexpected error: %v", resp.Diagnostics)
				}
				return
			}
			if resp.Diagnostics.ErrorsCount() != 1 {
				t.Fatalf("want one error, got %v", resp.Diagnostics)
			}
			d := resp.Diagnostics.Errors()[0]
			text := d.Summary() + " " + d.Detail()
			for _, want := range tc.wantErr {
				if !strings.Contains(text, want) {
					t.Errorf("diagnostic %q does not contain %q", text, want)
				}
			}
			if tc.seed != "" && strings.Contains(strings.ToUpper(text), strings.ToUpper(tc.seed)) {
				t.Errorf("diagnostic echoes the seed: %q", text)
			}
			if strings.Count(text, "hex_to_base32") > 1 {
				t.Errorf("diagnostic suggests hex_to_base32 twice: %q", text)
			}
		})
	}
}
