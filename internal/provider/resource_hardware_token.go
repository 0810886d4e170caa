package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

var (
	_ resource.ResourceWithConfigure        = (*hardwareTokenResource)(nil)
	_ resource.ResourceWithConfigValidators = (*hardwareTokenResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*hardwareTokenResource)(nil)
	_ resource.ResourceWithImportState      = (*hardwareTokenResource)(nil)
)

// NewHardwareTokenResource returns the entraoath_hardware_token resource: one token in the tenant inventory.
func NewHardwareTokenResource() resource.Resource { return &hardwareTokenResource{} }

type hardwareTokenResource struct {
	client  graph.API
	engine  *lifecycle.Engine
	serials *serialClaims
}

// tokenAttributes are the non-secret attributes of an inventory token, shared by the resource and both data sources.
type tokenAttributes struct {
	ID               types.String `tfsdk:"id"`
	SerialNumber     types.String `tfsdk:"serial_number"`
	Manufacturer     types.String `tfsdk:"manufacturer"`
	Model            types.String `tfsdk:"model"`
	DisplayName      types.String `tfsdk:"display_name"`
	TimeInterval     types.Int64  `tfsdk:"time_interval"`
	HashFunction     types.String `tfsdk:"hash_function"`
	Status           types.String `tfsdk:"status"`
	AssignedUserID   types.String `tfsdk:"assigned_user_id"`
	LastUsedDateTime types.String `tfsdk:"last_used_date_time"`
}

