package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Seeds only when Graph needs them: Graph needs a seed to create a token and to activate an assignment, never to
// read or keep one. A configuration may therefore drop its seeds once they have been used; these plan modifiers
// keep such a plan empty, and the plan-time checks below ask for a seed only when the plan needs one.

var (
	_ planmodifier.String = keepRemovedSeed{}
	_ planmodifier.Int64  = keepRemovedSeed{}
	_ planmodifier.Map    = keepRemovedSeed{}
)

const keepRemovedSeedDescription = "Removing the attribute from the configuration keeps the value recorded in the state " +
	"(no change, no Graph call), unless the other seed attribute is now set: then the recorded value is cleared, without a replacement."

// keepRemovedSeed plans the state's value for a seed attribute (secret_key, secret_key_wo_version, secret_keys) that the
// configuration no longer sets, so that a configuration without seeds plans no change; when other (the other way
// of giving the seed) is set instead, as in a secret_key -> secret_key_wo migration, it plans null. The attributes
// are Optional and Computed because Terraform only lets a provider plan a value the configuration does not give
// for a computed attribute.
type keepRemovedSeed struct{ other string }

func (keepRemovedSeed) Description(context.Context) string         { return keepRemovedSeedDescription }
func (keepRemovedSeed) MarkdownDescription(context.Context) string { return keepRemovedSeedDescription }

func (m keepRemovedSeed) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.ConfigValue.IsNull() {
		resp.PlanValue = types.StringNull()
		if m.keep(ctx, req.Config, req.State, &resp.Diagnostics) {
			resp.PlanValue = req.StateValue
		}
	}
}

func (m keepRemovedSeed) PlanModifyInt64(ctx context.Context, req planmodifier.Int64Request, resp *planmodifier.Int64Response) {
	if req.ConfigValue.IsNull() {
		resp.PlanValue = types.Int64Null()
		if m.keep(ctx, req.Config, req.State, &resp.Diagnostics) {
			resp.PlanValue = req.StateValue
		}
	}
}

func (m keepRemovedSeed) PlanModifyMap(ctx context.Context, req planmodifier.MapRequest, resp *planmodifier.MapResponse) {
	if req.ConfigValue.IsNull() {
		resp.PlanValue = types.MapNull(req.ConfigValue.ElementType(ctx))
		if m.keep(ctx, req.Config, req.State, &resp.Diagnostics) {
			resp.PlanValue = req.StateValue
		}
	}
}

// keep reports whether a removed seed attribute keeps its recorded value: on an existing resource whose
// configuration does not give the seed the other way.
func (m keepRemovedSeed) keep(ctx context.Context, config tfsdk.Config, state tfsdk.State, diags *diag.Diagnostics) bool {
	if state.Raw.IsNull() {
		return false
	}
	var other attr.Value
	diags.Append(config.GetAttribute(ctx, path.Root(m.other), &other)...)
	return other == nil || other.IsNull()
}

// Graph never returns the seed, so an imported token's state holds no seed (nor version). A seed attribute replaces
// the token only when both the state and the plan hold a value and they differ: a first value (after import) is
// only recorded, and a removed one is kept or cleared by keepRemovedSeed.
func replaceOnSeedChangeString(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsNull()
}

func replaceOnSeedChangeInt64(_ context.Context, req planmodifier.Int64Request, resp *int64planmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsNull()
}

const replaceOnSeedChangeDescription = "Replaces the token when the value changes, except when the state has no " +
	"value yet (an imported token, or a switch between secret_key and secret_key_wo): then the value is only recorded."

// seedInConfig reports whether the configuration gives a seed, or may (a value known only at apply).
func seedInConfig(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) bool {
	plain, writeOnly := configSeeds(ctx, config, diags)
	return !plain.IsNull() || !writeOnly.IsNull()
}

// missingSeedDetail explains, for what (e.g. "creates the token"), that the seed is needed and how to give it.
func missingSeedDetail(what string) string {
	return fmt.Sprintf("Microsoft Graph needs the token's seed when the provider %s, and the configuration gives none. "+
		"Set %s, or %s (Terraform 1.11 and later) to keep the seed out of the plan and state. The seed is needed only "+
		"for this: a plan that creates and activates nothing needs no seed.", what, attrSecretKey, attrSecretKeyWO)
}

// warnSeedOnlyRecorded says, when the plan sets or clears a seed attribute without replacing the token, that the
// in-place update only changes what the state records: Graph cannot read or change a token's seed.
func warnSeedOnlyRecorded(diags *diag.Diagnostics, serial string, plan, state seedFields) {
	recordedOnly := func(p, s attr.Value) bool { return !p.Equal(s) && (p.IsNull() || s.IsNull()) }
	if recordedOnly(plan.SecretKey, state.SecretKey) || recordedOnly(plan.SecretKeyWOVersion, state.SecretKeyWOVersion) {
		diags.AddWarning("Hardware Token Seed Only Recorded",
			fmt.Sprintf("The plan changes the seed attributes of the hardware token with serial number %s only in the Terraform "+
				"state: Microsoft Graph never returns a token's seed and cannot change it, so the apply makes no Graph call "+
				"for this, and the token in the tenant keeps the seed it was created with. This happens after an import, and "+
				"when switching between %s and %s.", serial, attrSecretKey, attrSecretKeyWO))
	}
}
