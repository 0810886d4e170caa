package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

var (
	_ resource.ResourceWithConfigure   = (*hardwareTokenFleetResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*hardwareTokenFleetResource)(nil)
	_ resource.ResourceWithImportState = (*hardwareTokenFleetResource)(nil)
)

// NewHardwareTokenFleetResource returns entraoath_hardware_token_fleet: many tokens and their assignments, keyed by
// serial number, as one Terraform resource.
func NewHardwareTokenFleetResource() resource.Resource { return &hardwareTokenFleetResource{} }

type hardwareTokenFleetResource struct {
	client graph.API
	engine *lifecycle.Engine
}

// fleetToken is one entry of tokens: what the configuration gives, and what Graph shows (id, status, the user the
// configuration does not name).
type fleetToken struct {
	Manufacturer      types.String `tfsdk:"manufacturer"`
	Model             types.String `tfsdk:"model"`
	TimeInterval      types.Int64  `tfsdk:"time_interval"`
	HashFunction      types.String `tfsdk:"hash_function"`
	DisplayName       types.String `tfsdk:"display_name"`
	UserPrincipalName types.String `tfsdk:"user_principal_name"`
	UserID            types.String `tfsdk:"user_id"`
	Activate          types.Bool   `tfsdk:"activate"`
	ID                types.String `tfsdk:"id"`
	Status            types.String `tfsdk:"status"`
}

