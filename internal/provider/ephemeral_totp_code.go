package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/entraoath/terraform-provider-entraoath/internal/seedfile"
	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

// The code is computed locally from the seed: this ephemeral resource needs no Graph client, hence no Configure.
var _ ephemeral.EphemeralResource = (*totpCodeEphemeralResource)(nil)

// NewTOTPCodeEphemeralResource returns the entraoath_totp_code ephemeral resource.
func NewTOTPCodeEphemeralResource() ephemeral.EphemeralResource { return &totpCodeEphemeralResource{} }

type totpCodeEphemeralResource struct{}

type totpCodeEphemeralModel struct {
	SecretKey    types.String `tfsdk:"secret_key"`
	TimeInterval types.Int64  `tfsdk:"time_interval"`
	HashFunction types.String `tfsdk:"hash_function"`
	Code         types.String `tfsdk:"code"`
	ValidUntil   types.String `tfsdk:"valid_until"`
}

func (e *totpCodeEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_totp_code"
}

func (e *totpCodeEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Computes the 6-digit TOTP code a hardware token with the given seed shows now, e.g. to " +
			"activate a token or to test sign-in. Being ephemeral (Terraform 1.10 and later), neither the seed nor the " +
			"code is stored in the plan or state. The code is computed locally; no Graph call is made.\n\n" +
			"Ephemeral values can go only where Terraform does not store them: provider blocks, write-only arguments, " +
			"other ephemeral resources, locals, provisioners, and outputs marked `ephemeral = true` in child modules. A " +
			"root module cannot output the code, and Terraform hides it in its own output because it is sensitive, so " +
			"to hand it to a person, a `local-exec` provisioner writes it to the terminal (or a file), as the example " +
			"below does. The code expires with its time step (`valid_until`): apply when the person is ready to type it.\n\n" +
			"For a code at a fixed time, use the pure `provider::entraoath::totp_code` function.",
		Attributes: map[string]schema.Attribute{
			"secret_key": schema.StringAttribute{
				MarkdownDescription: secretKeyDescription,
				Required:            true,
				Sensitive:           true,
				Validators:          []validator.String{base32SeedValidator{}},
			},
			"time_interval": schema.Int64Attribute{
				MarkdownDescription: timeIntervalDescription + " Defaults to `30`.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.OneOf(timeIntervalValues...)},
			},
			"hash_function": schema.StringAttribute{
				MarkdownDescription: hashFunctionDescription + " Defaults to `hmacsha1`.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{hashFunctionValidator{}},
			},
			"code": schema.StringAttribute{
				MarkdownDescription: "The code for the current time step, computed when Terraform opens the ephemeral resource.",
				Computed:            true,
				Sensitive:           true,
			},
			"valid_until": schema.StringAttribute{
				MarkdownDescription: "When the code's time step ends (RFC 3339, UTC). Entra ID also accepts codes of neighbouring steps.",
				Computed:            true,
			},
		},
	}
}

func (e *totpCodeEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var data totpCodeEphemeralModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if data.TimeInterval.IsNull() {
		data.TimeInterval = types.Int64Value(seedfile.DefaultTimeInterval)
	}
	if data.HashFunction.IsNull() {
		data.HashFunction = types.StringValue(seedfile.DefaultHashFunction)
	}
	period := data.TimeInterval.ValueInt64()

	now := time.Now()
	code, err := totp.Code(data.SecretKey.ValueString(), now, period, data.HashFunction.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("secret_key"), "Unable to Compute TOTP Code", seedErrorDetail(path.Root("secret_key"), err))
		return
	}
	data.Code = types.StringValue(code)
	data.ValidUntil = types.StringValue(time.Unix((now.Unix()/period+1)*period, 0).UTC().Format(time.RFC3339))
	resp.Diagnostics.Append(resp.Result.Set(ctx, &data)...)
}