type hardwareTokenModel struct {
	tokenAttributes
	seedFields
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (r *hardwareTokenResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hardware_token"
}

func (r *hardwareTokenResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages one hardware OATH (TOTP) token in the tenant's inventory " +
			"(`/directory/authenticationMethodDevices/hardwareOathDevices`). The token is created unassigned; " +
			"assign it to a user with a separate resource.\n\n" +
			"Microsoft Graph never returns the seed, so the provider keeps what the configuration gives and cannot detect " +
			"seed changes made outside Terraform. Graph only updates tokens that are not assigned: changing a token that " +
			"is assigned or activated replaces it (Terraform says so in the plan).\n\n" +
			"**Seeds only when Graph needs them.** Graph needs the seed to create the token, and never again (the " +
			"assignment needs it to activate the token). A plan that creates or replaces the token fails without " +
			"`secret_key` or `secret_key_wo`; any other plan needs neither: once the token exists, the configuration may drop " +
			"its seed, and the plan stays empty (the state keeps a `secret_key` it recorded; nothing is sent to Graph).\n\n" +
			"**Moving from `secret_key` to `secret_key_wo`** (Terraform 1.11 and later) keeps the token and its assignment: " +
			"replace `secret_key = ...` by `secret_key_wo = ...` with the same seed, and add `secret_key_wo_version = 1` if you " +
			"like. The plan is an in-place update that only clears `secret_key` from the state (a warning says so), and the " +
			"apply makes no Graph call. Removing `secret_key_wo_version` later is no change either. Only a changed seed " +
			"(a new `secret_key`, or a new `secret_key_wo_version`) replaces the token, which unassigns it: an activated " +
			"token must then be activated again.\n\n" +
			"Needs the `Policy.ReadWrite.AuthenticationMethod` Graph permission (role: Authentication Policy Administrator); " +
			"destroying an assigned token also needs `UserAuthenticationMethod.ReadWrite.All`.\n\n" +
			"The provider never creates a second token with a serial number. Before creating, it looks the serial number up " +
			"in the inventory (one listing shared by the whole apply): a token uploaded before, in the admin centre or by a " +
			"script, fails the create with the `import` block that brings it under this resource. When Graph answers a " +
			"create with anything but a success (a server error, a lost connection), the provider looks the serial number " +
			"up before creating again and adopts the token the create made. Two `entraoath_hardware_token` resources with the " +
			"same serial number fail at apply (Terraform shows a resource no other resource at plan time).\n\n" +
			"Destroying a token that is still assigned unassigns it first.",
		Blocks: map[string]schema.Block{"timeouts": timeoutsBlock(ctx, tokenTimeouts)},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The token's object id (GUID) in the inventory; also the id of the user's authentication method once assigned.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"serial_number": schema.StringAttribute{
				MarkdownDescription: "The serial number printed on the token. Graph cannot change it: a new value replaces the token.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"manufacturer": schema.StringAttribute{
				MarkdownDescription: "The token's manufacturer, e.g. `Token2`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"model": schema.StringAttribute{
				MarkdownDescription: "The token's model, e.g. `C302-i`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"display_name": schema.StringAttribute{
				MarkdownDescription: "A name for the token shown to administrators and, once assigned, to the user. " +
					"When not set, the token keeps whatever name Graph shows: the name an `entraoath_hardware_token_assignment` " +
					"`display_name` gives it when activating it, or one set in the portal. Set the name here or on the " +
					"assignment, not both: activating overwrites it.",
				Optional: true,
				Computed: true,
				// A name the assignment gives is not drift: drift on an assigned token would plan its replacement.
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			attrSecretKey: schema.StringAttribute{
				MarkdownDescription: "The token's seed in Base32, as the vendor ships it (case, spaces, hyphens and `=` padding " +
					"are ignored; the provider sends it normalised). Convert a hex seed with `provider::entraoath::hex_to_base32`. " +
					"Stored in the state: prefer `secret_key_wo` with Terraform 1.11 and later. At most one of `secret_key` and " +
					"`secret_key_wo` may be set, and one of them is needed only when the plan creates or replaces the token. " +
					"Graph cannot change a seed: a new value replaces the token. " +
					"Removing it from the configuration keeps the value recorded in the state (the plan shows no change); " +
					"switching to `secret_key_wo` clears it from the state without replacing the token. " +
					"An imported token has no seed in its state; setting it then only records it (the plan shows an in-place " +
					"update and a warning; apply makes no Graph call).",
				Optional:   true,
				Computed:   true,
				Sensitive:  true,
				Validators: []validator.String{base32SeedValidator{}},
				PlanModifiers: []planmodifier.String{
					keepRemovedSeed{other: attrSecretKeyWO},
					stringplanmodifier.RequiresReplaceIf(replaceOnSeedChangeString, replaceOnSeedChangeDescription, replaceOnSeedChangeDescription),
				},
			},
			attrSecretKeyWO: schema.StringAttribute{
				MarkdownDescription: "The token's seed in Base32, write-only: Terraform (1.11 and later) passes it to the provider " +
					"without storing it in the plan or state. Same format as `secret_key`. Because Terraform cannot compare it, " +
					"change `secret_key_wo_version` to replace the token with a new seed. Needed only when the plan creates or " +
					"replaces the token.",
				Optional:   true,
				Sensitive:  true,
				WriteOnly:  true,
				Validators: []validator.String{base32SeedValidator{}},
			},
			"secret_key_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Any number; change it to replace the token with the seed now in `secret_key_wo`. " +
					"Setting it on an imported token, or when switching from `secret_key`, only records it. Removing it " +
					"keeps the recorded value (no change); switching back to `secret_key` clears it without a replacement.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.Int64{int64validator.ConflictsWith(path.MatchRoot(attrSecretKey))},
				PlanModifiers: []planmodifier.Int64{
					keepRemovedSeed{other: attrSecretKey},
					int64planmodifier.RequiresReplaceIf(replaceOnSeedChangeInt64, replaceOnSeedChangeDescription, replaceOnSeedChangeDescription),
				},
			},
			"time_interval": schema.Int64Attribute{
				MarkdownDescription: "How many seconds each code is valid: `30` (default) or `60`, as printed on the token.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(30),
				Validators:          []validator.Int64{int64validator.OneOf(30, 60)},
			},
			"hash_function": schema.StringAttribute{
				MarkdownDescription: "The HMAC the token uses: `hmacsha1` (default) or `hmacsha256`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(graph.HashSHA1),
				Validators:          []validator.String{hashFunctionValidator{}},
			},
			// The assignment resource changes the next three; Read refreshes them. They stay unchanged through an
			// in-place update, which Graph only allows on an unassigned token.
			"status": schema.StringAttribute{
				MarkdownDescription: "`available` (unassigned), `assigned`, `activated` or `failedActivation`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"assigned_user_id": schema.StringAttribute{
				MarkdownDescription: "The object id of the user the token is assigned to; null when unassigned.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"last_used_date_time": schema.StringAttribute{
				MarkdownDescription: "When the token was last used to sign in or activate (RFC 3339, UTC); null if never.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *hardwareTokenResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if pd := configuredData(req.ProviderData, &resp.Diagnostics); pd != nil {
		r.client, r.engine, r.serials = pd.client, pd.engine, pd.serials
	}
}

func (r *hardwareTokenResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{seedConflictValidator{}}
}

// ModifyPlan asks for the seed when the plan creates the token (Terraform plans the create half of a replacement
// without prior state, so that is covered too), says when a seed change is only recorded, and turns an update of an
// assigned token into a replacement: Graph only updates unassigned tokens, and the plan should say what the apply
// will really do.
func (r *hardwareTokenResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	if req.State.Raw.IsNull() {
		if !seedInConfig(ctx, req.Config, &resp.Diagnostics) && !resp.Diagnostics.HasError() {
			resp.Diagnostics.AddAttributeError(path.Root(attrSecretKey), "Missing Hardware Token Seed", missingSeedDetail("creates the token"))
		}
		return
	}
	// A plan equal to the state changes nothing (the common case, so decided without reading the models).
	if req.Plan.Raw.Equal(req.State.Raw) {
		return
	}
	var plan, state hardwareTokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	warnSeedOnlyRecorded(&resp.Diagnostics, state.SerialNumber.ValueString(), plan.seedFields, state.seedFields)
	if state.AssignedUserID.IsNull() && state.Status.ValueString() == graph.StatusAvailable {
		return
	}
	var changed []string
	stateValues := updatableAttributes(state.tokenAttributes)
	for i, a := range updatableAttributes(plan.tokenAttributes) {
		if !a.value.Equal(stateValues[i].value) {
			changed = append(changed, a.name)
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root(a.name))
		}
	}
	if len(changed) == 0 {
		return
	}
	resp.Diagnostics.AddWarning("Assigned Hardware Token Will Be Replaced",
		fmt.Sprintf("The hardware token with serial number %s is %s (user %s), and Microsoft Graph only updates tokens that are not assigned. "+
			"To change %s, Terraform will unassign and delete the token, then create it again with the same serial number and seed. "+
			"Resources that use the token's id, such as its assignment, are replaced too; an activated token must be activated again.\n\n"+
			"To keep the assignment, revert the change, or make it in a later apply after unassigning the token.",
			state.SerialNumber.ValueString(), state.Status.ValueString(), lifecycle.UserLabel(ctx, r.client, state.AssignedUserID.ValueString()),
			strings.Join(changed, ", ")))
}