type hardwareTokenFleetModel struct {
	Tokens              types.Map   `tfsdk:"tokens"`
	SecretKeys          types.Map   `tfsdk:"secret_keys"`
	SecretKeysWO        types.Map   `tfsdk:"secret_keys_wo"`
	SecretKeysWOVersion types.Int64 `tfsdk:"secret_keys_wo_version"`
	Concurrency         types.Int64 `tfsdk:"concurrency"`
	FailedSerialNumbers types.Set   `tfsdk:"failed_serial_numbers"`

	// Timeouts bound each operation on the whole fleet (defaults: fleetTimeouts).
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

// Fleet defaults. Each token's operation has the per-token resources' timeout; the fleet's writes run
// defaultFleetConcurrency at a time, all behind the client's one throttle gate.
const (
	defaultFleetConcurrency = 25
	maxFleetConcurrency     = 64
	fleetTokenTimeout       = defaultCreateTimeout
	attrSecretKeys          = "secret_keys"
	attrSecretKeysWO        = "secret_keys_wo"
	attrFailedSerialNumbers = "failed_serial_numbers"
)

// fleetTimeouts bound a whole operation on the fleet. 10,000 tokens take about 200 s to apply against a Graph that
// answers in 100 ms, and throttling can make that many times longer; a refresh is one listing (a request per 999
// tokens) plus reads of the entries that changed.
var fleetTimeouts = timeoutDefaults{create: time.Hour, read: 10 * time.Minute, update: time.Hour, delete: time.Hour}

var fleetTokenAttrTypes = map[string]attr.Type{
	"manufacturer": types.StringType, "model": types.StringType, "time_interval": types.Int64Type,
	"hash_function": types.StringType, "display_name": types.StringType, "user_principal_name": types.StringType,
	"user_id": types.StringType, "activate": types.BoolType, "id": types.StringType, "status": types.StringType,
}

func (r *hardwareTokenFleetResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hardware_token_fleet"
}

func (r *hardwareTokenFleetResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages a whole set of hardware OATH (TOTP) tokens and their assignments as one resource, keyed " +
			"by serial number: for sites with thousands of tokens, where one Terraform resource per token makes every plan " +
			"and apply slow (see the guide *Per-token resources or a fleet*). Each entry of `tokens` does what an " +
			"`entraoath_hardware_token` and its `entraoath_hardware_token_assignment` do: the token is created in the " +
			"inventory, assigned to its user and activated during apply with a code computed from its seed.\n\n" +
			"**One listing per refresh.** A refresh reads the whole inventory with one paged listing (a request per 999 " +
			"tokens); drift of an entry (token deleted, unassigned, assigned to someone else, deactivated, its fields " +
			"changed) shows in the plan as a change of that serial's entry only, and the apply repairs only those entries.\n\n" +
			"**Writes run `concurrency` at a time** inside the provider, sharing the provider's throttle gate: when Graph " +
			"throttles, every write waits. Progress is logged at info level (`TF_LOG=info`). Each token's work is bounded by " +
			"10 minutes, throttling included, and each operation on the whole fleet by `timeouts` (default 60 minutes to " +
			"create, update or destroy, 10 minutes to refresh). When an operation's timeout passes, the tokens not done yet " +
			"fail like any failed token: each is reported, those not started had nothing sent to Graph, and the next apply " +
			"does only what is left.\n\n" +
			"**Partial failure never loses or replaces the rest.** When some tokens fail (a wrong seed, a missing user, " +
			"throttling past the timeout), the state records exactly what exists, each failed serial is reported, and the " +
			"next apply does only what is left. An update or destroy then fails with an error per serial. The apply that " +
			"*creates* the fleet reports failed serials as warnings instead: Terraform marks a resource whose create fails " +
			"as tainted and would plan to replace the whole fleet, so the create succeeds with what exists and lists the " +
			"failed serials in `failed_serial_numbers`. To make that apply fail too, add the postcondition of the example " +
			"below: a failed postcondition fails the apply without tainting the fleet.\n\n" +
			"**Seeds only when Graph needs them**: when an entry's token is created, or activated. Give them in " +
			"`secret_keys_wo` (Terraform 1.11 and later, never stored) or `secret_keys`, keyed by serial number; the plan " +
			"fails naming each serial whose seed is needed and missing. A fleet whose tokens all exist and are activated " +
			"needs no seeds at all.\n\n" +
			"**Graph only updates unassigned tokens.** When an assigned entry's manufacturer, model, time interval, hash " +
			"function or display name changes, the apply unassigns the token, updates it and assigns (and activates) it " +
			"again, keeping its id; the plan warns which serials this concerns, and their seeds are needed.\n\n" +
			"**Adoption without writes**: import existing tokens by serial numbers or by a filter (see Import); tokens " +
			"managed by per-token resources move in with `removed` blocks and an `import` block, and back out with a " +
			"`removed` block and `import` blocks, without any Graph write.\n\n" +
			"Destroying the fleet unassigns and deletes every token in it; removing an entry does that for its token. To " +
			"take tokens out of the fleet without deleting them, see *Moving tokens out of a fleet* in the guide " +
			"*Per-token resources or a fleet*.",
		Attributes: map[string]schema.Attribute{
			"tokens": schema.MapNestedAttribute{
				MarkdownDescription: "The tokens, keyed by serial number (as printed on the token; a new serial is a new token).",
				Required:            true,
				PlanModifiers:       []planmodifier.Map{plannedByModifyPlan{}},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
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
					"time_interval": schema.Int64Attribute{
						MarkdownDescription: "How many seconds each code is valid: `30` (default) or `60`.",
						Optional:            true,
						Computed:            true,
						Validators:          []validator.Int64{int64validator.OneOf(30, 60)},
					},
					"hash_function": schema.StringAttribute{
						MarkdownDescription: "The HMAC the token uses: `hmacsha1` (default) or `hmacsha256`.",
						Optional:            true,
						Computed:            true,
						Validators:          []validator.String{hashFunctionValidator{}},
					},
					"display_name": schema.StringAttribute{
						MarkdownDescription: "A name for the token shown to administrators and, once activated, to the user. " +
							"When not set, the provider leaves whatever Graph shows.",
						Optional:   true,
						Computed:   true,
						Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
					},
					"user_principal_name": schema.StringAttribute{
						MarkdownDescription: "The user principal name of the user who receives the token. Set at most one of " +
							"`user_principal_name` and `user_id`; with neither, the token stays in the inventory unassigned. " +
							"When `user_id` is set, this is read from Graph.",
						Optional:   true,
						Computed:   true,
						Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
					},
					"user_id": schema.StringAttribute{
						MarkdownDescription: "The object id of the user who receives the token; when `user_principal_name` is " +
							"set, the object id of the user who holds the token, read from Graph.",
						Optional:   true,
						Computed:   true,
						Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
					},
					"activate": schema.BoolAttribute{
						MarkdownDescription: "Whether the token is activated for its user during apply (default `true`; needs " +
							"the seed then). `false` never deactivates a token: the user activates it in Security info.",
						Optional: true,
						Computed: true,
					},
					"id": schema.StringAttribute{
						MarkdownDescription: "The token's object id in the inventory; null while the token could not be created.",
						Computed:            true,
					},
					"status": schema.StringAttribute{
						MarkdownDescription: "`available`, `assigned`, `activated` or `failedActivation`, as Graph reports it.",
						Computed:            true,
					},
				}},
			},
			attrSecretKeysWO: schema.MapAttribute{
				MarkdownDescription: "Seeds in Base32, keyed by serial number, write-only (Terraform 1.11 and later): never stored " +
					"in the plan or the state. Needed only for the serials whose token the apply creates or activates; " +
					"conflicts with `secret_keys`.",
				ElementType: types.StringType,
				Optional:    true,
				Sensitive:   true,
				WriteOnly:   true,
				Validators: []validator.Map{
					mapvalidator.ValueStringsAre(base32SeedValidator{}),
					mapvalidator.ConflictsWith(path.MatchRoot(attrSecretKeys)),
				},
			},
			"secret_keys_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Any number, recorded only: change it when `secret_keys_wo` changes, so that the change is " +
					"visible in the plan. Graph cannot change a token's seed: a token with a new seed is a new entry (remove " +
					"the serial, apply, add it again).",
				Optional: true,
			},
			attrSecretKeys: schema.MapAttribute{
				MarkdownDescription: "Seeds in Base32, keyed by serial number, stored in the state (sensitive): for Terraform " +
					"before 1.11, else prefer `secret_keys_wo`. Removing it keeps the recorded value (no change).",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Sensitive:   true,
				Validators:  []validator.Map{mapvalidator.ValueStringsAre(base32SeedValidator{})},
				// Seeds only when needed: a removed secret_keys keeps its recorded value, unless secret_keys_wo takes over.
				PlanModifiers: []planmodifier.Map{keepRemovedSeed{other: attrSecretKeysWO}},
			},
			attrFailedSerialNumbers: schema.SetAttribute{
				MarkdownDescription: "The serial numbers whose entry the last apply could not complete, each also reported " +
					"in a diagnostic; empty when every entry is as configured, and unknown in a plan that changes entries. A " +
					"`lifecycle` postcondition `length(self.failed_serial_numbers) == 0` makes every apply that leaves work " +
					"undone fail, the first one included.",
				ElementType: types.StringType,
				Computed:    true,
			},
			"concurrency": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many tokens the provider writes at a time (default `%d`, at most `%d`). "+
					"All writes share the provider's throttle gate, so a higher value cannot overrun Graph: it waits.",
					defaultFleetConcurrency, maxFleetConcurrency),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultFleetConcurrency),
				Validators: []validator.Int64{int64validator.Between(1, maxFleetConcurrency)},
			},
		},
		Blocks: map[string]schema.Block{"timeouts": fleetTimeoutsBlock(ctx)},
	}
}

// fleetTimeoutsBlock is the `timeouts` block with the fleet's defaults: each bounds the operation on every token.
func fleetTimeoutsBlock(ctx context.Context) schema.Block {
	block := timeoutsBlock(ctx, fleetTimeouts)
	block.MarkdownDescription = "Bounds each operation on the whole fleet, every token's work included (each token's " +
		"work is also bounded by 10 minutes), with retries of throttled calls and waits for Microsoft Graph to show a write."
	return block
}

func (r *hardwareTokenFleetResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if pd := configuredData(req.ProviderData, &resp.Diagnostics); pd != nil {
		r.client, r.engine = pd.client, pd.engine
	}
}

