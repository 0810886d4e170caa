package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// RFC 6238 Appendix B seeds ("12345678901234567890" and its 32-byte extension), shared by the function and
// ephemeral resource tests.
const (
	rfcSeedSHA1   = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	rfcSeedSHA256 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA"
	rfcSeedHex    = "3132333435363738393031323334353637383930"
)

// callFunction runs a provider function in-process, where its error text can be inspected in full: Terraform's
// own error output quotes the configuration, seeds included, so an acceptance test cannot prove a function's
// message leaves the seed out.
func callFunction(t *testing.T, f function.Function, args ...attr.Value) *function.FuncError {
	t.Helper()
	ctx := context.Background()
	var def function.DefinitionResponse
	f.Definition(ctx, function.DefinitionRequest{}, &def)
	if def.Definition.VariadicParameter != nil {
		args = append(args, types.TupleValueMust(nil, nil))
	}
	result, ferr := def.Definition.Return.NewResultData(ctx)
	if ferr != nil {
		t.Fatal(ferr)
	}
	resp := function.RunResponse{Result: result}
	f.Run(ctx, function.RunRequest{Arguments: function.NewArgumentsData(args)}, &resp)
	return resp.Error
}

// TestFunctionErrorsDoNotEchoSecrets checks every function that takes a seed with seeds that fail in different
// places: bad characters, too short, bad hex, and (for the CSV) a seed inside a file.
func TestFunctionErrorsDoNotEchoSecrets(t *testing.T) {
	const (
		badBase32 = "GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJ8" // '1' and '8' are not Base32
		shortSeed = "JBSWY3DPEHPK"
		badHex    = "313233343536373839303132333435363738393g"
	)
	str := types.StringValue
	cases := []struct {
		name   string
		secret string
		f      function.Function
		args   []attr.Value
	}{
		{"hex_to_base32 bad hex", badHex, NewHexToBase32Function(), []attr.Value{str(badHex)}},
		{"hex_to_base32 short", "31323334", NewHexToBase32Function(), []attr.Value{str("31323334")}},
		{"totp_code bad base32", badBase32, NewTOTPCodeFunction(), []attr.Value{str(badBase32), types.Int64Value(59), types.Int64Value(30), str("hmacsha1")}},
		{"totp_code short", shortSeed, NewTOTPCodeFunction(), []attr.Value{str(shortSeed), types.Int64Value(59), types.Int64Value(30), str("hmacsha1")}},
		{"otpauth_uri bad base32", badBase32, NewOTPAuthURIFunction(), []attr.Value{str(badBase32), str("1"), str("Contoso"), types.Int64Value(30), str("hmacsha1")}},
		{"parse_token_csv bad base32", badBase32, NewParseTokenCSVFunction(), []attr.Value{str("serial number,secret key\n1," + badBase32 + "\n")}},
		{"parse_token_csv hex read as base32", rfcSeedHex, NewParseTokenCSVFunction(), []attr.Value{str("serial number,secret key\n1," + rfcSeedHex + "\n")}},
		{"parse_token_csv bad hex", badHex, NewParseTokenCSVFunction(), []attr.Value{str("serial number,seed (hex)\n1," + badHex + "\n")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := callFunction(t, c.f, c.args...)
			if err == nil {
				t.Fatal("the function accepted an invalid seed")
			}
			if strings.Contains(strings.ToUpper(err.Error()), strings.ToUpper(c.secret)) {
				t.Errorf("the error echoes the seed: %v", err)
			}
		})
	}
}

// expectErrorText matches text in Terraform's error output, which wraps long lines at any space.
func expectErrorText(text string) *regexp.Regexp {
	return regexp.MustCompile(strings.Join(strings.Fields(regexp.QuoteMeta(text)), `\s+`))
}
