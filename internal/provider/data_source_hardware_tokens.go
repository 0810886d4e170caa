package provider

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

var _ datasource.DataSourceWithConfigure = (*hardwareTokensDataSource)(nil)

// NewHardwareTokensDataSource returns the entraoath_hardware_tokens data source: the inventory, filtered by Graph.
func NewHardwareTokensDataSource() datasource.DataSource { return &hardwareTokensDataSource{} }

type hardwareTokensDataSource struct {
	client graph.API
}

type hardwareTokensModel struct {
	Status         types.String      `tfsdk:"status"`
	Manufacturer   types.String      `tfsdk:"manufacturer"`
	Model          types.String      `tfsdk:"model"`
	AssignedUserID types.String      `tfsdk:"assigned_user_id"`
	Tokens         []tokenAttributes `tfsdk:"tokens"`
}

func (d *hardwareTokensDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hardware_tokens"
}

func (d *hardwareTokensDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	nonEmpty := []validator.String{stringvalidator.LengthAtLeast(1)}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the hardware OATH tokens in the tenant's inventory, optionally filtered (Graph applies the filters). " +
			"Seeds are never exposed: Graph does not return them.\n\n" +
			"Needs the `Policy.Read.All` Graph permission (role: Global Reader or Authentication Policy Administrator).",
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
				MarkdownDescription: "Only tokens assigned to the user with this object id.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(guidPattern, "must be a user object id (GUID)")},
			},
			"tokens": schema.ListNestedAttribute{
				MarkdownDescription: "The matching tokens, sorted by serial number.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: tokenDataSourceAttributes()},
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
	var state hardwareTokensModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	devices, err := d.client.ListDevices(ctx, graph.DeviceFilter{
		Status:       state.Status.ValueString(),
		Manufacturer: state.Manufacturer.ValueString(),
		Model:        state.Model.ValueString(),
		AssignedToID: state.AssignedUserID.ValueString(),
	})
	if err != nil {
		addGraphError(&resp.Diagnostics, "Unable to List Hardware Tokens", "list the hardware tokens in the tenant inventory", permInventoryRead, err)
		return
	}
	// Graph's order is unspecified; a stable order keeps plans that use the list quiet.
	slices.SortFunc(devices, func(a, b graph.Device) int {
		return cmp.Or(strings.Compare(a.SerialNumber, b.SerialNumber), strings.Compare(a.ID, b.ID))
	})
	state.Tokens = make([]tokenAttributes, len(devices))
	for i := range devices {
		state.Tokens[i] = tokenAttributesFrom(&devices[i])
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}