// ModifyPlan plans each entry from its configuration and its state: the values Graph will show after the apply
// where they are certain, unknown where Graph decides (a new token's id). It asks for the seed of each serial whose
// token the apply creates or activates, and warns about assigned tokens the apply must unassign to update.
func (r *hardwareTokenFleetResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var config, state hardwareTokenFleetModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() || config.Tokens.IsUnknown() {
		return
	}
	// The framework's validation refuses a null or unknown entry before any plan.
	configured, prior := fleetEntries(config.Tokens), fleetEntries(state.Tokens)
	seeds := seedKeys{plain: config.SecretKeys, writeOnly: config.SecretKeysWO}
	planned := make(map[string]fleetToken, len(configured))
	var missing, rework []string
	for serial, c := range configured {
		p, needsSeed, reworked := planEntry(*c, prior[serial])
		if c.UserPrincipalName.ValueString() != "" && c.UserID.ValueString() != "" {
			resp.Diagnostics.AddAttributeError(path.Root("tokens").AtMapKey(serial), "Invalid Hardware Token Fleet Entry",
				fmt.Sprintf("The entry for serial number %q sets both user_principal_name and user_id: set one of them.", serial))
		}
		if needsSeed && !seeds.has(serial) {
			missing = append(missing, serial)
		}
		if reworked {
			rework = append(rework, serial)
		}
		planned[serial] = p
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		resp.Diagnostics.AddAttributeError(path.Root(attrSecretKeysWO), "Missing Hardware Token Seed",
			missingSeedDetail("creates or activates these tokens")+fmt.Sprintf(" Serial numbers without a seed in %s or %s: %s.",
				attrSecretKeysWO, attrSecretKeys, strings.Join(missing, ", ")))
	}
	if len(rework) > 0 {
		sort.Strings(rework)
		resp.Diagnostics.AddWarning("Assigned Hardware Tokens Will Be Unassigned to Be Updated",
			"Graph only updates tokens that are not assigned. The apply unassigns these tokens, updates them and assigns "+
				"(and activates) them again for the same user, keeping their ids: "+strings.Join(rework, ", ")+".")
	}
	if resp.Diagnostics.HasError() {
		return
	}
	tokens := fleetTokens(planned)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("tokens"), tokens)...)
	// An apply that changes no entry leaves nothing failed; one that does says what failed once it has run.
	failed := types.SetUnknown(types.StringType)
	if tokens.Equal(state.Tokens) {
		failed = noFailedSerials()
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(attrFailedSerialNumbers), failed)...)
}

func noFailedSerials() types.Set { return types.SetValueMust(types.StringType, nil) }

// plannedByModifyPlan leaves tokens unknown for ModifyPlan, which plans every entry. The framework (v1.19) skips its
// per-entry plan walk for an unknown map; that walk copies the whole map for each key, which took 50 s of a 10,000-token plan.
type plannedByModifyPlan struct{}

const plannedByModifyPlanDescription = "Each entry is planned from its configuration and the state by the resource."

func (plannedByModifyPlan) Description(context.Context) string { return plannedByModifyPlanDescription }
func (plannedByModifyPlan) MarkdownDescription(context.Context) string {
	return plannedByModifyPlanDescription
}

func (plannedByModifyPlan) PlanModifyMap(ctx context.Context, req planmodifier.MapRequest, resp *planmodifier.MapResponse) {
	resp.PlanValue = types.MapUnknown(req.PlanValue.ElementType(ctx))
}

// planEntry plans one serial from its configuration c and its state s (nil when new). It reports whether the apply
// needs the serial's seed, and whether it must unassign an assigned token to update it.
func planEntry(c fleetToken, s *fleetToken) (p fleetToken, needsSeed, rework bool) {
	p = c
	if p.TimeInterval.IsNull() {
		p.TimeInterval = types.Int64Value(30)
	}
	if p.HashFunction.IsNull() {
		p.HashFunction = types.StringValue(graph.HashSHA1)
	}
	if p.Activate.IsNull() {
		p.Activate = types.BoolValue(true)
	}
	byUPN, byID := !c.UserPrincipalName.IsNull(), !c.UserID.IsNull()
	hasUser := byUPN || byID
	activates := hasUser && (p.Activate.ValueBool() || p.Activate.IsUnknown())
	if s == nil || s.ID.IsNull() || s.ID.IsUnknown() {
		p.ID, p.Status = types.StringUnknown(), types.StringUnknown()
		if p.DisplayName.IsNull() {
			p.DisplayName = types.StringUnknown()
		}
		if byUPN {
			p.UserID = types.StringUnknown()
		} else if byID {
			p.UserPrincipalName = types.StringUnknown()
		}
		return p, true, false
	}
	p.ID = s.ID
	if p.DisplayName.IsNull() {
		p.DisplayName = s.DisplayName
	}
	// Held: Graph showed the token assigned (an entry whose assignment failed keeps its configured user, unassigned).
	held := !s.UserID.IsNull() && s.Status.ValueString() != graph.StatusAvailable && !s.Status.IsNull()
	sameUser := held && (byUPN && strings.EqualFold(c.UserPrincipalName.ValueString(), s.UserPrincipalName.ValueString()) ||
		byID && strings.EqualFold(c.UserID.ValueString(), s.UserID.ValueString()))
	same := p.Manufacturer.Equal(s.Manufacturer) && p.Model.Equal(s.Model) && p.TimeInterval.Equal(s.TimeInterval) &&
		p.HashFunction.Equal(s.HashFunction) && p.DisplayName.Equal(s.DisplayName)
	rework = held && hasUser && !same
	switch {
	case !hasUser:
		p.UserPrincipalName, p.UserID, p.Status = types.StringNull(), types.StringNull(), types.StringValue(graph.StatusAvailable)
	case sameUser && !rework:
		if byUPN {
			p.UserID = s.UserID
		} else {
			p.UserPrincipalName = s.UserPrincipalName
		}
		p.Status = s.Status
		if activates && s.Status.ValueString() != graph.StatusActivated {
			p.Status, needsSeed = types.StringValue(graph.StatusActivated), true
		}
	default:
		switch {
		case byUPN && sameUser:
			p.UserID = s.UserID
		case byUPN:
			p.UserID = types.StringUnknown()
		case sameUser:
			p.UserPrincipalName = s.UserPrincipalName
		default:
			p.UserPrincipalName = types.StringUnknown()
		}
		p.Status = types.StringValue(graph.StatusAssigned)
		if activates {
			p.Status, needsSeed = types.StringValue(graph.StatusActivated), true
		}
	}
	if p.Activate.IsUnknown() && hasUser {
		p.Status = types.StringUnknown()
	}
	return p, needsSeed, rework
}

// seedKeys are the configuration's seed maps; has reports whether a serial's seed is given, or may be (unknown).
type seedKeys struct{ plain, writeOnly types.Map }

