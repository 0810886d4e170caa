package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

var _ function.Function = (*totpCodeFunction)(nil)

// NewTOTPCodeFunction returns the totp_code function.
func NewTOTPCodeFunction() function.Function { return &totpCodeFunction{} }

type totpCodeFunction struct{}

func (f *totpCodeFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "totp_code"
}

func (f *totpCodeFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Computes the 6-digit TOTP code of a seed at a given time",
		MarkdownDescription: "Computes the 6-digit RFC 6238 code a hardware token with this seed shows at `unix_time`. " +
			"The function is pure: the time is an argument, so the same call always gives the same code. " +
			"For the code of the current moment use the `entraoath_totp_code` ephemeral resource, which is never stored.\n\n" +
			"The result is derived from the seed: pass a sensitive seed and Terraform keeps the code sensitive.",
		Parameters: []function.Parameter{
			secretKeyParameter(),
			function.Int64Parameter{Name: "unix_time", MarkdownDescription: "The time, in seconds since the Unix epoch (e.g. `parseint(formatdate(\"X\", ...), 10)` or a fixed value)."},
			timeIntervalParameter(),
			hashFunctionParameter(),
		},
		Return: function.StringReturn{},
	}
}

func (f *totpCodeFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var secret, hash string
	var unix, period int64
	if resp.Error = req.Arguments.Get(ctx, &secret, &unix, &period, &hash); resp.Error != nil {
		return
	}
	// Period and hash were validated with the parameters, so an error here concerns the seed; its text never
	// contains the seed.
	code, err := totp.Code(secret, time.Unix(unix, 0), period, hash)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, err.Error())
		return
	}
	resp.Error = resp.Result.Set(ctx, code)
}
