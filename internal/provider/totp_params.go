package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/function"

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
		Validators:          []function.StringParameterValidator{stringvalidator.OneOf(hashFunctionValues...)},
	}
}
