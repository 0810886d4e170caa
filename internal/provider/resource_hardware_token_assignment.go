package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

var (
	_ resource.ResourceWithConfigure        = (*hardwareTokenAssignmentResource)(nil)
	_ resource.ResourceWithConfigValidators = (*hardwareTokenAssignmentResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*hardwareTokenAssignmentResource)(nil)
	_ resource.ResourceWithImportState      = (*hardwareTokenAssignmentResource)(nil)
)

// NewHardwareTokenAssignmentResource is the entraoath_hardware_token_assignment resource.
func NewHardwareTokenAssignmentResource() resource.Resource {
	return &hardwareTokenAssignmentResource{}
}

type hardwareTokenAssignmentResource struct {
	client graph.API
	engine *lifecycle.Engine
	claims *tokenClaims
}

type hardwareTokenAssignmentModel struct {
	ID                types.String `tfsdk:"id"`
	TokenID           types.String `tfsdk:"token_id"`
	UserID            types.String `tfsdk:"user_id"`
	UserPrincipalName types.String `tfsdk:"user_principal_name"`
	Activate          types.Bool   `tfsdk:"activate"`
	Deactivate        types.Bool   `tfsdk:"deactivate"`
	seedFields
	DisplayName      types.String   `tfsdk:"display_name"`
	Status           types.String   `tfsdk:"status"`
	SerialNumber     types.String   `tfsdk:"serial_number"`
	LastUsedDateTime types.String   `tfsdk:"last_used_date_time"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
}

func (r *hardwareTokenAssignmentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hardware_token_assignment"
}

func (r *hardwareTokenAssignmentResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Assigns a hardware OATH (TOTP) token from the tenant inventory to a user and, by default, " +
			"activates it during apply with a verification code computed from the token's seed.\n\n" +
			"The code is computed when the apply runs, never at plan time, so a saved plan does not carry a stale code. " +
			"If Graph rejects it because the TOTP step rolled over in between, the provider retries once with the next step's code.\n\n" +
			"Activation needs the token's seed: pass it in `secret_key` (for example " +
			"`secret_key = entraoath_hardware_token.example.secret_key`) or, with Terraform 1.11 and later, in the write-only " +
			"`secret_key_wo`, which never reaches the plan or the state. The seed is needed only when the apply activates " +
			"the token: once the assignment is activated, the configuration may drop it, and a plan with nothing to " +
			"activate is empty. When drift needs a new activation and no seed is configured, the plan shows the status " +
			"change with a warning, and the apply fails on this resource alone, before any Graph write, until the seed is given.\n\n" +
			"**A changed user is checked at plan time.** When `user_id` or `user_principal_name` changes (which replaces " +
			"the assignment, unassigning the token from its holder) and the new value is known when planning, the user is " +
			"looked up in the plan (one Graph request per changed assignment, none for unchanged ones): a user who does not " +
			"exist, is disabled or is a guest fails the plan on that attribute, so a misspelled user principal name never " +
			"takes a working token away. A new assignment's user is checked when the apply creates it, before any write. " +
			"When a changed value is known only during apply (it comes from another resource), the check also runs at " +
			"create; as Terraform replaces a resource by destroying it first, the previous holder is unassigned by then, and " +
			"`create_before_destroy` does not help (the new assignment would find the token still assigned): change the user " +
			"in a configuration where the new value is known.\n\n" +
			"**One token, one assignment.** Two assignment resources that give the same token (a `token_id` known at plan) " +
			"to different users fail the plan; when `token_id` is known only during apply, the second one fails before it " +
			"writes anything, naming the user who holds the token.\n\n" +
			"**Drift** is detected on every refresh by reading the token from the inventory:\n\n" +
			"* token deleted, or unassigned outside Terraform: the assignment leaves the state and the plan creates it again;\n" +
			"* token assigned to another user: the state records the actual holder, so the plan shows " +
			"`user_id: \"<holder>\" -> \"<configured user>\"` and forces replacement: the token is unassigned from the holder, " +
			"then assigned to (and activated for) the configured user;\n" +
			"* token deactivated, or its activation failed, while `activate = true`: the plan shows the in-place update " +
			"`status: \"assigned\" -> \"activated\"` (or from `\"failedActivation\"`), and apply activates the token again;\n" +
			"* token activated while `deactivate = true`: the plan shows `status: \"activated\" -> \"assigned\"` and apply deactivates it. " +
			"`activate = false` alone never deactivates a token: it only means the provider does not activate it.\n\n" +
			"If activation fails during create, the token stays assigned with status `failedActivation`: the resource is saved " +
			"(tainted) with that status, and the error says which settings were used so the configuration can be fixed.\n\n" +
			"**When to activate.** A hardware token's clock drifts from the moment it leaves the factory; Entra ID re-learns " +
			"the drift at activation and at each sign-in, and accepts about a day of drift at activation (two days for " +
			"60-second tokens). A token activated during apply long before it reaches its holder may have drifted too far " +
			"by its first sign-in. For tokens that sit in a drawer, vendors recommend leaving activation to the user " +
			"(`activate = false`, the user activates in Security info) when they are handed out more than about a month " +
			"after the apply.\n\n" +
			"Destroying the resource unassigns the token; it returns to the inventory as `available`.\n\n" +
			"When Graph answers an assignment, activation or unassignment with anything but a success (a refusal, a server " +
			"error, a lost connection), the provider reads the token and decides from its status and holder what happened: " +
			"it adopts a write Graph applied, finishes only what is missing, names the user who holds the token, or reports " +
			"a rejected verification code. If the create fails after the token was assigned, the assignment is saved " +
			"(tainted) with the status Graph reports, and the next apply finishes the job.",
		Blocks: map[string]schema.Block{"timeouts": timeoutsBlock(ctx, tokenTimeouts)},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<user object id>/<token id>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"token_id": schema.StringAttribute{
				MarkdownDescription: "The object id of the hardware OATH token in the inventory (`entraoath_hardware_token.<name>.id`). " +
					"Set exactly one of `token_id` and `serial_number`; with `serial_number`, the token's id is looked up and " +
					"known after apply. Changing it assigns a different token (replacement).",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.String{keepUnsetIdentity{}, replaceIdentity()},
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"user_id": schema.StringAttribute{
				MarkdownDescription: "The object id of the user who receives the token. Exactly one of `user_id` and " +
					"`user_principal_name` must be set; the other is looked up and known after apply. " +
					"Changing the user forces replacement.",
				Optional: true,
				Computed: true,
				// Keeps the looked-up value when the other attribute identifies the user; a changed user is replaced, and
				// Terraform plans a replacement again without prior state, so the value becomes unknown.
				PlanModifiers: []planmodifier.String{keepUnsetIdentity{}, replaceIdentity()},
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"user_principal_name": schema.StringAttribute{
				MarkdownDescription: "The user principal name of the user who receives the token, e.g. `amy@contoso.com`. " +
					"Exactly one of `user_id` and `user_principal_name` must be set. Changing the user forces replacement.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.String{keepUnsetIdentity{}, replaceIdentity()},
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"activate": schema.BoolAttribute{
				MarkdownDescription: "Whether the token is activated for the user during apply (default `true`). " +
					"Activation needs `secret_key` or `secret_key_wo`. With `false` the provider does not activate the token: " +
					"a new assignment is only assigned (status `assigned`) and the user activates it in Security info. " +
					"`false` never deactivates a token that is activated (by the user, or before an import); to deactivate " +
					"it, set `deactivate = true`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"deactivate": schema.BoolAttribute{
				MarkdownDescription: "Set to `true` (with `activate = false`) to deactivate the token when it is activated: " +
					"it stays assigned to the user with status `assigned` (Graph's `deactivate` action), and the user can no " +
					"longer sign in with it until it is activated again. Default `false`: the provider never deactivates a token.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			attrSecretKey: schema.StringAttribute{
				MarkdownDescription: "The token's Base32 seed, used only to compute the activation code during apply; Graph " +
					"never returns it. Usually `entraoath_hardware_token.<name>.secret_key`. Stored in the state (sensitive); " +
					"prefer `secret_key_wo` with Terraform 1.11 and later. Conflicts with `secret_key_wo`. " +
					"Needed only when the apply activates the token. Changing it does not replace the assignment; removing it " +
					"keeps the recorded value (no change), and switching to `secret_key_wo` clears it from the state.",
				Optional:      true,
				Computed:      true,
				Sensitive:     true,
				Validators:    []validator.String{base32SeedValidator{}},
				PlanModifiers: []planmodifier.String{keepRemovedSeed{other: attrSecretKeyWO}},
			},
			attrSecretKeyWO: schema.StringAttribute{
				MarkdownDescription: "Write-only alternative to `secret_key` (Terraform 1.11 and later): the seed is used to " +
					"compute the activation code during apply and is never stored in the plan or the state. " +
					"Conflicts with `secret_key`. Needed only when the apply activates the token.",
				Optional:   true,
				Sensitive:  true,
				WriteOnly:  true,
				Validators: []validator.String{base32SeedValidator{}},
			},
			"secret_key_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Change this number when `secret_key_wo` changes: Terraform cannot see changes of a " +
					"write-only value, and a new version makes the next apply use the new seed if the token needs activating. " +
					"Removing it keeps the recorded value (no change).",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.Int64{int64validator.ConflictsWith(path.MatchRoot(attrSecretKey))},
				PlanModifiers: []planmodifier.Int64{keepRemovedSeed{other: attrSecretKey}},
			},
			"display_name": schema.StringAttribute{
				MarkdownDescription: "The name the user sees for this sign-in method in Security info. Graph takes it only " +
					"with the activation, so a change applies at the next activation, and it cannot be combined with " +
					"`activate = false` (the plan refuses it: set `entraoath_hardware_token.display_name` instead, which Graph " +
					"takes while the token is unassigned). Graph keeps it as the token's display " +
					"name: set it here or in `entraoath_hardware_token.display_name`, not in both.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "The token's status as Graph reports it: `assigned`, `activated` or `failedActivation`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"serial_number": schema.StringAttribute{
				MarkdownDescription: "The serial number of the token to assign (printed on it), as an alternative to `token_id`: " +
					"set exactly one of the two. With `serial_number`, a configuration that only assigns tokens (another team " +
					"uploads them, in the portal or in another configuration) needs neither `entraoath_hardware_token` resources " +
					"nor a reference to them. The provider looks the serial number up in the inventory listing it shares with " +
					"every other read of the command (no extra request for fleets of up to 999 tokens), then assigns and " +
					"activates the token by its object id, so that the outcome of every write is read from the token as for " +
					"`token_id`; the serial number must match exactly one token. Use `token_id` when the token is created in " +
					"the same configuration (Terraform then orders the assignment after the token); use `serial_number` when " +
					"the token already is, or will be, in the inventory by other means. With `token_id`, this attribute is " +
					"read from the inventory. Changing it assigns a different token (replacement).",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.String{keepUnsetIdentity{}, replaceIdentity()},
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"last_used_date_time": schema.StringAttribute{
				MarkdownDescription: "When the token was last used (RFC 3339), as of the last refresh; empty if never used.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *hardwareTokenAssignmentResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if pd := configuredData(req.ProviderData, &resp.Diagnostics); pd != nil {
		r.client, r.engine, r.claims = pd.client, pd.engine, pd.claims
	}
}

func (r *hardwareTokenAssignmentResource) ConfigValidators(_ context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(path.MatchRoot("user_id"), path.MatchRoot("user_principal_name")),
		resourcevalidator.ExactlyOneOf(path.MatchRoot("token_id"), path.MatchRoot("serial_number")),
		resourcevalidator.Conflicting(path.MatchRoot(attrSecretKey), path.MatchRoot(attrSecretKeyWO)),
		activationSettingsValidator{},
	}
}

// ModifyPlan makes a pending activation or deactivation visible as a status change, so a token that was deactivated
// (or failed activation) outside Terraform plans an in-place update; warns when that activation will need a seed the
// configuration does not give; resolves a changed user; and claims the token for this assignment.
func (r *hardwareTokenAssignmentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	// Only the attributes it needs: Terraform plans every assignment on every plan, and reading whole models
	// (or setting an unchanged status) would cost more than the rest of the provider's work in a no-change plan.
	var a assignmentPlan
	a.read(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if status := a.plannedStatus(); !status.Equal(a.planned) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("status"), status)...)
	}
	if a.activates() && !seedInConfig(ctx, req.Config, &resp.Diagnostics) {
		resp.Diagnostics.AddAttributeWarning(path.Root(attrSecretKey), "Hardware Token Activation Will Need the Seed",
			missingSeedDetail("activates the token for its user")+" Without it, the apply fails on this resource.")
	}
	if a.imported() && r.client != nil {
		r.identityFilled(ctx, req, resp)
	}
	claim, ok := r.planUser(ctx, &resp.Diagnostics, a)
	if ok && !resp.Diagnostics.HasError() && a.tokenID.ValueString() != "" {
		r.claimToken(ctx, &resp.Diagnostics, a.tokenID.ValueString(), a.serial.ValueString(), claim)
	}
}