func (s seedKeys) has(serial string) bool {
	for _, m := range []types.Map{s.plain, s.writeOnly} {
		if m.IsUnknown() {
			return true
		}
		if v, ok := m.Elements()[serial]; ok && !v.IsNull() {
			return true
		}
	}
	return false
}

// seed returns serial's seed, normalised for Graph; the error never holds it.
func (s seedKeys) seed(serial string) (string, error) {
	for _, m := range []types.Map{s.writeOnly, s.plain} {
		if v, ok := m.Elements()[serial].(types.String); ok && !v.IsNull() && !v.IsUnknown() {
			return totp.NormalizeBase32(v.ValueString())
		}
	}
	return "", fmt.Errorf("no seed for serial number %q in %s or %s: Graph needs it to create or activate the token", serial,
		attrSecretKeysWO, attrSecretKeys)
}

// fleetEntries reads a tokens map; a null or unknown map, and unknown entries, have none. It reads the values
// directly: the framework's reflection (ElementsAs) took seconds of a 10,000-token plan.
func fleetEntries(m types.Map) map[string]*fleetToken {
	out := make(map[string]*fleetToken, len(m.Elements()))
	for serial, v := range m.Elements() {
		o, ok := v.(types.Object)
		if !ok || o.IsNull() || o.IsUnknown() {
			continue
		}
		a := o.Attributes()
		str := func(name string) types.String { s, _ := a[name].(types.String); return s }
		interval, _ := a["time_interval"].(types.Int64)
		activate, _ := a["activate"].(types.Bool)
		out[serial] = &fleetToken{Manufacturer: str("manufacturer"), Model: str("model"), TimeInterval: interval,
			HashFunction: str("hash_function"), DisplayName: str("display_name"), UserPrincipalName: str("user_principal_name"),
			UserID: str("user_id"), Activate: activate, ID: str("id"), Status: str("status")}
	}
	return out
}

// fleetTokens is the tokens map of entries, built directly (see fleetEntries).
func fleetTokens(entries map[string]fleetToken) types.Map {
	elems := make(map[string]attr.Value, len(entries))
	for serial, e := range entries {
		elems[serial] = types.ObjectValueMust(fleetTokenAttrTypes, map[string]attr.Value{
			"manufacturer": e.Manufacturer, "model": e.Model, "time_interval": e.TimeInterval, "hash_function": e.HashFunction,
			"display_name": e.DisplayName, "user_principal_name": e.UserPrincipalName, "user_id": e.UserID,
			"activate": e.Activate, "id": e.ID, "status": e.Status})
	}
	return types.MapValueMust(types.ObjectType{AttrTypes: fleetTokenAttrTypes}, elems)
}

func (r *hardwareTokenFleetResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan hardwareTokenFleetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Create, fleetTimeouts.create, &resp.Diagnostics)
	defer cancel()
	// Failures are warnings here (reportFleetFailures): an error would taint the fleet, and Terraform would plan to
	// replace all of it.
	r.apply(ctx, req.Config, &plan, nil, &resp.Diagnostics, &resp.State, resp.Private, fleetCreate)
}

func (r *hardwareTokenFleetResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state hardwareTokenFleetModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Update, fleetTimeouts.update, &resp.Diagnostics)
	defer cancel()
	r.apply(ctx, req.Config, &plan, fleetEntries(state.Tokens), &resp.Diagnostics, &resp.State, resp.Private, fleetUpdate)
}

// fleetOp names the operation on the fleet, as its timeout does: "create", "update" or "delete".
type fleetOp string

const (
	fleetCreate fleetOp = "create"
	fleetUpdate fleetOp = "update"
	fleetDelete fleetOp = "delete"
)

// apply brings every planned entry that differs from its state to what the plan says, removes the tokens of
// entries the plan dropped, and saves exactly what exists; each failed serial becomes one diagnostic.
func (r *hardwareTokenFleetResource) apply(ctx context.Context, config tfsdk.Config, plan *hardwareTokenFleetModel,
	prior map[string]*fleetToken, diags *diag.Diagnostics, state *tfsdk.State, private privateState, op fleetOp) {
	var seeds seedKeys
	diags.Append(config.GetAttribute(ctx, path.Root(attrSecretKeysWO), &seeds.writeOnly)...)
	seeds.plain = plan.SecretKeys
	planned := fleetEntries(plan.Tokens)
	unconfirmed := unconfirmedCreates(ctx, private)
	result := make(map[string]fleetToken, len(planned))
	var work []fleetJob
	for serial, p := range planned {
		if s := prior[serial]; s != nil && *s == *p {
			result[serial] = *s
			continue
		}
		work = append(work, fleetJob{serial: serial, want: p, had: prior[serial], createUnconfirmed: unconfirmed[serial]})
	}
	for serial, s := range prior {
		if planned[serial] == nil && !s.ID.IsNull() {
			work = append(work, fleetJob{serial: serial, had: s})
		}
	}
	var inv *lifecycle.Inventory
	if len(work) > 0 {
		var err error
		if inv, err = lifecycle.List(ctx, r.client, graph.DeviceFilter{}); err != nil {
			addGraphError(diags, "Unable to Apply Hardware Token Fleet", "list the tenant inventory before writing the fleet's tokens",
				permInventoryRead, err)
			return
		}
	}
	failed := r.run(ctx, work, int(plan.Concurrency.ValueInt64()), func(ctx context.Context, j fleetJob) (*fleetToken, error) {
		return r.reconcile(ctx, j, inv, seeds)
	}, result)
	if len(work) > 0 {
		recordWrite(ctx, private, diags)
		recordUnconfirmedCreates(ctx, private, planned, result, unconfirmed, failed, diags)
	}
	reportFleetFailures(diags, failed, op)
	plan.Tokens, plan.FailedSerialNumbers = fleetTokens(result), failedSerials(failed)
	diags.Append(state.Set(ctx, plan)...)
}

// privateUnconfirmedCreates holds the serial numbers whose create an apply sent without learning whether Graph made
// the token (an answer lost, the timeout passed): the next apply adopts such a token rather than refusing a serial
// number the inventory already holds.
const privateUnconfirmedCreates = "unconfirmed_creates"