func (r *hardwareTokenResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	const summary = "Unable to Create Hardware Token"
	var plan hardwareTokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer cancel()
	seed := configuredSeed(ctx, req.Config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	serial := plan.SerialNumber.ValueString()
	if !r.serials.claim(serial) {
		resp.Diagnostics.AddAttributeError(path.Root("serial_number"), "Duplicate Hardware Token Serial Number",
			fmt.Sprintf("Another entraoath_hardware_token in this configuration has serial number %q too, and was created in this "+
				"apply; the provider did not create a second token with it. A serial number identifies one physical token: "+
				"remove the duplicate resource or correct its serial_number. Terraform cannot report this at plan time, because "+
				"a resource's plan does not see other resources.", serial))
		return
	}
	if r.inInventory(ctx, serial, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	want := deviceOf(plan.tokenAttributes)
	want.SecretKey = seed
	d, err := r.engine.CreateToken(ctx, r.client, want)
	var taken *lifecycle.SerialTakenError
	var lookup *lifecycle.LookupError
	switch {
	case errors.As(err, &taken):
		resp.Diagnostics.AddAttributeError(path.Root("serial_number"), "Hardware Token Serial Number Already in Use", serialTakenDetail(taken))
		return
	case errors.As(err, &lookup):
		addGraphError(&resp.Diagnostics, summary, fmt.Sprintf("add the hardware token with serial number %q to the tenant inventory. "+
			"Graph did not answer with a success, so the token may have been created, and looking it up by serial number failed "+
			"too. Before applying again, look for serial number %q in the inventory; if the token is there, import it "+
			"(terraform import <address> %s)", serial, serial, serial), permInventoryRead, lookup.Err)
		return
	case err != nil:
		addGraphError(&resp.Diagnostics, summary,
			fmt.Sprintf("add the hardware token with serial number %q to the tenant inventory", serial), permInventoryWrite, err)
		return
	}
	// The seed stays as configured (Graph never returns it), so the next plan finds no difference. An adopted token
	// may carry another display name: the state keeps the planned one and the next refresh shows the difference.
	a := tokenAttributesFrom(d)
	if !plan.DisplayName.IsUnknown() {
		a.DisplayName = plan.DisplayName
	}
	plan.tokenAttributes = a
	recordWrite(ctx, resp.Private, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *hardwareTokenResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state hardwareTokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer cancel()
	// Right after the provider wrote the token, Graph may still show it as before (or not at all): read again until
	// the read agrees with the state or the consistency window has passed; only then is a difference drift.
	d, err := r.engine.Read(ctx, r.client, state.ID.ValueString(), r.engine.SettledBy(lastWrite(ctx, req.Private)), func(d *graph.Device) bool {
		return sameValues(updatableAttributes(tokenAttributesFrom(d)), updatableAttributes(state.tokenAttributes))
	})
	if err != nil {
		addGraphError(&resp.Diagnostics, "Unable to Read Hardware Token",
			fmt.Sprintf("read the hardware token %s (serial number %q) from the tenant inventory", state.ID.ValueString(), state.SerialNumber.ValueString()),
			permInventoryRead, err)
		return
	}
	if d == nil {
		// Deleted outside Terraform: the next apply creates it again.
		tflog.Warn(ctx, "hardware token not found in the inventory; removing it from the state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	// The response starts as the prior state: set it only when the token changed.
	if a := tokenAttributesFrom(d); a != state.tokenAttributes {
		state.tokenAttributes = a
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	}
}

func (r *hardwareTokenResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state hardwareTokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer cancel()
	// A change of the seed attributes alone (after import) needs no call: the plan is simply recorded.
	if u, changed := lifecycle.TokenUpdate(deviceOf(plan.tokenAttributes), deviceOf(state.tokenAttributes)); changed {
		if err := r.engine.UpdateToken(ctx, r.client, state.ID.ValueString(), u); err != nil {
			addGraphError(&resp.Diagnostics, "Unable to Update Hardware Token",
				fmt.Sprintf("update the hardware token %s (serial number %q) in the tenant inventory. Graph only updates tokens that are not "+
					"assigned; if it was assigned since the plan, run terraform apply again to plan its replacement",
					state.ID.ValueString(), state.SerialNumber.ValueString()),
				permInventoryWrite, err)
			return
		}
		recordWrite(ctx, resp.Private, &resp.Diagnostics)
	}
	// Computed attributes kept their state values in the plan: an in-place update leaves them unchanged.
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *hardwareTokenResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	const summary = "Unable to Delete Hardware Token"
	var state hardwareTokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer cancel()
	id := state.ID.ValueString()
	// The engine unassigns a token Graph shows assigned first, whoever holds it, and returns once Graph no longer
	// shows the token: a token created again with the same serial number must not meet the old one.
	err := r.engine.Remove(ctx, r.client, id)
	var unconfirmed *lifecycle.UnconfirmedError
	switch {
	case errors.As(err, &unconfirmed):
		addGraphError(&resp.Diagnostics, summary, fmt.Sprintf("delete the hardware token %s (serial number %q) and wait until Graph "+
			"no longer shows it (raise timeouts.delete if Graph is slow)", id, state.SerialNumber.ValueString()), permInventoryRead, unconfirmed.Err)
	case err != nil:
		addGraphError(&resp.Diagnostics, summary, describeOutcome(
			fmt.Sprintf("delete the hardware token %s (serial number %q) from the tenant inventory", id, state.SerialNumber.ValueString()), err),
			permInventoryWrite, err)
	}
}

// ImportState accepts the token's object id, or its serial number when that is unique in the inventory.
func (r *hardwareTokenResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := strings.TrimSpace(req.ID)
	if !guidPattern.MatchString(id) {
		id = tokenBySerial(ctx, r.client, &resp.Diagnostics, "Unable to Import Hardware Token", path.Empty(), id)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}

// tokenAttributesFrom maps a Graph device; Graph's empty or absent values become null.
func tokenAttributesFrom(d *graph.Device) tokenAttributes {
	a := tokenAttributes{
		ID:               types.StringValue(d.ID),
		SerialNumber:     types.StringValue(d.SerialNumber),
		Manufacturer:     types.StringValue(d.Manufacturer),
		Model:            types.StringValue(d.Model),
		DisplayName:      nullIfEmpty(d.DisplayName),
		TimeInterval:     types.Int64Value(int64(d.TimeIntervalInSeconds)),
		HashFunction:     types.StringValue(d.HashFunction),
		Status:           types.StringValue(d.Status),
		AssignedUserID:   types.StringNull(),
		LastUsedDateTime: types.StringNull(),
	}
	if d.AssignedTo != nil {
		a.AssignedUserID = nullIfEmpty(d.AssignedTo.ID)
	}
	if d.LastUsedDateTime != nil {
		a.LastUsedDateTime = types.StringValue(d.LastUsedDateTime.UTC().Format(time.RFC3339))
	}
	return a
}

type namedValue struct {
	name  string
	value attr.Value
}

// updatableAttributes are what Graph's PATCH accepts, in the order diagnostics name them.
func updatableAttributes(a tokenAttributes) []namedValue {
	return []namedValue{
		{"display_name", a.DisplayName},
		{"manufacturer", a.Manufacturer},
		{"model", a.Model},
		{"time_interval", a.TimeInterval},
		{"hash_function", a.HashFunction},
	}
}

func sameValues(a, b []namedValue) bool {
	for i := range a {
		if !a[i].value.Equal(b[i].value) {
			return false
		}
	}
	return true
}

// inInventory refuses to create a token whose serial number the inventory holds already (uploaded in the admin
// centre, by a script, or by an apply whose state was lost): the user imports it instead. The engine answers from
// the command's shared listing (a page per 999 tokens for the whole apply) and reads a match again, since the
// listing may predate this apply's own deletes.
func (r *hardwareTokenResource) inInventory(ctx context.Context, serial string, diags *diag.Diagnostics) {
	found, err := r.engine.InInventory(ctx, r.client, serial)
	var lookup *lifecycle.LookupError
	switch {
	case errors.As(err, &lookup) && lookup.ID != "":
		addGraphError(diags, "Unable to Create Hardware Token", fmt.Sprintf("read hardware token %s, which has serial number %q, "+
			"before creating a token with that serial number", lookup.ID, serial), permInventoryRead, lookup.Err)
		return
	case err != nil:
		addGraphError(diags, "Unable to Create Hardware Token", fmt.Sprintf("look serial number %q up in the tenant inventory "+
			"before creating the token (the provider never creates a second token with one serial number)", serial), permInventoryRead, err)
		return
	case len(found) == 0:
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The tenant inventory already holds a hardware token with serial number %q, uploaded before (in the admin "+
		"centre, by a script, or by an apply whose state was lost):\n", serial)
	writeTokenList(&b, found)
	b.WriteString("\n\nThe provider does not create a second token with the same serial number. To manage the existing token " +
		"with this resource, add an import block to the configuration and apply again; replace <name> with this resource's " +
		"name (the provider does not know its address):\n")
	for _, d := range found {
		fmt.Fprintf(&b, "\nimport {\n  to = entraoath_hardware_token.<name>\n  id = %q\n}\n", d.ID)
	}
	b.WriteString("\nOtherwise correct serial_number.")
	diags.AddAttributeError(path.Root("serial_number"), "Hardware Token Already in the Inventory", b.String())
}

// serialTakenDetail explains a create that Graph did not answer with a success, after which only other tokens
// with the serial number showed up.
func serialTakenDetail(e *lifecycle.SerialTakenError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Graph did not answer creating the hardware token with serial number %q with a success, so the provider looked "+
		"the serial number up before trying again, and found a different token with it:\n", e.Want.SerialNumber)
	writeTokenList(&b, e.Found)
	fmt.Fprintf(&b, "\n\nThe configuration says manufacturer %q, model %q, time interval %d, hash function %s. The provider did not "+
		"create a second token with the same serial number. If the token in the inventory is this one, import it "+
		"(an import block with to = entraoath_hardware_token.<name> and id = \"<id>\") and align the configuration with it; "+
		"otherwise correct serial_number.",
		e.Want.Manufacturer, e.Want.Model, e.Want.TimeIntervalInSeconds, e.Want.HashFunction)
	return b.String()
}

// writeTokenList lists tokens for a message, one per line.
func writeTokenList(b *strings.Builder, tokens []graph.Device) {
	for _, d := range tokens {
		fmt.Fprintf(b, "\n  - id %s: manufacturer %q, model %q, time interval %d, hash function %s, status %s",
			d.ID, d.Manufacturer, d.Model, d.TimeIntervalInSeconds, d.HashFunction, d.Status)
	}
}

// deviceOf is the token a's configured attributes describe (display_name is never "", so null maps to "").
func deviceOf(a tokenAttributes) graph.Device {
	return graph.Device{
		SerialNumber:          a.SerialNumber.ValueString(),
		Manufacturer:          a.Manufacturer.ValueString(),
		Model:                 a.Model.ValueString(),
		DisplayName:           a.DisplayName.ValueString(),
		TimeIntervalInSeconds: int32(a.TimeInterval.ValueInt64()),
		HashFunction:          a.HashFunction.ValueString(),
	}
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
