package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

var (
	_ datasource.DataSourceWithConfigure        = (*hardwareTokenDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*hardwareTokenDataSource)(nil)
)

// NewHardwareTokenDataSource returns the entraoath_hardware_token data source: one inventory token, by id or serial.
func NewHardwareTokenDataSource() datasource.DataSource { return &hardwareTokenDataSource{} }

type hardwareTokenDataSource struct {
	client graph.API
}

// tokenDataSourceAttributes are the computed, non-secret attributes of a token, as both data sources expose them.
func tokenDataSourceAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id":                  schema.StringAttribute{Computed: true, MarkdownDescription: "The token's object id (GUID)."},
		"serial_number":       schema.StringAttribute{Computed: true, MarkdownDescription: "The serial number printed on the token."},
		"manufacturer":        schema.StringAttribute{Computed: true, MarkdownDescription: "The token's manufacturer."},
		"model":               schema.StringAttribute{Computed: true, MarkdownDescription: "The token's model."},
		"display_name":        schema.StringAttribute{Computed: true, MarkdownDescription: "The token's display name; null when not set."},
		"time_interval":       schema.Int64Attribute{Computed: true, MarkdownDescription: "How many seconds each code is valid: `30` or `60`."},
		"hash_function":       schema.StringAttribute{Computed: true, MarkdownDescription: "The HMAC the token uses: `hmacsha1` or `hmacsha256`."},
		"status":              schema.StringAttribute{Computed: true, MarkdownDescription: "`available` (unassigned), `assigned`, `activated` or `failedActivation`."},
		"assigned_user_id":    schema.StringAttribute{Computed: true, MarkdownDescription: "The object id of the user the token is assigned to; null when unassigned."},
		"last_used_date_time": schema.StringAttribute{Computed: true, MarkdownDescription: "When the token was last used (RFC 3339, UTC); null if never."},
	}
}

func (d *hardwareTokenDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_hardware_token"
}

func (d *hardwareTokenDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := tokenDataSourceAttributes()
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "The token's object id (GUID). Set exactly one of `id` and `serial_number`.",
		Optional:            true,
		Computed:            true,
		Validators:          []validator.String{stringvalidator.RegexMatches(guidPattern, "must be an object id (GUID)")},
	}
	attrs["serial_number"] = schema.StringAttribute{
		MarkdownDescription: "The serial number printed on the token. Set exactly one of `id` and `serial_number`; " +
			"the serial number must be unique in the inventory.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one hardware OATH token from the tenant's inventory, by object id or serial number. " +
			"The seed is never exposed: Graph does not return it.\n\n" +
			"Needs the `Policy.Read.All` Graph permission (role: Global Reader or Authentication Policy Administrator).",
		Attributes: attrs,
	}
}

func (d *hardwareTokenDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("serial_number")),
	}
}

func (d *hardwareTokenDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if pd := configuredData(req.ProviderData, &resp.Diagnostics); pd != nil {
		d.client = pd.client
	}
}

func (d *hardwareTokenDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	const summary = "Unable to Read Hardware Token"
	var config tokenAttributes
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var device *graph.Device
	if id := config.ID.ValueString(); id != "" {
		var err error
		device, err = d.client.GetDevice(ctx, id)
		if err != nil {
			addGraphError(&resp.Diagnostics, summary, fmt.Sprintf("read the hardware token %s from the tenant inventory", id), permInventoryRead, err)
			return
		}
	} else {
		serial := config.SerialNumber.ValueString()
		devices, err := d.client.ListDevices(ctx, graph.DeviceFilter{SerialNumber: serial})
		if err != nil {
			addGraphError(&resp.Diagnostics, summary, fmt.Sprintf("find the hardware token with serial number %q in the tenant inventory", serial), permInventoryRead, err)
			return
		}
		if len(devices) != 1 {
			resp.Diagnostics.AddAttributeError(path.Root("serial_number"), summary,
				fmt.Sprintf("The tenant inventory holds %d hardware tokens with serial number %q; the data source needs exactly one. "+
					"Check the serial number, or look the token up by id.", len(devices), serial))
			return
		}
		device = &devices[0]
	}
	state := tokenAttributesFrom(device)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}
