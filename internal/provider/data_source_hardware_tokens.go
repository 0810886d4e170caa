package provider

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

var (
	_ datasource.DataSourceWithConfigure = (*hardwareTokensDataSource)(nil)
	_ validator.String                   = rfc3339Validator{}
)

// NewHardwareTokensDataSource returns the entraoath_hardware_tokens data source: the inventory, filtered by Graph.
func NewHardwareTokensDataSource() datasource.DataSource { return &hardwareTokensDataSource{} }

type hardwareTokensDataSource struct {
	client graph.API
}

type hardwareTokensModel struct {
	Status                    types.String  `tfsdk:"status"`
	Manufacturer              types.String  `tfsdk:"manufacturer"`
	Model                     types.String  `tfsdk:"model"`
	AssignedUserID            types.String  `tfsdk:"assigned_user_id"`
	AssignedUserPrincipalName types.String  `tfsdk:"assigned_user_principal_name"`
	NotUsedSince              types.String  `tfsdk:"not_used_since"`
	Tokens                    []listedToken `tfsdk:"tokens"`
}

// listedToken is a token with its holder named as an admin reads reports: user principal name and display name.
type listedToken struct {
	tokenAttributes
	AssignedUserPrincipalName types.String `tfsdk:"assigned_user_principal_name"`
	AssignedUserDisplayName   types.String `tfsdk:"assigned_user_display_name"`
}

func (d *hardwareTokensDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hardware_tokens"
}

func (d *hardwareTokensDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	nonEmpty := []validator.String{stringvalidator.LengthAtLeast(1)}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the hardware OATH tokens in the tenant's inventory, optionally filtered, with the user " +
			"who holds each one: what reports need (unused tokens, who holds what) and what `import` blocks iterate over to " +
			"adopt a tenant's tokens (see the guide *Adopt the tokens already in your tenant*). " +
			"Seeds are never exposed: Graph does not return them.\n\n" +
			"**Cost.** The data source reads the inventory listing the command shares with every token and assignment read " +
			"(one request per 999 tokens, none of its own when the command has written nothing before it), and one request " +
			"per distinct holder for the user principal name; the command's assignments reuse those user reads.\n\n" +
			"Needs the `Policy.Read.All` Graph permission (role: Global Reader or Authentication Policy Administrator) and, " +
			"when a listed token is assigned or `assigned_user_principal_name` is set, `User.Read.All` (role: Directory Readers).",
		Attributes: map[string]schema.Attribute{
			"status": schema.StringAttribute{
				MarkdownDescription: "Only tokens with this status: `available`, `assigned`, `activated` or `failedActivation`.",
				Optional:            true,
				Validators: []validator.String{stringvalidator.OneOf(
					graph.StatusAvailable, graph.StatusAssigned, graph.StatusActivated, graph.StatusFailedActivation)},
			},
			"manufacturer": schema.StringAttribute{
				MarkdownDescription: "Only tokens from this manufacturer (exact match).",
				Optional:            true,
				Validators:          nonEmpty,
			},
			"model": schema.StringAttribute{
				MarkdownDescription: "Only tokens of this model (exact match).",
				Optional:            true,
				Validators:          nonEmpty,
			},
			"assigned_user_id": schema.StringAttribute{
				MarkdownDescription: "Only tokens assigned to the user with this object id. Conflicts with `assigned_user_principal_name`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(guidPattern, "must be a user object id (GUID)")},
			},
			"assigned_user_principal_name": schema.StringAttribute{
				MarkdownDescription: "Only tokens assigned to the user with this user principal name (e.g. `amy@contoso.com`; " +
					"one user lookup). Conflicts with `assigned_user_id`.",
				Optional: true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("assigned_user_id"))},
			},
			"not_used_since": schema.StringAttribute{
				MarkdownDescription: "Only tokens not used since this time (RFC 3339, e.g. `2026-01-01T00:00:00Z`): last used " +
					"before it, or never used. For example `timeadd(plantimestamp(), \"-2160h\")` lists the tokens unused for 90 days.",
				Optional:   true,
				Validators: []validator.String{rfc3339Validator{}},
			},
			"tokens": schema.ListNestedAttribute{
				MarkdownDescription: "The matching tokens, sorted by serial number.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: listedTokenAttributes()},
			},
		},
	}
}