func unconfirmedCreates(ctx context.Context, private privateState) map[string]bool {
	raw, diags := private.GetKey(ctx, privateUnconfirmedCreates)
	var serials []string
	if diags.HasError() || len(raw) == 0 || json.Unmarshal(raw, &serials) != nil {
		return nil
	}
	out := make(map[string]bool, len(serials))
	for _, s := range serials {
		out[s] = true
	}
	return out
}

// recordUnconfirmedCreates keeps the planned serials that still have no token id and whose create, in this apply or
// an earlier one, went unconfirmed.
func recordUnconfirmedCreates(ctx context.Context, private privateState, planned map[string]*fleetToken,
	result map[string]fleetToken, earlier map[string]bool, failed []*fleetFailure, diags *diag.Diagnostics) {
	now := map[string]bool{}
	maps.Copy(now, earlier)
	for _, f := range failed {
		if f.createUnconfirmed {
			now[f.serial] = true
		}
	}
	serials := []string{}
	for serial := range now {
		if e, ok := result[serial]; planned[serial] != nil && (!ok || e.ID.IsNull()) {
			serials = append(serials, serial)
		}
	}
	if len(serials) == 0 && len(earlier) == 0 {
		return
	}
	sort.Strings(serials)
	raw, _ := json.Marshal(serials) // strings always marshal
	diags.Append(private.SetKey(ctx, privateUnconfirmedCreates, raw)...)
}

// failedSerials is the set of failed serial numbers.
func failedSerials(failed []*fleetFailure) types.Set {
	serials := make([]attr.Value, len(failed))
	for i, f := range failed {
		serials[i] = types.StringValue(f.serial)
	}
	return types.SetValueMust(types.StringType, serials)
}

// fleetJob is one serial's work: want is the planned entry (nil: remove the token), had the state's (nil: new).
type fleetJob struct {
	serial    string
	want, had *fleetToken
	// createUnconfirmed: an earlier apply sent this serial's create and never learnt whether Graph made the token.
	createUnconfirmed bool
}

// fleetFailure is a serial whose work failed, with what was attempted.
type fleetFailure struct {
	serial, attempted string
	perm              permission
	err               error
	expired           fleetExpiry
	// createUnconfirmed: a create was sent and Graph did not say whether it made the token.
	createUnconfirmed bool
}

// fleetExpiry says which timeout ended a serial's work, if one did.
type fleetExpiry int

const (
	notExpired         fleetExpiry = iota
	tokenExpired                   // the token's own fleetTokenTimeout
	operationExpired               // the fleet operation's timeout, while the work ran
	expiredBeforeStart             // the fleet operation's timeout, before the work started: nothing was sent
)

func (f *fleetFailure) Error() string { return f.err.Error() }

// run does the jobs, concurrency at a time, logging progress at info level. Each job returns the entry as Graph
// now shows it (nil: no token) and its error; entries go to result, failures are returned sorted by serial.
func (r *hardwareTokenFleetResource) run(ctx context.Context, jobs []fleetJob, concurrency int,
	do func(context.Context, fleetJob) (*fleetToken, error), result map[string]fleetToken) []*fleetFailure {
	if len(jobs) == 0 {
		return nil
	}
	concurrency = max(1, min(concurrency, len(jobs)))
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].serial < jobs[j].serial })
	tflog.Info(ctx, "Hardware token fleet: starting", map[string]any{"tokens": len(jobs), "concurrency": concurrency})
	var (
		mu       sync.Mutex
		failures []*fleetFailure
		done     int
		wg       sync.WaitGroup
		next     = make(chan fleetJob)
		start    = time.Now()
		every    = max(1, len(jobs)/20)
	)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				jctx, cancel := context.WithTimeout(ctx, fleetTokenTimeout)
				entry, err := do(jctx, j)
				expired := expiryOf(ctx, jctx)
				cancel()
				mu.Lock()
				if entry != nil {
					result[j.serial] = *entry
				}
				if err != nil {
					f, ok := err.(*fleetFailure)
					if !ok {
						f = &fleetFailure{attempted: "write the token", perm: permInventoryWrite, err: err}
					}
					f.serial = j.serial
					if f.expired == notExpired {
						f.expired = expired
					}
					failures = append(failures, f)
				}
				if done++; done%every == 0 || done == len(jobs) {
					tflog.Info(ctx, "Hardware token fleet: progress", map[string]any{"done": done, "total": len(jobs),
						"failed": len(failures), "elapsed_s": int(time.Since(start).Seconds())})
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		tflog.Warn(ctx, "Hardware token fleet: the operation's timeout passed; the tokens not done are reported as failed",
			map[string]any{"failed": len(failures), "total": len(jobs), "elapsed_s": int(time.Since(start).Seconds())})
	}
	sort.Slice(failures, func(i, j int) bool { return failures[i].serial < failures[j].serial })
	return failures
}

// expiryOf says which deadline ended a job's context jctx, made from the operation's context ctx.
func expiryOf(ctx, jctx context.Context) fleetExpiry {
	switch {
	case ctx.Err() != nil:
		return operationExpired
	case jctx.Err() != nil:
		return tokenExpired
	}
	return notExpired
}

