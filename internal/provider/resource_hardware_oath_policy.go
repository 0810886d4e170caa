package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

var (
	_ resource.Resource                = (*hardwareOATHPolicyResource)(nil)
	_ resource.ResourceWithConfigure   = (*hardwareOATHPolicyResource)(nil)
	_ resource.ResourceWithImportState = (*hardwareOATHPolicyResource)(nil)
)

// hardwareOATHPolicyID is the id of the tenant's single hardware OATH method configuration.
const hardwareOATHPolicyID = "hardwareOath"

// allUsersTargetID is Graph's pseudo group id for every user in the tenant.
const allUsersTargetID = "all_users"

const policyAPIPath = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/hardwareOath"

// NewHardwareOATHPolicyResource returns the entraoath_hardware_oath_policy resource.
func NewHardwareOATHPolicyResource() resource.Resource { return &hardwareOATHPolicyResource{} }

type hardwareOATHPolicyResource struct {
	client graph.API
}

type hardwareOATHPolicyModel struct {
	ID             types.String `tfsdk:"id"`
	State          types.String `tfsdk:"state"`
	IncludeTargets types.Set    `tfsdk:"include_targets"`
	ExcludeTargets types.Set    `tfsdk:"exclude_targets"`
	ResetOnDestroy types.Bool   `tfsdk:"reset_on_destroy"`
}

type policyIncludeTargetModel struct {
	ID                     string `tfsdk:"id"`
	TargetType             string `tfsdk:"target_type"`
	IsRegistrationRequired bool   `tfsdk:"is_registration_required"`
}

type policyExcludeTargetModel struct {
	ID         string `tfsdk:"id"`
	TargetType string `tfsdk:"target_type"`
}

var (
	policyIncludeTargetType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"id": types.StringType, "target_type": types.StringType, "is_registration_required": types.BoolType,
	}}
	policyExcludeTargetType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"id": types.StringType, "target_type": types.StringType,
	}}
)

// objectIDPattern matches a directory object id (a GUID).
const objectIDPattern = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`

func (r *hardwareOATHPolicyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hardware_oath_policy"
}

func (r *hardwareOATHPolicyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	// Neither the target sets nor their nested attributes use Default: defaults inside sets are unreliable in the
	// framework (terraform-plugin-framework#783, #867), so targetDefaults plans each set as a whole.
	targetType := func(what string) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: "What `id` names " + what + ": `group` (default) or `user` (legacy; Microsoft recommends groups).",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{stringvalidator.OneOf("group", "user")},
		}
	}
	allUsers := types.SetValueMust(policyIncludeTargetType, []attr.Value{types.ObjectValueMust(policyIncludeTargetType.AttrTypes,
		map[string]attr.Value{"id": types.StringValue(allUsersTargetID), "target_type": types.StringValue("group"), "is_registration_required": types.BoolValue(false)})})

	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages the tenant's hardware OATH token authentication method policy " +
			"(`hardwareOathAuthenticationMethodConfiguration`): whether users may sign in with hardware OATH tokens, and which.\n\n" +
			"The policy is a singleton: declare this resource at most once per tenant. Creating it takes over the " +
			"existing settings. Destroying it leaves the tenant's policy as it is and only removes it from the state, " +
			"with a warning: tokens, break-glass accounts among them, keep working. Set `reset_on_destroy` to restore " +
			"Microsoft's defaults instead.\n\n" +
			"Changes take up to 20 minutes to take effect; Microsoft advises allowing an hour before users can sign in " +
			"with, or see, their tokens after the policy is enabled.\n\n" +
			"Requires the `Policy.ReadWrite.AuthenticationMethod` Graph permission (role: Authentication Policy Administrator).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Always `" + hardwareOATHPolicyID + "`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"state": schema.StringAttribute{
				MarkdownDescription: "`enabled` or `disabled`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf("enabled", "disabled")},
			},
			"include_targets": schema.SetNestedAttribute{
				MarkdownDescription: "Who may use hardware OATH tokens. Defaults to all users (one target with id `all_users`).",
				Optional:            true,
				Computed:            true,
				PlanModifiers: []planmodifier.Set{targetDefaults{omitted: allUsers, attributes: map[string]attr.Value{
					"target_type": types.StringValue("group"), "is_registration_required": types.BoolValue(false),
				}}},
				Validators: []validator.Set{setvalidator.SizeAtLeast(1)},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id": schema.StringAttribute{
						MarkdownDescription: "A group's object id, `all_users`, or (with `target_type = \"user\"`) a user's object id.",
						Required:            true,
						Validators: []validator.String{stringvalidator.RegexMatches(
							regexp.MustCompile(`^(`+allUsersTargetID+`|`+objectIDPattern+`)$`),
							"must be an object id (a GUID) or all_users")},
					},
					"target_type": targetType("included"),
					"is_registration_required": schema.BoolAttribute{
						MarkdownDescription: "Whether the target's users are required to register the method. Defaults to `false`.",
						Optional:            true,
						Computed:            true,
					},
				}},
			},
			"exclude_targets": schema.SetNestedAttribute{
				MarkdownDescription: "Who may not use hardware OATH tokens, even when included. Defaults to nobody.",
				Optional:            true,
				Computed:            true,
				PlanModifiers: []planmodifier.Set{targetDefaults{
					omitted:    types.SetValueMust(policyExcludeTargetType, nil),
					attributes: map[string]attr.Value{"target_type": types.StringValue("group")},
				}},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id": schema.StringAttribute{
						MarkdownDescription: "A group's object id, or (with `target_type = \"user\"`) a user's object id.",
						Required:            true,
						Validators: []validator.String{stringvalidator.RegexMatches(
							regexp.MustCompile(`^`+objectIDPattern+`$`), "must be an object id (a GUID)")},
					},
					"target_type": targetType("excluded"),
				}},
			},
			"reset_on_destroy": schema.BoolAttribute{
				MarkdownDescription: "What destroying the resource does to the tenant. `false` (default): nothing; the policy stays " +
					"as it is (hardware OATH stays enabled for its targets) and Terraform stops managing it. `true`: destroy " +
					"restores Microsoft's defaults, `disabled` for all users, so nobody can sign in with a hardware OATH token " +
					"any more, break-glass accounts included. Set it (and apply) before destroying; it makes no Graph call of its own.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
		},
	}
}

