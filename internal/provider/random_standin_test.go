package provider

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// randomStandIn serves hashicorp/random's random_bytes in process, with that resource's schema (random 3.6: length;
// hex and base64 computed and sensitive): the function examples generate their seeds with it, and the tests reach
// no provider registry.
type randomStandIn struct{}

var (
	_ provider.Provider = randomStandIn{}
	_ resource.Resource = randomBytes{}
)

func (randomStandIn) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "random"
}

func (randomStandIn) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (randomStandIn) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (randomStandIn) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return randomBytes{} }}
}

func (randomStandIn) DataSources(context.Context) []func() datasource.DataSource { return nil }

type randomBytes struct{}

type randomBytesModel struct {
	Length types.Int64  `tfsdk:"length"`
	Hex    types.String `tfsdk:"hex"`
	Base64 types.String `tfsdk:"base64"`
}

func (randomBytes) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_bytes"
}

func (randomBytes) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computed := func() schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Sensitive: true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"length": schema.Int64Attribute{Required: true, PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()}},
		"hex":    computed(),
		"base64": computed(),
	}}
}

func (randomBytes) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m randomBytesModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	b := make([]byte, m.Length.ValueInt64())
	_, _ = rand.Read(b)
	m.Hex, m.Base64 = types.StringValue(hex.EncodeToString(b)), types.StringValue(base64.StdEncoding.EncodeToString(b))
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

func (randomBytes) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

// Update is never called: the only argument forces a replacement.
func (randomBytes) Update(context.Context, resource.UpdateRequest, *resource.UpdateResponse) {}

func (randomBytes) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
