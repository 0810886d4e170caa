package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

var _ function.Function = (*hexToBase32Function)(nil)

// NewHexToBase32Function returns the hex_to_base32 function.
func NewHexToBase32Function() function.Function { return &hexToBase32Function{} }

type hexToBase32Function struct{}

func (f *hexToBase32Function) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "hex_to_base32"
}

func (f *hexToBase32Function) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Converts a hex seed to Base32",
		MarkdownDescription: "Converts a TOTP seed written in hex, as some vendors ship them, to the unpadded upper-case " +
			"Base32 that Microsoft Graph accepts. Spaces, hyphens, colons and a `0x` prefix are ignored. " +
			"The result is at least 16 Base32 characters (80 bits), as Graph requires.\n\n" +
			"For programmable tokens, generate the seed with `random_bytes` (hashicorp/random >= 3.6) and convert its " +
			"`hex` attribute, which is sensitive: `provider::entraoath::hex_to_base32(random_bytes.seed.hex)`.",
		Parameters: []function.Parameter{
			function.StringParameter{Name: "hex", MarkdownDescription: "The seed in hex."},
		},
		Return: function.StringReturn{},
	}
}

func (f *hexToBase32Function) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var hex string
	if resp.Error = req.Arguments.Get(ctx, &hex); resp.Error != nil {
		return
	}
	seed, err := totp.HexToBase32(hex)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, err.Error())
		return
	}
	resp.Error = resp.Result.Set(ctx, seed)
}