func (r *hardwareOATHPolicyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if pd := configuredData(req.ProviderData, &resp.Diagnostics); pd != nil {
		r.client = pd.client
	}
}

func (r *hardwareOATHPolicyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan hardwareOATHPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.write(ctx, &plan, "Unable to Create Hardware OATH Policy", &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *hardwareOATHPolicyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state hardwareOATHPolicyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A change of reset_on_destroy alone is Terraform's business, not Graph's.
	if state.State.Equal(plan.State) && state.IncludeTargets.Equal(plan.IncludeTargets) && state.ExcludeTargets.Equal(plan.ExcludeTargets) {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	r.write(ctx, &plan, "Unable to Update Hardware OATH Policy", &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// write sends the whole planned policy. The state then records the plan rather than a read-back: Graph may
// briefly keep answering with the previous configuration after a PATCH.
func (r *hardwareOATHPolicyResource) write(ctx context.Context, plan *hardwareOATHPolicyModel, summary string, diags *diag.Diagnostics) {
	var include []policyIncludeTargetModel
	var exclude []policyExcludeTargetModel
	diags.Append(plan.IncludeTargets.ElementsAs(ctx, &include, false)...)
	diags.Append(plan.ExcludeTargets.ElementsAs(ctx, &exclude, false)...)
	if diags.HasError() {
		return
	}
	p := graph.Policy{
		State:          plan.State.ValueString(),
		IncludeTargets: make([]graph.PolicyTarget, 0, len(include)),
		ExcludeTargets: make([]graph.PolicyTarget, 0, len(exclude)),
	}
	for _, t := range include {
		p.IncludeTargets = append(p.IncludeTargets, graph.PolicyTarget{ID: t.ID, TargetType: t.TargetType, IsRegistrationRequired: t.IsRegistrationRequired})
	}
	for _, t := range exclude {
		p.ExcludeTargets = append(p.ExcludeTargets, graph.PolicyTarget{ID: t.ID, TargetType: t.TargetType})
	}
	if err := r.client.UpdatePolicy(ctx, p); err != nil {
		addGraphError(diags, summary, fmt.Sprintf("set the hardware OATH policy to %s (PATCH %s)", p.State, policyAPIPath), permPolicyWrite, err)
		return
	}
	plan.ID = types.StringValue(hardwareOATHPolicyID)
}

func (r *hardwareOATHPolicyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state hardwareOATHPolicyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	p, err := r.client.GetPolicy(ctx)
	if err != nil {
		addGraphError(&resp.Diagnostics, "Unable to Read Hardware OATH Policy",
			fmt.Sprintf("read the hardware OATH policy (GET %s)", policyAPIPath), permPolicyRead, err)
		return
	}
	include := make([]policyIncludeTargetModel, 0, len(p.IncludeTargets))
	for _, t := range p.IncludeTargets {
		include = append(include, policyIncludeTargetModel{ID: t.ID, TargetType: t.TargetType, IsRegistrationRequired: t.IsRegistrationRequired})
	}
	exclude := make([]policyExcludeTargetModel, 0, len(p.ExcludeTargets))
	for _, t := range p.ExcludeTargets {
		exclude = append(exclude, policyExcludeTargetModel{ID: t.ID, TargetType: t.TargetType})
	}
	var diags diag.Diagnostics
	state.ID = types.StringValue(hardwareOATHPolicyID)
	state.State = types.StringValue(p.State)
	if state.ResetOnDestroy.IsNull() { // imported, or state from a version without the attribute
		state.ResetOnDestroy = types.BoolValue(false)
	}
	state.IncludeTargets, diags = types.SetValueFrom(ctx, policyIncludeTargetType, include)
	resp.Diagnostics.Append(diags...)
	state.ExcludeTargets, diags = types.SetValueFrom(ctx, policyExcludeTargetType, exclude)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Delete leaves the tenant's policy in place unless reset_on_destroy asks for Microsoft's defaults: turning the
// method off takes every hardware OATH token away, break-glass accounts' included. The configuration itself
// cannot be removed.
func (r *hardwareOATHPolicyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var reset types.Bool
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("reset_on_destroy"), &reset)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !reset.ValueBool() {
		resp.Diagnostics.AddWarning("Hardware OATH Policy Left in Place",
			"Terraform no longer manages the tenant's hardware OATH policy, but did not change it: hardware OATH tokens "+
				"keep working for the users the policy targets. To turn the method off, set state = \"disabled\" and apply; "+
				"to restore Microsoft's defaults (disabled for all users) when destroying, set reset_on_destroy = true and "+
				"apply before destroying.")
		return
	}
	if err := r.client.ResetPolicy(ctx); err != nil {
		addGraphError(&resp.Diagnostics, "Unable to Reset Hardware OATH Policy",
			fmt.Sprintf("restore the hardware OATH policy's defaults (DELETE %s)", policyAPIPath), permPolicyWrite, err)
	}
}

func (r *hardwareOATHPolicyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	// Graph's own listings spell the id "HardwareOath"; accept either.
	if !strings.EqualFold(req.ID, hardwareOATHPolicyID) {
		resp.Diagnostics.AddError("Invalid Hardware OATH Policy Import ID",
			fmt.Sprintf("The hardware OATH policy is a tenant singleton and is imported with the id %q; got %q.", hardwareOATHPolicyID, req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), hardwareOATHPolicyID)...)
}

// targetDefaults plans a target set: omitted when the configuration leaves the set out, else the configured set
// with attributes' defaults filled in where the configuration leaves them null.
type targetDefaults struct {
	omitted    types.Set
	attributes map[string]attr.Value
}

var _ planmodifier.Set = targetDefaults{}

func (d targetDefaults) Description(context.Context) string {
	return "fills in the defaults of the targets' optional attributes"
}

func (d targetDefaults) MarkdownDescription(ctx context.Context) string { return d.Description(ctx) }

func (d targetDefaults) PlanModifySet(ctx context.Context, req planmodifier.SetRequest, resp *planmodifier.SetResponse) {
	if req.ConfigValue.IsNull() {
		resp.PlanValue = d.omitted
		return
	}
	if req.ConfigValue.IsUnknown() {
		return
	}
	elems := make([]attr.Value, 0, len(req.ConfigValue.Elements()))
	for _, e := range req.ConfigValue.Elements() {
		obj, ok := e.(types.Object)
		if !ok || obj.IsNull() || obj.IsUnknown() {
			elems = append(elems, e)
			continue
		}
		attrs := maps.Clone(obj.Attributes())
		for name, def := range d.attributes {
			if attrs[name].IsNull() {
				attrs[name] = def
			}
		}
		v, diags := types.ObjectValue(obj.AttributeTypes(ctx), attrs)
		resp.Diagnostics.Append(diags...)
		elems = append(elems, v)
	}
	plan, diags := types.SetValue(req.ConfigValue.ElementType(ctx), elems)
	resp.Diagnostics.Append(diags...)
	if !resp.Diagnostics.HasError() {
		resp.PlanValue = plan
	}
}
