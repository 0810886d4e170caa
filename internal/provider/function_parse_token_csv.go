package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/entraoath/terraform-provider-entraoath/internal/seedfile"
)

var _ function.Function = (*parseTokenCSVFunction)(nil)

// NewParseTokenCSVFunction returns the parse_token_csv function.
func NewParseTokenCSVFunction() function.Function { return &parseTokenCSVFunction{} }

type parseTokenCSVFunction struct{}

// optionStrict is the option that refuses unknown columns.
const optionStrict = "strict"

// tokenCSVRow is one token of the result; nullable columns use types.String.
type tokenCSVRow struct {
	UserPrincipalName types.String `tfsdk:"user_principal_name"`
	SerialNumber      string       `tfsdk:"serial_number"`
	SecretKey         string       `tfsdk:"secret_key"`
	TimeInterval      int64        `tfsdk:"time_interval"`
	HashFunction      string       `tfsdk:"hash_function"`
	Manufacturer      types.String `tfsdk:"manufacturer"`
	Model             types.String `tfsdk:"model"`
}

var tokenCSVRowType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"user_principal_name": types.StringType,
	"serial_number":       types.StringType,
	"secret_key":          types.StringType,
	"time_interval":       types.Int64Type,
	"hash_function":       types.StringType,
	"manufacturer":        types.StringType,
	"model":               types.StringType,
}}

func (f *parseTokenCSVFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "parse_token_csv"
}

func (f *parseTokenCSVFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Parses a vendor's hardware token seed file",
		MarkdownDescription: "Parses the CSV seed file a hardware token vendor ships into a map keyed by serial number, " +
			"ready for `for_each`. Each value is an object with `user_principal_name`, `serial_number`, `secret_key` " +
			"(normalised Base32), `time_interval`, `hash_function` (`hmacsha1` or `hmacsha256`), `manufacturer` and `model`.\n\n" +
			"The file has a header row. The Entra admin center layout `upn,serial number,secret key,time interval,manufacturer,model` " +
			"is read as are its common variants: header names in any case with spaces, underscores or none " +
			"(`Serial_Number`, `timeinterval`, `secretkey`, `seed`, `period`), columns in any order, an optional " +
			"`hash`/`algorithm`/`hash function` column (`sha1`, `SHA-256`, `hmacsha256`...), semicolon- or tab-separated " +
			"files, a UTF-8 byte order mark, CRLF line ends, blank lines and quoted fields. Serial numbers stay text, " +
			"leading zeros included. Only `serial number` and `secret key` are required: a missing or empty time interval " +
			"means 30, a missing hash means `hmacsha1`, and a missing `upn`, `manufacturer` or `model` is null " +
			"(use `coalesce(each.value.model, \"...\")` for a default). Duplicate serial numbers are errors.\n\n" +
			"Other columns, such as the batch or order numbers and notes vendors add, are ignored, except a column that " +
			"looks like a token setting without being one of the names above (`time interval (s)`, `hash algo`, " +
			"`secret key (base64)`): that is an error, so a misspelt header never turns 60-second tokens into 30-second " +
			"ones. To see which columns a file has that are ignored, or to refuse them, pass `\"strict\"`: the error " +
			"lists every unknown column, e.g. in `terraform console`: " +
			"`provider::entraoath::parse_token_csv(sensitive(file(\"tokens.csv\")), \"strict\")`.\n\n" +
			"Seeds are read as Base32 unless the file or the call says they are hex: a header such as `secret key (hex)`, " +
			"`hex secret` or `seed_hex`, or the option `\"hex\"`. The provider never guesses the encoding.\n\n" +
			"The seeds are secrets. Read the file with `sensitive(file(\"tokens.csv\"))` so that Terraform keeps the " +
			"result sensitive; because a sensitive map cannot drive `for_each`, iterate over a map of what is not secret, " +
			"made once in a local, such as `nonsensitive({ for serial, t in local.tokens : serial => t.user_principal_name })`, " +
			"and look each token's seed up by key. " +
			"Errors name the line and column and never contain a seed.",
		Parameters: []function.Parameter{
			function.StringParameter{Name: "content", MarkdownDescription: "The file's content, e.g. `sensitive(file(\"tokens.csv\"))`."},
		},
		VariadicParameter: function.StringParameter{
			Name: "options",
			MarkdownDescription: "Optional, in any order: the seeds' encoding, at most once — `\"hex\"` when the file's seeds " +
				"are hex although its header does not say so, or `\"base32\"` (the default) — and `\"" + optionStrict + "\"` " +
				"to refuse unknown columns instead of ignoring them.",
			Validators: []function.StringParameterValidator{
				stringvalidator.OneOf(string(seedfile.EncodingBase32), string(seedfile.EncodingHex), optionStrict),
			},
		},
		Return: function.MapReturn{ElementType: tokenCSVRowType},
	}
}

func (f *parseTokenCSVFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var content string
	var options []string
	if resp.Error = req.Arguments.Get(ctx, &content, &options); resp.Error != nil {
		return
	}
	var opts seedfile.Options
	var encodings int
	for _, o := range options {
		if o == optionStrict {
			opts.Strict = true
			continue
		}
		opts.Encoding = seedfile.Encoding(o)
		encodings++
	}
	if encodings > 1 {
		resp.Error = function.NewArgumentFuncError(1, fmt.Sprintf("Give the seed encoding at most once; got %d values.", encodings))
		return
	}

	tokens, err := seedfile.Parse(content, opts)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, "The seed file cannot be read: "+err.Error())
		return
	}
	result := make(map[string]tokenCSVRow, len(tokens))
	for _, t := range tokens {
		result[t.SerialNumber] = tokenCSVRow{
			UserPrincipalName: nullIfEmpty(t.UserPrincipalName),
			SerialNumber:      t.SerialNumber,
			SecretKey:         t.SecretKey,
			TimeInterval:      t.TimeInterval,
			HashFunction:      t.HashFunction,
			Manufacturer:      nullIfEmpty(t.Manufacturer),
			Model:             nullIfEmpty(t.Model),
		}
	}
	resp.Error = resp.Result.Set(ctx, result)
}

func nullIfEmpty(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
