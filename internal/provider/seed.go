package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

// Seed attributes shared by every resource that hands Graph a token seed: a plain (state-stored) one and a
// write-only one for Terraform 1.11 and later. At most one of them is set.
const (
	attrSecretKey   = "secret_key"
	attrSecretKeyWO = "secret_key_wo"
)

var (
	_ validator.String         = base32SeedValidator{}
	_ resource.ConfigValidator = seedConflictValidator{}
)

// base32SeedValidator accepts what totp.NormalizeBase32 accepts. Its diagnostics never contain the value.
type base32SeedValidator struct{}

func (base32SeedValidator) Description(context.Context) string {
	return "value must be a Base32 seed (A-Z, 2-7; case, spaces, hyphens and = padding are ignored)"
}

func (v base32SeedValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (base32SeedValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := totp.NormalizeBase32(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Hardware Token Seed", seedErrorDetail(req.Path, err))
	}
}

// seedErrorDetail explains a totp seed error for the attribute at p. totp errors never carry the seed.
func seedErrorDetail(p path.Path, err error) string {
	reason := strings.TrimPrefix(err.Error(), totp.ErrInvalidSeed.Error()+": ")
	detail := fmt.Sprintf("%s is not a usable Base32 seed: %s.\n\n"+
		"Give the seed in Base32 (letters A-Z and digits 2-7; case, spaces, hyphens and '=' padding are ignored).", p, reason)
	// NormalizeBase32 already suggests the conversion when it sees a hex digit; don't say it twice.
	if !strings.Contains(reason, "hex_to_base32") {
		detail += " If the vendor file gives the seed in hex, convert it with provider::entraoath::hex_to_base32(\"<hex seed>\")."
	}
	return detail
}

// seedConflictValidator refuses secret_key together with secret_key_wo. Whether a seed is needed at all depends on
// the plan (see plan_seed.go), so it is not required here. It reads the configuration because a write-only value is
// always null in the plan.
type seedConflictValidator struct{}

func (seedConflictValidator) Description(context.Context) string {
	return fmt.Sprintf("at most one of %s and %s may be set", attrSecretKey, attrSecretKeyWO)
}

func (v seedConflictValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (seedConflictValidator) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	plain, writeOnly := configSeeds(ctx, req.Config, &resp.Diagnostics)
	if !resp.Diagnostics.HasError() && !plain.IsNull() && !writeOnly.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root(attrSecretKeyWO), "Conflicting Hardware Token Seeds",
			fmt.Sprintf("Both %s and %s are set; a token has one seed. Remove one of them.", attrSecretKey, attrSecretKeyWO))
	}
}

// seedFields are the seed attributes of both resources: secret_key, or the write-only secret_key_wo and its version.
type seedFields struct {
	SecretKey          types.String `tfsdk:"secret_key"`
	SecretKeyWO        types.String `tfsdk:"secret_key_wo"`
	SecretKeyWOVersion types.Int64  `tfsdk:"secret_key_wo_version"`
}

// configuredSeed returns the seed the configuration gives in secret_key or in secret_key_wo (write-only, so only in
// the configuration), normalised for Graph. It adds an error (without the value) and returns "" when the seed is
// missing or invalid.
func configuredSeed(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) string {
	plain, writeOnly := configSeeds(ctx, config, diags)
	if diags.HasError() {
		return ""
	}
	p, v := path.Root(attrSecretKey), plain
	if v.IsNull() {
		p, v = path.Root(attrSecretKeyWO), writeOnly
	}
	if v.IsNull() || v.IsUnknown() {
		diags.AddAttributeError(p, "Missing Hardware Token Seed",
			fmt.Sprintf("Microsoft Graph needs the token's seed for this change (to create the token, or to activate it for its "+
				"user), but neither %s nor %s is set in the configuration. Set one of them for this apply; a plan that creates and "+
				"activates nothing needs no seed.", attrSecretKey, attrSecretKeyWO))
		return ""
	}
	seed, err := totp.NormalizeBase32(v.ValueString())
	if err != nil {
		diags.AddAttributeError(p, "Invalid Hardware Token Seed", seedErrorDetail(p, err))
		return ""
	}
	return seed
}

// configSeeds reads secret_key and secret_key_wo from the configuration: a write-only value is only there, never in
// the plan or the state.
func configSeeds(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) (plain, writeOnly types.String) {
	diags.Append(config.GetAttribute(ctx, path.Root(attrSecretKey), &plain)...)
	diags.Append(config.GetAttribute(ctx, path.Root(attrSecretKeyWO), &writeOnly)...)
	return plain, writeOnly
}