// reconcile makes Graph show one planned entry (or removes the token of a dropped one) and returns the entry as
// Graph then shows it: nil when no token exists for it.
func (r *hardwareTokenFleetResource) reconcile(ctx context.Context, j fleetJob, inv *lifecycle.Inventory, seeds seedKeys) (*fleetToken, error) {
	if err := ctx.Err(); err != nil {
		// The operation's timeout passed before this serial's turn: nothing is sent, the entry stays as listed.
		return untouched(j, inv), &fleetFailure{err: err, expired: expiredBeforeStart}
	}
	if j.want == nil {
		// Unassigning first saves the refused delete and the read that Remove would otherwise need.
		if held := j.had.Status.ValueString(); known(j.had.UserID) && held != graph.StatusAvailable {
			if err := r.engine.Unassign(ctx, r.client, j.had.UserID.ValueString(), j.had.ID.ValueString()); err != nil {
				return j.had, &fleetFailure{attempted: "unassign the token before deleting it", perm: permUserMethods, err: err}
			}
		}
		if err := r.engine.Remove(ctx, r.client, j.had.ID.ValueString()); err != nil {
			return j.had, &fleetFailure{attempted: "unassign and delete the token of the removed entry", perm: permInventoryWrite, err: err}
		}
		return nil, nil
	}
	p := *j.want
	want := graph.Device{SerialNumber: j.serial, Manufacturer: p.Manufacturer.ValueString(), Model: p.Model.ValueString(),
		TimeIntervalInSeconds: int32(p.TimeInterval.ValueInt64()), HashFunction: p.HashFunction.ValueString()}
	current := j.listed(inv) // nil for a recorded id: deleted outside Terraform, created again below
	if !j.recorded() {
		if found := inv.BySerial(j.serial); len(found) > 0 {
			// The one token an unconfirmed create of this entry could have made is adopted; any other is not the fleet's.
			if !j.createUnconfirmed || len(found) != 1 || !lifecycle.SameKind(*found[0], want) {
				return entryFrom(p, nil, nil), &fleetFailure{attempted: "create the token", perm: permInventoryRead, err: fmt.Errorf("the inventory already "+
					"holds a token with serial number %q (id %s): the provider does not create a second one. Import it into the fleet "+
					"(an import block with the fleet's serial numbers), or remove the entry", j.serial, found[0].ID)}
			}
			current = found[0]
		}
	}
	// The user is checked before any write for the assignment; a user problem leaves the token in the inventory.
	user, userErr := r.wantedUser(ctx, p)
	if known(p.DisplayName) {
		want.DisplayName = p.DisplayName.ValueString()
	} else if current != nil {
		want.DisplayName = current.DisplayName
	}
	seeded := false // a create is sent only once the seed is found
	seed := func() (string, error) {
		s, err := seeds.seed(j.serial)
		seeded = seeded || err == nil
		return s, err
	}
	// Graph updates only unassigned tokens, and a token changes hands only through the inventory.
	if current != nil && current.AssignedTo != nil {
		_, differs := lifecycle.TokenUpdate(want, *current)
		if userErr == nil && (user == nil || !lifecycle.HeldBy(current, user.ID) || differs) {
			// The activation that follows needs the seed: without it, leave the token with its holder.
			if user != nil && p.Activate.ValueBool() {
				if _, err := seed(); err != nil {
					return entryFrom(p, current, nil), &fleetFailure{attempted: "unassign the token to assign or update it, " +
						"and activate it again", perm: permUserMethods, err: err}
				}
			}
			if err := r.engine.Unassign(ctx, r.client, current.AssignedTo.ID, current.ID); err != nil {
				return entryFrom(p, current, nil), &fleetFailure{attempted: "unassign the token from " +
					lifecycle.UserLabel(ctx, r.client, current.AssignedTo.ID), perm: permUserMethods, err: err}
			}
			released := *current
			released.AssignedTo, released.Status = nil, graph.StatusAvailable
			current = &released
		}
	}
	d, _, err := r.engine.EnsureToken(ctx, r.client, want, current, seed)
	if err != nil {
		// Only a refusal says Graph made no token; another serial number holder is not this create's token.
		var taken *lifecycle.SerialTakenError
		return entryFrom(p, d, nil), &fleetFailure{attempted: "create or update the token", perm: permInventoryWrite, err: err,
			createUnconfirmed: current == nil && d == nil && seeded && !graph.IsRefused(err) && !errors.As(err, &taken)}
	}
	if userErr != nil || user == nil {
		return entryFrom(p, d, nil), userErr
	}
	a := lifecycle.Assignment{UserID: user.ID, TokenID: d.ID, Activate: p.Activate.ValueBool(), Seed: seed}
	if known(p.DisplayName) {
		a.DisplayName = p.DisplayName.ValueString()
	}
	got, err := r.engine.EnsureAssignment(ctx, r.client, a, d)
	if got == nil {
		got = d
	}
	if err != nil {
		what := "assign the token to " + lifecycle.UserText(user.UserPrincipalName, user.ID)
		if a.Activate {
			what += " and activate it"
		}
		return entryFrom(p, got, user), &fleetFailure{attempted: what, perm: permUserMethods, err: err}
	}
	return entryFrom(p, got, user), nil
}

// untouched is job j's entry when its work never started: the state's for a dropped entry, else the planned entry
// as the apply's listing shows its token.
func untouched(j fleetJob, inv *lifecycle.Inventory) *fleetToken {
	if j.want == nil {
		return j.had
	}
	return entryFrom(*j.want, j.listed(inv), nil)
}

// recorded reports whether the state records a token id for j's entry.
func (j fleetJob) recorded() bool { return j.had != nil && !j.had.ID.IsNull() }

// listed is the token the apply's listing shows for the id the state records (nil: none recorded, or not listed).
func (j fleetJob) listed(inv *lifecycle.Inventory) *graph.Device {
	if !j.recorded() {
		return nil
	}
	return inv.ByID(j.had.ID.ValueString())
}

// wantedUser resolves the entry's user (nil: none), refusing guests and disabled accounts before any write.
func (r *hardwareTokenFleetResource) wantedUser(ctx context.Context, p fleetToken) (*graph.User, error) {
	ref := p.UserPrincipalName.ValueString()
	if known(p.UserID) {
		ref = p.UserID.ValueString()
	}
	if !known(p.UserPrincipalName) && !known(p.UserID) {
		return nil, nil
	}
	user, err := r.client.GetUser(ctx, ref)
	fail := func(err error) error {
		return &fleetFailure{attempted: "look up user " + ref, perm: permUserRead, err: err}
	}
	switch {
	case graph.IsNotFound(err):
		return nil, fail(fmt.Errorf("user %q was not found in the tenant: check the entry's user_principal_name or user_id", ref))
	case err != nil:
		return nil, fail(err)
	case strings.EqualFold(user.UserType, "Guest"):
		return nil, fail(fmt.Errorf("user %q is a guest: Microsoft Entra ID cannot assign hardware OATH tokens to guests", ref))
	case user.AccountDisabled:
		return nil, fail(fmt.Errorf("user %q is disabled (accountEnabled is false): enable the account or check the entry", ref))
	}
	return user, nil
}

// known reports a value that is neither null nor unknown.
func known(v types.String) bool { return !v.IsNull() && !v.IsUnknown() }