func (r *hardwareTokenAssignmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	const summary = "Unable to Create Hardware Token Assignment"
	var plan hardwareTokenAssignmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer cancel()
	if plan.TokenID.IsUnknown() || plan.TokenID.IsNull() {
		// The token is about to be assigned: Graph names it, not a listing older than this apply's own writes
		// (a token deleted and uploaded again keeps its serial number, not its id).
		if plan.TokenID = types.StringValue(tokenBySerial(graph.WithFreshReads(ctx), r.client, &resp.Diagnostics, summary, path.Root("serial_number"),
			plan.SerialNumber.ValueString())); resp.Diagnostics.HasError() {
			return
		}
	}
	userAttr, userRef := path.Root("user_id"), plan.UserID.ValueString()
	if plan.UserID.IsUnknown() || plan.UserID.IsNull() {
		userAttr, userRef = path.Root("user_principal_name"), plan.UserPrincipalName.ValueString()
	}
	user := r.assignableUser(ctx, &resp.Diagnostics, summary, userAttr, userRef)
	if user == nil {
		return
	}
	device := r.readToken(ctx, &resp.Diagnostics, summary, plan.TokenID.ValueString())
	if device == nil {
		return
	}
	if device.AssignedTo != nil {
		detail := fmt.Sprintf("Token %s (serial %s) is already assigned to user %s. A token can be assigned to only one user: "+
			"unassign it first, or remove the other assignment resource that holds it", device.ID, device.SerialNumber,
			lifecycle.UserLabel(ctx, r.client, device.AssignedTo.ID))
		if strings.EqualFold(device.AssignedTo.ID, user.ID) {
			detail = fmt.Sprintf("Token %s (serial %s) is already assigned to user %s. To manage the existing assignment, "+
				"import it: terraform import <address> %s/%s", device.ID, device.SerialNumber, user.UserPrincipalName, user.ID, device.ID)
		}
		resp.Diagnostics.AddAttributeError(path.Root("token_id"), summary, detail+".")
		return
	}

	if plan.UserID.IsUnknown() || plan.UserID.IsNull() {
		plan.UserID = types.StringValue(user.ID)
	}
	if plan.UserPrincipalName.IsUnknown() || plan.UserPrincipalName.IsNull() {
		plan.UserPrincipalName = types.StringValue(user.UserPrincipalName)
	}
	plan.ID = types.StringValue(user.ID + "/" + device.ID)
	setFromDevice(&plan, device)

	a := lifecycle.Assignment{UserID: user.ID, TokenID: device.ID, DisplayName: plan.DisplayName.ValueString(), Activate: plan.Activate.ValueBool()}
	attempted := fmt.Sprintf("assign token %s (serial %s) to user %s", device.ID, device.SerialNumber, lifecycle.UserText(user.UserPrincipalName, user.ID))
	if a.Activate {
		seed := configuredSeed(ctx, req.Config, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
		a.Seed = lifecycle.StaticSeed(seed)
		attempted += " and activate it"
	}
	current, err := r.engine.Assign(ctx, r.client, a, device)
	var rejected *lifecycle.CodeRejectedError
	switch {
	case err == nil:
		setFromDevice(&plan, current) // assigned, and activated when asked: the engine read it so, or Graph said so
		recordWrite(ctx, resp.Private, &resp.Diagnostics)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	case errors.As(err, &rejected):
		// The token is assigned but not activated: save what Graph reports, so the state matches the tenant.
		recordWrite(ctx, resp.Private, &resp.Diagnostics)
		r.saveAfterFailedActivation(ctx, &resp.Diagnostics, &resp.State, plan, lifecycle.UserText(user.UserPrincipalName, user.ID), rejected)
	default:
		if lifecycle.HeldBy(current, user.ID) {
			// Assigned, but not (yet) activated: the state records what exists, and the next apply finishes the job.
			setFromDevice(&plan, current)
			recordWrite(ctx, resp.Private, &resp.Diagnostics)
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		}
		addAssignmentError(&resp.Diagnostics, summary, attempted, err)
	}
}

func (r *hardwareTokenAssignmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state hardwareTokenAssignmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer cancel()
	// Right after the provider wrote the assignment, Graph may still show the token as before: read again until the
	// read agrees with the state or the consistency window has passed; only then is a difference drift.
	userID, tokenID := state.ids()
	device, err := r.engine.Read(ctx, r.client, tokenID, r.engine.SettledBy(lastWrite(ctx, req.Private)), func(d *graph.Device) bool {
		return lifecycle.HeldBy(d, userID) && lifecycle.EffectiveStatus(d) == state.Status.ValueString()
	})
	switch {
	case err != nil:
		addGraphError(&resp.Diagnostics, "Unable to Read Hardware Token Assignment",
			fmt.Sprintf("read hardware OATH token %s", tokenID), permInventoryRead, err)
		return
	case device == nil:
		tflog.Warn(ctx, "Hardware OATH token no longer exists; removing the assignment from state", map[string]any{"token_id": tokenID})
		resp.State.RemoveResource(ctx)
		return
	case device.AssignedTo == nil:
		// Drift, never an error: the plan then assigns the token again, or the configuration drops the assignment.
		resp.Diagnostics.AddWarning("Hardware Token Assignment Removed Outside Terraform", unassignedDetail(ctx, r.client, state, device))
		resp.State.RemoveResource(ctx)
		return
	}
	changed := !strings.EqualFold(device.AssignedTo.ID, userID)
	if changed {
		// Record the actual holder: the configured user then differs and the plan shows the replacement.
		tflog.Warn(ctx, "Hardware OATH token is assigned to another user", map[string]any{"token_id": device.ID, "holder": device.AssignedTo.ID})
		state.UserID = types.StringValue(device.AssignedTo.ID)
		state.UserPrincipalName = types.StringNull()
		holder, err := r.client.GetUser(ctx, device.AssignedTo.ID)
		switch {
		case err == nil:
			state.UserPrincipalName = types.StringValue(holder.UserPrincipalName)
		case !graph.IsNotFound(err):
			addGraphError(&resp.Diagnostics, "Unable to Read Hardware Token Assignment",
				fmt.Sprintf("read user %s, who holds hardware OATH token %s", device.AssignedTo.ID, device.ID), permUserRead, err)
			return
		}
		state.ID = types.StringValue(device.AssignedTo.ID + "/" + device.ID)
	}
	if state.Deactivate.IsNull() {
		// State written before deactivate existed: record its default, so that the plan shows no change.
		state.Deactivate, changed = types.BoolValue(false), true
	}
	// The response starts as the prior state: setting it again only when the token changed saves the framework's
	// costliest step of a refresh.
	if setFromDevice(&state, device) || changed {
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	}
}

func (r *hardwareTokenAssignmentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	const summary = "Unable to Update Hardware Token Assignment"
	var plan, state hardwareTokenAssignmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer cancel()
	userID, tokenID := state.ids()
	who := lifecycle.UserText(state.UserPrincipalName.ValueString(), userID)
	current := state.Status.ValueString()
	switch {
	case plan.Activate.ValueBool() && current != graph.StatusActivated:
		// Read for the period and hash function only: the planned computed values must come back unchanged.
		device := r.readToken(ctx, &resp.Diagnostics, summary, tokenID)
		if device == nil {
			return
		}
		seed := configuredSeed(ctx, req.Config, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
		a := lifecycle.Assignment{UserID: userID, TokenID: tokenID, DisplayName: plan.DisplayName.ValueString(), Activate: true,
			Seed: lifecycle.StaticSeed(seed)}
		_, err := r.engine.Activate(ctx, r.client, a, device)
		var rejected *lifecycle.CodeRejectedError
		switch {
		case errors.As(err, &rejected):
			r.saveAfterFailedActivation(ctx, &resp.Diagnostics, &resp.State, plan, who, rejected)
			return
		case err != nil:
			addAssignmentError(&resp.Diagnostics, summary, fmt.Sprintf("activate token %s (serial %s) for user %s", tokenID, device.SerialNumber, who), err)
			return
		}
		plan.Status = types.StringValue(graph.StatusActivated)
	case plan.Deactivate.ValueBool() && current == graph.StatusActivated:
		if err := r.engine.Deactivate(ctx, r.client, userID, tokenID); err != nil {
			addAssignmentError(&resp.Diagnostics, summary, fmt.Sprintf("deactivate token %s for user %s", tokenID, who), err)
			return
		}
		plan.Status = types.StringValue(graph.StatusAssigned)
	default:
		// Seed, seed version or display name changed with nothing to activate: they only matter at activation.
		plan.Status = state.Status
	}
	if !plan.Status.Equal(state.Status) {
		recordWrite(ctx, resp.Private, &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *hardwareTokenAssignmentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state hardwareTokenAssignmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer cancel()
	userID, tokenID := state.ids()
	who := lifecycle.UserText(state.UserPrincipalName.ValueString(), userID)
	// Terraform is told the assignment is gone once Graph shows it: the token's own destroy (or a new assignment)
	// must not find it still assigned.
	err := r.engine.Unassign(ctx, r.client, userID, tokenID)
	var unconfirmed *lifecycle.UnconfirmedError
	switch {
	case errors.As(err, &unconfirmed):
		addGraphError(&resp.Diagnostics, "Unable to Delete Hardware Token Assignment",
			fmt.Sprintf("unassign hardware OATH token %s from user %s and wait until Graph shows it unassigned (raise timeouts.delete "+
				"if Graph is slow)", tokenID, who), permInventoryRead, unconfirmed.Err)
	case err != nil:
		addGraphError(&resp.Diagnostics, "Unable to Delete Hardware Token Assignment",
			fmt.Sprintf("unassign hardware OATH token %s from user %s", tokenID, who), permUserMethods, err)
	}
}

// ImportState takes `<user object id or UPN>/<token id or serial number>` and checks that the token is assigned to
// that user. It reads nothing else and writes nothing: the state records the user and the token in the forms the id
// names them (see ids), and the seed stays null, as an activated token needs none.
func (r *hardwareTokenAssignmentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	const summary = "Unable to Import Hardware Token Assignment"
	userRef, tokenRef, ok := strings.Cut(req.ID, "/")
	if !ok || userRef == "" || tokenRef == "" {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("The import id %q is not of the form <user object id or user principal name>/"+
			"<token id or serial number>, e.g. amy@contoso.com/OOB-7777.", req.ID))
		return
	}
	user, err := r.client.GetUser(ctx, userRef)
	if err != nil {
		if graph.IsNotFound(err) {
			resp.Diagnostics.AddError(summary, fmt.Sprintf("User %q was not found in the tenant. Check the user part of the import id.", userRef))
			return
		}
		addGraphError(&resp.Diagnostics, summary, fmt.Sprintf("read user %s", userRef), permUserRead, err)
		return
	}
	state := hardwareTokenAssignmentModel{UserID: types.StringNull(), UserPrincipalName: types.StringNull(), TokenID: types.StringNull(), SerialNumber: types.StringNull()}
	tokenID := tokenRef
	if guidPattern.MatchString(tokenRef) {
		state.TokenID = types.StringValue(tokenRef)
	} else {
		state.SerialNumber = types.StringValue(tokenRef)
		if tokenID = tokenBySerial(ctx, r.client, &resp.Diagnostics, summary, path.Empty(), tokenRef); tokenID == "" {
			return
		}
	}
	device := r.readToken(ctx, &resp.Diagnostics, summary, tokenID)
	if device == nil {
		return
	}
	if device.AssignedTo == nil || !strings.EqualFold(device.AssignedTo.ID, user.ID) {
		holder := "nobody"
		if device.AssignedTo != nil {
			holder = "user " + lifecycle.UserLabel(ctx, r.client, device.AssignedTo.ID)
		}
		resp.Diagnostics.AddError(summary, fmt.Sprintf("Token %s (serial %s) is not assigned to user %s (%s); it is assigned to %s. "+
			"Import the assignment with the id of the user who holds the token.", device.ID, device.SerialNumber, user.UserPrincipalName, user.ID, holder))
		return
	}
	if guidPattern.MatchString(userRef) {
		state.UserID = types.StringValue(user.ID)
	} else {
		state.UserPrincipalName = types.StringValue(userRef) // the operator's spelling: a configuration written the same way plans no change
	}
	var noTimeouts timeouts.Value // null, of the schema's type
	resp.Diagnostics.Append(resp.State.GetAttribute(ctx, path.Root("timeouts"), &noTimeouts)...)
	// The seed and display name stay null (zero values): Graph never returns the seed, and the display name only
	// travels with an activation.
	state.Timeouts, state.ID = noTimeouts, types.StringValue(user.ID+"/"+device.ID)
	setFromDevice(&state, device)
	state.Activate = types.BoolValue(state.Status.ValueString() == graph.StatusActivated)
	state.Deactivate = types.BoolValue(false)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// unassignedDetail explains an assignment Graph no longer shows, and names a deleted user as the likely cause: Graph
// returns a deleted user's tokens to the inventory.
func unassignedDetail(ctx context.Context, client graph.API, state hardwareTokenAssignmentModel, device *graph.Device) string {
	userID, _ := state.ids() // user_id is null after an import by user principal name
	who := lifecycle.UserText(state.UserPrincipalName.ValueString(), userID)
	detail := fmt.Sprintf("Hardware OATH token %s (serial %s) is no longer assigned to user %s in Microsoft Entra ID: it was "+
		"unassigned outside Terraform. The assignment was removed from the state, so the plan assigns the token again.", device.ID, device.SerialNumber, who)
	if _, err := client.GetUser(ctx, userID); graph.IsNotFound(err) {
		detail = fmt.Sprintf("User %s no longer exists in Microsoft Entra ID, and hardware OATH token %s (serial %s) is back in the "+
			"inventory, available. The assignment was removed from the state. Remove the assignment from the configuration (the "+
			"token can be issued again); as long as it stays, the plan assigns the token again and the apply fails on the missing user.",
			who, device.ID, device.SerialNumber)
	}
	return detail
}

// assignableUser resolves the configured user and rejects guests, reporting problems against attr.
func (r *hardwareTokenAssignmentResource) assignableUser(ctx context.Context, diags *diag.Diagnostics, summary string, attr path.Path, ref string) *graph.User {
	user, err := r.client.GetUser(ctx, ref)
	switch {
	case graph.IsNotFound(err):
		diags.AddAttributeError(attr, summary, fmt.Sprintf("User %q was not found in the tenant. Check %s: it takes the user's "+
			"object id (user_id) or user principal name (user_principal_name).", ref, attr))
		return nil
	case err != nil:
		addGraphError(diags, summary, fmt.Sprintf("read user %s", ref), permUserRead, err)
		return nil
	case strings.EqualFold(user.UserType, "Guest"):
		diags.AddAttributeError(attr, summary, fmt.Sprintf("User %q is a guest. Microsoft Entra ID cannot assign hardware OATH tokens "+
			"to guest users; assign the token to a member account (in the guest's home tenant, for example).", lifecycle.UserText(user.UserPrincipalName, ref)))
		return nil
	case user.AccountDisabled:
		diags.AddAttributeError(attr, summary, fmt.Sprintf("User %q is disabled (accountEnabled is false in Microsoft Entra ID), so "+
			"they could not sign in with the token. Enable the account first, or check %s: it may name the wrong user.",
			lifecycle.UserText(user.UserPrincipalName, ref), attr))
		return nil
	}
	return user
}

// readToken reads the token from the inventory, reporting a missing token against token_id. A token created moments
// ago may not show yet, so a missing one is looked for again during the consistency window.
func (r *hardwareTokenAssignmentResource) readToken(ctx context.Context, diags *diag.Diagnostics, summary, tokenID string) *graph.Device {
	device, err := r.engine.ReadNew(ctx, r.client, tokenID)
	switch {
	case err == nil && device == nil:
		diags.AddAttributeError(path.Root("token_id"), summary, fmt.Sprintf("Hardware OATH token %q was not found in the tenant's "+
			"inventory. Check token_id: it takes the token's object id (entraoath_hardware_token.<name>.id), not its serial number.", tokenID))
		return nil
	case err != nil:
		addGraphError(diags, summary, fmt.Sprintf("read hardware OATH token %s", tokenID), permInventoryRead, err)
		return nil
	}
	return device
}

// saveAfterFailedActivation records the status Graph showed after it rejected the verification code and explains
// the failure without the seed or the code.
func (r *hardwareTokenAssignmentResource) saveAfterFailedActivation(ctx context.Context, diags *diag.Diagnostics, state *tfsdk.State,
	m hardwareTokenAssignmentModel, user string, rejected *lifecycle.CodeRejectedError) {
	setFromDevice(&m, rejected.Token)
	diags.Append(state.Set(ctx, &m)...)
	diags.AddError("Unable to Activate Hardware Token", activationFailedDetail(user, rejected))
}

func activationFailedDetail(user string, rejected *lifecycle.CodeRejectedError) string {
	device := rejected.Token
	attempted := fmt.Sprintf("activate hardware OATH token %s (serial %s) for user %s with a verification code computed from the "+
		"configured seed, using the token's inventory settings: time interval %d seconds, hash function %s",
		device.ID, device.SerialNumber, user, device.TimeIntervalInSeconds, device.HashFunction)
	return graphErrorDetail(attempted, permUserMethods, rejected.Err) + fmt.Sprintf("\n\nGraph rejected the verification code: "+
		"afterwards the token was assigned to the user but not activated. Check that secret_key (or secret_key_wo) is the seed "+
		"of the token with serial %s, and that the token's time_interval and hash_function in the inventory match the vendor's "+
		"data. The token stays assigned with status %q; after fixing the configuration, apply again.", device.SerialNumber, rejected.Status)
}

// addAssignmentError reports a failed assign/activate/deactivate call with what Graph showed of the token afterwards.
func addAssignmentError(diags *diag.Diagnostics, summary, attempted string, err error) {
	diags.AddError(summary, describeOutcome(graphErrorDetail(attempted, permUserMethods, err), err))
}

// setFromDevice records what Graph says of the token in m and reports whether that changed m.
func setFromDevice(m *hardwareTokenAssignmentModel, d *graph.Device) bool {
	a, status := tokenAttributesFrom(d), types.StringValue(lifecycle.EffectiveStatus(d))
	if m.SerialNumber.IsNull() { // imported by token id: the serial number stays out of the state (see ids)
		a.SerialNumber = m.SerialNumber
	}
	changed := m.SerialNumber != a.SerialNumber || m.LastUsedDateTime != a.LastUsedDateTime || m.Status != status
	m.SerialNumber, m.LastUsedDateTime, m.Status = a.SerialNumber, a.LastUsedDateTime, status
	return changed
}