func (d *hardwareTokensDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if pd := configuredData(req.ProviderData, &resp.Diagnostics); pd != nil {
		d.client = pd.client
	}
}

func (d *hardwareTokensDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	const summary = "Unable to List Hardware Tokens"
	var state hardwareTokensModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	holder := state.AssignedUserID.ValueString()
	if upn := state.AssignedUserPrincipalName.ValueString(); upn != "" {
		user, err := d.client.GetUser(ctx, upn)
		switch {
		case graph.IsNotFound(err):
			resp.Diagnostics.AddAttributeError(path.Root("assigned_user_principal_name"), summary, fmt.Sprintf("User %q was not "+
				"found in the tenant. Check assigned_user_principal_name.", upn))
			return
		case err != nil:
			addGraphError(&resp.Diagnostics, summary, fmt.Sprintf("read user %s", upn), permUserRead, err)
			return
		}
		holder = user.ID
	}
	devices, err := d.client.ListDevices(ctx, graph.DeviceFilter{
		Status:       state.Status.ValueString(),
		Manufacturer: state.Manufacturer.ValueString(),
		Model:        state.Model.ValueString(),
		AssignedToID: holder,
	})
	if err != nil {
		addGraphError(&resp.Diagnostics, summary, "list the hardware tokens in the tenant inventory", permInventoryRead, err)
		return
	}
	if !state.NotUsedSince.IsNull() {
		since, _ := time.Parse(time.RFC3339, state.NotUsedSince.ValueString()) // validated
		devices = slices.DeleteFunc(devices, func(d graph.Device) bool {
			return d.LastUsedDateTime != nil && !d.LastUsedDateTime.Before(since)
		})
	}
	// Graph's order is unspecified; a stable order keeps plans that use the list quiet.
	slices.SortFunc(devices, func(a, b graph.Device) int {
		return cmp.Or(strings.Compare(a.SerialNumber, b.SerialNumber), strings.Compare(a.ID, b.ID))
	})
	state.Tokens = make([]listedToken, len(devices))
	for i := range devices {
		t := listedToken{tokenAttributes: tokenAttributesFrom(&devices[i]),
			AssignedUserPrincipalName: types.StringNull(), AssignedUserDisplayName: types.StringNull()}
		if a := devices[i].AssignedTo; a != nil {
			t.AssignedUserDisplayName = nullIfEmpty(a.DisplayName)
			// One request per distinct holder: the client remembers users for the command.
			user, err := d.client.GetUser(ctx, a.ID)
			switch {
			case err == nil:
				t.AssignedUserPrincipalName = nullIfEmpty(user.UserPrincipalName)
				if t.AssignedUserDisplayName.IsNull() {
					t.AssignedUserDisplayName = nullIfEmpty(user.DisplayName)
				}
			case !graph.IsNotFound(err): // a deleted holder keeps a null name
				addGraphError(&resp.Diagnostics, summary, fmt.Sprintf("read user %s, who holds hardware OATH token %s", a.ID, devices[i].ID), permUserRead, err)
				return
			}
		}
		state.Tokens[i] = t
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// listedTokenAttributes are a token's attributes and its holder's names.
func listedTokenAttributes() map[string]schema.Attribute {
	attrs := tokenDataSourceAttributes()
	attrs["assigned_user_principal_name"] = schema.StringAttribute{Computed: true,
		MarkdownDescription: "The user principal name of the user the token is assigned to; null when unassigned (or the user was deleted)."}
	attrs["assigned_user_display_name"] = schema.StringAttribute{Computed: true,
		MarkdownDescription: "The display name of the user the token is assigned to; null when unassigned."}
	return attrs
}

// rfc3339Validator accepts an RFC 3339 timestamp.
type rfc3339Validator struct{}

func (v rfc3339Validator) Description(ctx context.Context) string { return v.MarkdownDescription(ctx) }
func (rfc3339Validator) MarkdownDescription(context.Context) string {
	return "must be an RFC 3339 timestamp, e.g. `2026-01-01T00:00:00Z`"
}

func (rfc3339Validator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.Parse(time.RFC3339, req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Timestamp", fmt.Sprintf("%s is %q, which is not an RFC 3339 "+
			"timestamp. Write it as 2026-01-01T00:00:00Z (or use timestamp(), plantimestamp() and timeadd()).", req.Path, req.ConfigValue.ValueString()))
	}
}