// entryFrom is planned entry p as Graph shows it in d after the apply (nil: no token; the entry then records no
// id, so that the next plan creates it). What the configuration gives stays as given (Terraform requires it); the
// computed values say what exists. user is the user the apply assigned, when it did.
func entryFrom(p fleetToken, d *graph.Device, user *graph.User) *fleetToken {
	e := p
	orNull := func(v types.String, from string) types.String {
		if v.IsUnknown() {
			return nullIfEmpty(from)
		}
		return v
	}
	e.ID, e.Status = types.StringNull(), types.StringNull()
	var display, userID, upn string
	if d != nil {
		e.ID, e.Status = types.StringValue(d.ID), types.StringValue(lifecycle.EffectiveStatus(d))
		display = d.DisplayName
		if user != nil && lifecycle.HeldBy(d, user.ID) {
			userID, upn = user.ID, user.UserPrincipalName
		}
	}
	e.DisplayName, e.UserID, e.UserPrincipalName = orNull(e.DisplayName, display), orNull(e.UserID, userID), orNull(e.UserPrincipalName, upn)
	return &e
}

// shownBy reports whether entry e says what Graph shows in d.
func shownBy(e *fleetToken, d *graph.Device) bool {
	holder := ""
	if d.AssignedTo != nil {
		holder = d.AssignedTo.ID
	}
	return e.Manufacturer.ValueString() == d.Manufacturer && e.Model.ValueString() == d.Model &&
		e.TimeInterval.ValueInt64() == int64(d.TimeIntervalInSeconds) && e.HashFunction.ValueString() == d.HashFunction &&
		e.DisplayName.Equal(nullIfEmpty(d.DisplayName)) && e.Status.ValueString() == lifecycle.EffectiveStatus(d) &&
		strings.EqualFold(e.UserID.ValueString(), holder)
}

// reportFleetFailures adds one diagnostic per failed serial, at its entry: a warning in the fleet's create, whose
// error would taint the fleet, else an error.
func reportFleetFailures(diags *diag.Diagnostics, failed []*fleetFailure, op fleetOp) {
	for _, f := range failed {
		p := path.Root("tokens").AtMapKey(f.serial)
		summary := "Unable to Apply Hardware Token Fleet Entry"
		detail := f.detail(op)
		if op == fleetCreate {
			diags.AddAttributeWarning(p, summary, detail+"\n\nThe fleet was created with the other tokens; the state records "+
				"what exists, failed_serial_numbers lists this serial, and the next apply does only what is left for it.")
			continue
		}
		diags.AddAttributeError(p, summary, detail+"\n\nThe state records what exists; the next apply does only what is left.")
	}
}

// detail says what failed for f's serial during op, and which timeout ended its work if one did.
func (f *fleetFailure) detail(op fleetOp) string {
	timeout := "timeouts." + string(op)
	if f.expired == expiredBeforeStart {
		return fmt.Sprintf("The fleet's %s passed before the provider started on the token with serial number %q, so it "+
			"sent nothing to Graph for it. Raise %s when a fleet this large needs longer.", timeout, f.serial, timeout)
	}
	detail := describeOutcome(graphErrorDetail(fmt.Sprintf("%s (serial number %q)", f.attempted, f.serial), f.perm, f.err), f.err)
	switch f.expired {
	case operationExpired:
		detail += fmt.Sprintf("\n\nThe fleet's %s passed before this token was done. Raise it when a fleet this large needs longer.", timeout)
	case tokenExpired:
		detail += fmt.Sprintf("\n\nThis token's work took longer than the %d minutes each token may take.", fleetTokenTimeout/time.Minute)
	}
	return detail
}

// Read refreshes every entry from one listing of the inventory. Entries whose token Graph no longer shows lose
// their id (the plan creates them again); holder, status and fields show as Graph has them, so drift is a change of
// that serial's entry.
func (r *hardwareTokenFleetResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state hardwareTokenFleetModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := withTimeout(ctx, state.Timeouts.Read, fleetTimeouts.read, &resp.Diagnostics)
	defer cancel()
	entries := fleetEntries(state.Tokens)
	if state.FailedSerialNumbers.IsNull() { // recorded by a provider version before the attribute
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attrFailedSerialNumbers), noFailedSerials())...)
	}
	if resp.Diagnostics.HasError() || len(entries) == 0 {
		return
	}
	inv, err := lifecycle.List(ctx, r.client, graph.DeviceFilter{})
	if err != nil {
		addGraphError(&resp.Diagnostics, "Unable to Read Hardware Token Fleet", "list the tenant inventory", permInventoryRead, err)
		return
	}
	settle := r.engine.SettledBy(lastWrite(ctx, req.Private))
	changed := false
	for serial, e := range entries {
		if e.ID.IsNull() {
			continue
		}
		agrees := func(d *graph.Device) bool { return d != nil && shownBy(e, d) }
		d, err := r.engine.Observe(ctx, r.client, inv.ByID(e.ID.ValueString()), e.ID.ValueString(), settle, agrees)
		if err != nil {
			addGraphError(&resp.Diagnostics, "Unable to Read Hardware Token Fleet",
				fmt.Sprintf("read the token with serial number %q", serial), permInventoryRead, err)
			return
		}
		if agrees(d) {
			continue
		}
		changed = true
		if d == nil {
			tflog.Warn(ctx, "Hardware token fleet: token no longer in the inventory; the plan creates it again", map[string]any{"serial_number": serial})
			entries[serial] = entryFrom(*e, nil, nil)
			entries[serial].UserID, entries[serial].UserPrincipalName = types.StringNull(), types.StringNull()
			continue
		}
		if entries[serial], err = r.refreshed(ctx, *e, d); err != nil {
			addGraphError(&resp.Diagnostics, "Unable to Read Hardware Token Fleet", fmt.Sprintf("read user %s, who holds the "+
				"token with serial number %q", d.AssignedTo.ID, serial), permUserRead, err)
			return
		}
	}
	if !changed {
		return // the response starts as the prior state
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("tokens"), fleetTokens(derefEntries(entries)))...)
}

