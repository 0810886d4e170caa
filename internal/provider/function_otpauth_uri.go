package provider

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

var _ function.Function = (*otpauthURIFunction)(nil)

// NewOTPAuthURIFunction returns the otpauth_uri function.
func NewOTPAuthURIFunction() function.Function { return &otpauthURIFunction{} }

type otpauthURIFunction struct{}

func (f *otpauthURIFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "otpauth_uri"
}

func (f *otpauthURIFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Builds an otpauth:// URI for programming a token",
		MarkdownDescription: "Builds the Key URI (`otpauth://totp/<issuer>:<serial_number>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30`) " +
			"that authenticator apps and the burner apps of programmable hardware tokens read, usually as a QR code.\n\n" +
			"Programmable tokens: generate a seed with `random_bytes` (hashicorp/random >= 3.6), convert it with " +
			"`provider::entraoath::hex_to_base32(random_bytes.seed.hex)`, give the same seed to the hardware token " +
			"resource, and burn this URI into the token. The URI contains the seed: pass a sensitive seed so that " +
			"Terraform keeps the URI sensitive, and do not output it in clear text.",
		Parameters: []function.Parameter{
			secretKeyParameter(),
			function.StringParameter{Name: "serial_number", MarkdownDescription: "The token's serial number; the account name in the URI's label."},
			function.StringParameter{Name: "issuer", MarkdownDescription: "The issuer shown by the app, e.g. the organisation's name. It must not contain a colon."},
			timeIntervalParameter(),
			hashFunctionParameter(),
		},
		Return: function.StringReturn{},
	}
}

// otpauthAlgorithms are the Key URI spellings of Graph's hash functions.
var otpauthAlgorithms = map[string]string{totp.HashSHA1: "SHA1", totp.HashSHA256: "SHA256"}

func (f *otpauthURIFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var secret, serial, issuer, hash string
	var period int64
	if resp.Error = req.Arguments.Get(ctx, &secret, &serial, &issuer, &period, &hash); resp.Error != nil {
		return
	}
	seed, err := totp.NormalizeBase32(secret)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, err.Error())
		return
	}
	if serial == "" {
		resp.Error = function.NewArgumentFuncError(1, "The serial number is empty; it names the token in authenticator apps.")
		return
	}
	// The label is "issuer:account"; apps split it at the first colon.
	if issuer == "" || strings.Contains(issuer, ":") {
		resp.Error = function.NewArgumentFuncError(2, fmt.Sprintf("The issuer %q must be non-empty and contain no colon (\":\").", issuer))
		return
	}
	// The parameters are written in the order of the Key URI format's examples; url.Values would sort them.
	uri := fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=%s&digits=6&period=%d",
		url.PathEscape(issuer), url.PathEscape(serial), seed, queryEscape(issuer), otpauthAlgorithms[hash], period)
	resp.Error = resp.Result.Set(ctx, uri)
}

// queryEscape escapes a query value with %20 for spaces, as the Key URI format asks; '+' would be shown literally
// by some apps.
func queryEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
