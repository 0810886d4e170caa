package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/entraoath/terraform-provider-entraoath/internal/seedfile"
	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

// Shared by the TOTP functions (totp_code, otpauth_uri) and the entraoath_totp_code ephemeral resource, so the
// three describe and validate a token's seed, period and hash function the same way.

const (
	secretKeyDescription = "The token's seed in Base32 (RFC 4648; case, spaces, hyphens and `=` padding are ignored). " +
		"Convert a hex seed with `provider::entraoath::hex_to_base32`."
	timeIntervalDescription = "The token's time step in seconds: `30` or `60`."
	hashFunctionDescription = "The token's HMAC hash function: `hmacsha1` or `hmacsha256`."
)

var (
	timeIntervalValues = []int64{30, 60}
	hashFunctionValues = []string{totp.HashSHA1, totp.HashSHA256}
)

func secretKeyParameter() function.StringParameter {
	return function.StringParameter{Name: "secret_key", MarkdownDescription: secretKeyDescription}
}

func timeIntervalParameter() function.Int64Parameter {
	return function.Int64Parameter{
		Name:                "time_interval",
		MarkdownDescription: timeIntervalDescription,
		Validators:          []function.Int64ParameterValidator{int64validator.OneOf(timeIntervalValues...)},
	}
}

func hashFunctionParameter() function.StringParameter {
	return function.StringParameter{
		Name:                "hash_function",
		MarkdownDescription: hashFunctionDescription,
		Validators:          []function.StringParameterValidator{hashFunctionValidator{}},
	}
}

// hashFunctionValidator accepts Graph's hash names. A vendor's spelling that parse_token_csv converts (sha256,
// SHA-1, HMAC-SHA256) is refused with the name to use rather than converted: a configured value that differs
// from the one in state would plan a change on every run.
type hashFunctionValidator struct{}

var (
	_                 validator.String                  = hashFunctionValidator{}
	_                 function.StringParameterValidator = hashFunctionValidator{}
	hashFunctionOneOf                                   = stringvalidator.OneOf(hashFunctionValues...)
)

func (hashFunctionValidator) Description(ctx context.Context) string {
	return hashFunctionOneOf.Description(ctx)
}

func (v hashFunctionValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

// aliasProblem says which name to use when name is a vendor's spelling of one of Graph's, else "".
func aliasProblem(name string) string {
	graphName, ok := seedfile.NormalizeHash(name)
	if !ok || graphName == name {
		return ""
	}
	return fmt.Sprintf("%q is not accepted here: use %q, Microsoft Graph's name for the same hash function "+
		"(parse_token_csv converts vendors' spellings such as sha256 to it)", name, graphName)
}

func (hashFunctionValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if p := aliasProblem(req.ConfigValue.ValueString()); p != "" && !req.ConfigValue.IsUnknown() {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Hash Function", fmt.Sprintf("%s: %s.", req.Path, p))
		return
	}
	hashFunctionOneOf.ValidateString(ctx, req, resp)
}

func (hashFunctionValidator) ValidateParameterString(ctx context.Context, req function.StringParameterValidatorRequest, resp *function.StringParameterValidatorResponse) {
	if p := aliasProblem(req.Value.ValueString()); p != "" && !req.Value.IsUnknown() {
		resp.Error = function.NewArgumentFuncError(req.ArgumentPosition, "Invalid Hash Function: "+p+".")
		return
	}
	hashFunctionOneOf.ValidateParameterString(ctx, req, resp)
}