// refreshed is entry e as Graph shows it in d: fields, status and holder (a new holder named by Graph). A failed
// read of the holder is an error: a holder recorded without its name would plan the token's reassignment.
func (r *hardwareTokenFleetResource) refreshed(ctx context.Context, e fleetToken, d *graph.Device) (*fleetToken, error) {
	e.Manufacturer, e.Model = types.StringValue(d.Manufacturer), types.StringValue(d.Model)
	e.TimeInterval, e.HashFunction = types.Int64Value(int64(d.TimeIntervalInSeconds)), types.StringValue(d.HashFunction)
	e.DisplayName, e.ID, e.Status = nullIfEmpty(d.DisplayName), types.StringValue(d.ID), types.StringValue(lifecycle.EffectiveStatus(d))
	switch {
	case d.AssignedTo == nil:
		e.UserID, e.UserPrincipalName = types.StringNull(), types.StringNull()
	case !strings.EqualFold(d.AssignedTo.ID, e.UserID.ValueString()):
		e.UserID, e.UserPrincipalName = types.StringValue(d.AssignedTo.ID), types.StringNull()
		u, err := r.client.GetUser(ctx, d.AssignedTo.ID)
		switch {
		case err == nil:
			e.UserPrincipalName = nullIfEmpty(u.UserPrincipalName)
		case !graph.IsNotFound(err): // a deleted holder keeps a null name
			return nil, err
		}
	}
	return &e, nil
}

func derefEntries(entries map[string]*fleetToken) map[string]fleetToken {
	out := make(map[string]fleetToken, len(entries))
	for k, v := range entries {
		out[k] = *v
	}
	return out
}

// Delete unassigns and deletes every token of the fleet. Tokens it could not delete stay in the state.
func (r *hardwareTokenFleetResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state hardwareTokenFleetModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := withTimeout(ctx, state.Timeouts.Delete, fleetTimeouts.delete, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	entries := fleetEntries(state.Tokens)
	var work []fleetJob
	for serial, e := range entries {
		if !e.ID.IsNull() {
			work = append(work, fleetJob{serial: serial, had: e})
		}
	}
	left := map[string]fleetToken{}
	failed := r.run(ctx, work, int(state.Concurrency.ValueInt64()), func(ctx context.Context, j fleetJob) (*fleetToken, error) {
		return r.reconcile(ctx, j, nil, seedKeys{})
	}, left)
	if len(failed) == 0 {
		return
	}
	reportFleetFailures(&resp.Diagnostics, failed, fleetDelete)
	state.Tokens, state.FailedSerialNumbers = fleetTokens(left), failedSerials(failed)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// ImportState adopts existing tokens without any Graph write. The id is a comma-separated list of serial numbers,
// or a filter of `field=value` pairs separated by commas (fields: manufacturer, model, status, assigned_user_id).
func (r *hardwareTokenFleetResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	const summary = "Unable to Import Hardware Token Fleet"
	filter, serials, err := parseFleetImportID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	inv, err := lifecycle.List(ctx, r.client, filter)
	if err != nil {
		addGraphError(&resp.Diagnostics, summary, "list the tenant inventory", permInventoryRead, err)
		return
	}
	entries := map[string]fleetToken{}
	var problems []string
	pick := func(serial string, d []*graph.Device) error {
		switch len(d) {
		case 0:
			problems = append(problems, fmt.Sprintf("no token with serial number %q is in the inventory", serial))
		case 1:
			e, err := r.importedEntry(ctx, d[0])
			if err != nil {
				addGraphError(&resp.Diagnostics, summary, fmt.Sprintf("read user %s, who holds the token with serial number %q",
					d[0].AssignedTo.ID, serial), permUserRead, err)
				return err
			}
			entries[serial] = e
		default:
			problems = append(problems, fmt.Sprintf("%d tokens have serial number %q", len(d), serial))
		}
		return nil
	}
	if serials != nil {
		for _, s := range serials {
			if pick(s, inv.BySerial(s)) != nil {
				return
			}
		}
	} else {
		for i := range inv.Devices {
			serial := inv.Devices[i].SerialNumber
			if _, seen := entries[serial]; !seen && pick(serial, inv.BySerial(serial)) != nil {
				return
			}
		}
	}
	if len(problems) > 0 {
		resp.Diagnostics.AddError(summary, "The import adopts each serial number's one token; "+strings.Join(problems, "; ")+
			". Correct the import id, or delete the extra tokens.")
		return
	}
	if len(entries) == 0 {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("No token in the inventory matches the import id %q.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("tokens"), fleetTokens(entries))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("concurrency"), types.Int64Value(defaultFleetConcurrency))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attrFailedSerialNumbers), noFailedSerials())...)
}

// importedEntry records d as it is: activate is false only for a token assigned but not activated, so that an
// imported fleet plans no activation the configuration does not ask for.
func (r *hardwareTokenFleetResource) importedEntry(ctx context.Context, d *graph.Device) (fleetToken, error) {
	e := fleetToken{Manufacturer: types.StringValue(d.Manufacturer), Model: types.StringValue(d.Model),
		TimeInterval: types.Int64Value(int64(d.TimeIntervalInSeconds)), HashFunction: types.StringValue(d.HashFunction),
		Activate: types.BoolValue(d.AssignedTo == nil || lifecycle.EffectiveStatus(d) == graph.StatusActivated)}
	e.UserID, e.UserPrincipalName = types.StringNull(), types.StringNull()
	got, err := r.refreshed(ctx, e, d)
	if err != nil {
		return e, err
	}
	return *got, nil
}

// parseFleetImportID reads `SERIAL1,SERIAL2,...` or `field=value,...`.
func parseFleetImportID(id string) (graph.DeviceFilter, []string, error) {
	var f graph.DeviceFilter
	parts := strings.Split(id, ",")
	if !strings.Contains(id, "=") {
		var serials []string
		for _, p := range parts {
			if s := strings.TrimSpace(p); s != "" {
				serials = append(serials, s)
			}
		}
		if len(serials) == 0 {
			return f, nil, fmt.Errorf("the import id is empty: give serial numbers separated by commas, or a filter such as %q",
				"manufacturer=Token2,status=activated")
		}
		return f, serials, nil
	}
	fields := map[string]*string{"manufacturer": &f.Manufacturer, "model": &f.Model, "status": &f.Status, "assigned_user_id": &f.AssignedToID}
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		dst := fields[strings.TrimSpace(k)]
		if !ok || dst == nil || strings.TrimSpace(v) == "" {
			return f, nil, fmt.Errorf("the import id %q is not a filter of field=value pairs separated by commas (fields: "+
				"manufacturer, model, status, assigned_user_id), nor a list of serial numbers", id)
		}
		*dst = strings.TrimSpace(v)
	}
	return f, nil, nil
}
