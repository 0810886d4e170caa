// Package provider implements the entraoath Terraform provider on terraform-plugin-framework.
package provider

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

var (
	_ provider.Provider                       = (*entraOATHProvider)(nil)
	_ provider.ProviderWithFunctions          = (*entraOATHProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*entraOATHProvider)(nil)
)

// New returns a provider factory for the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &entraOATHProvider{version: version} }
}

type entraOATHProvider struct {
	version string
}

type providerModel struct {
	TenantID      types.String `tfsdk:"tenant_id"`
	ClientID      types.String `tfsdk:"client_id"`
	ClientSecret  types.String `tfsdk:"client_secret"`
	Environment   types.String `tfsdk:"environment"`
	GraphEndpoint types.String `tfsdk:"graph_endpoint"`
	AuthorityHost types.String `tfsdk:"authority_host"`
	MaxRetries    types.Int64  `tfsdk:"max_retries"`
}

// providerData is handed to every resource, data source and ephemeral resource through Configure.
type providerData struct {
	client graph.API
}

// cloudEndpoints maps the environment names of the azuread/azurerm providers to their authority and Graph hosts.
var cloudEndpoints = map[string]struct{ authority, graph string }{
	"public":       {"https://login.microsoftonline.com/", "https://graph.microsoft.com"},
	"usgovernment": {"https://login.microsoftonline.us/", "https://graph.microsoft.us"},
	"china":        {"https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn"},
}

func (p *entraOATHProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "entraoath"
	resp.Version = p.version
}

func (p *entraOATHProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages hardware OATH (TOTP) tokens in Microsoft Entra ID through Microsoft Graph (beta).",
		Attributes: map[string]schema.Attribute{
			"tenant_id": schema.StringAttribute{
				MarkdownDescription: "The Entra ID tenant (directory) id. Can also be set with `ARM_TENANT_ID`.",
				Optional:            true,
			},
			"client_id": schema.StringAttribute{
				MarkdownDescription: "The application (client) id of the service principal. Can also be set with `ARM_CLIENT_ID`.",
				Optional:            true,
			},
			"client_secret": schema.StringAttribute{
				MarkdownDescription: "The client secret of the service principal. Can also be set with `ARM_CLIENT_SECRET`.",
				Optional:            true,
				Sensitive:           true,
			},
			"environment": schema.StringAttribute{
				MarkdownDescription: "The cloud: `public` (default), `usgovernment` or `china`. Can also be set with `ARM_ENVIRONMENT`. " +
					"Microsoft documents the hardware OATH APIs for the global service only.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf("public", "usgovernment", "china")},
			},
			"graph_endpoint": schema.StringAttribute{
				MarkdownDescription: "Overrides the Microsoft Graph root URL (HTTPS, without `/beta`), e.g. for a local emulator. " +
					"Can also be set with `ENTRAOATH_GRAPH_ENDPOINT`.",
				Optional: true,
			},
			"authority_host": schema.StringAttribute{
				MarkdownDescription: "Overrides the Entra ID authority host URL (HTTPS). Can also be set with `ENTRAOATH_AUTHORITY_HOST`.",
				Optional:            true,
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times a throttled (429) or unavailable (503, 504) Graph call is retried, " +
					"honouring `Retry-After`. Defaults to 3.",
				Optional: true,
			},
		},
	}
}

// stringSetting returns the configured value, else the environment variable, else def.
func stringSetting(v types.String, env, def string) string {
	if !v.IsNull() && !v.IsUnknown() && v.ValueString() != "" {
		return v.ValueString()
	}
	if e := os.Getenv(env); e != "" {
		return e
	}
	return def
}

func (p *entraOATHProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}

	env := stringSetting(cfg.Environment, "ARM_ENVIRONMENT", "public")
	endpoints, ok := cloudEndpoints[strings.ToLower(env)]
	if !ok {
		resp.Diagnostics.AddAttributeError(path.Root("environment"), "Invalid Environment",
			fmt.Sprintf("The environment %q (from configuration or ARM_ENVIRONMENT) is not one of public, usgovernment, china.", env))
		return
	}
	graphEndpoint := stringSetting(cfg.GraphEndpoint, "ENTRAOATH_GRAPH_ENDPOINT", endpoints.graph)
	authorityHost := stringSetting(cfg.AuthorityHost, "ENTRAOATH_AUTHORITY_HOST", endpoints.authority)
	for _, s := range []struct{ attr, env, value string }{
		{"graph_endpoint", "ENTRAOATH_GRAPH_ENDPOINT", graphEndpoint},
		{"authority_host", "ENTRAOATH_AUTHORITY_HOST", authorityHost},
	} {
		if u, err := url.Parse(s.value); err != nil || u.Scheme != "https" || u.Host == "" {
			resp.Diagnostics.AddAttributeError(path.Root(s.attr), "Invalid Endpoint URL",
				fmt.Sprintf("%s (or %s) must be an absolute https:// URL; got %q. Graph and Entra ID are only reachable over HTTPS.", s.attr, s.env, s.value))
		}
	}

	tenantID := stringSetting(cfg.TenantID, "ARM_TENANT_ID", "")
	clientID := stringSetting(cfg.ClientID, "ARM_CLIENT_ID", "")
	clientSecret := stringSetting(cfg.ClientSecret, "ARM_CLIENT_SECRET", "")
	for _, s := range []struct{ attr, env, value string }{
		{"tenant_id", "ARM_TENANT_ID", tenantID},
		{"client_id", "ARM_CLIENT_ID", clientID},
		{"client_secret", "ARM_CLIENT_SECRET", clientSecret},
	} {
		if s.value == "" {
			resp.Diagnostics.AddAttributeError(path.Root(s.attr), "Missing Provider Credential",
				fmt.Sprintf("The provider needs %s to sign in with a client secret. Set it in the provider block or in the %s environment variable.", s.attr, s.env))
		}
	}
	maxRetries := 3
	if !cfg.MaxRetries.IsNull() && !cfg.MaxRetries.IsUnknown() {
		maxRetries = int(cfg.MaxRetries.ValueInt64())
	}
	if resp.Diagnostics.HasError() {
		return
	}

	opts := &azidentity.ClientSecretCredentialOptions{}
	opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: authorityHost}
	// A custom authority has no public instance metadata; discovery would hang trying to reach the public cloud.
	opts.DisableInstanceDiscovery = authorityHost != endpoints.authority
	cred, err := azidentity.NewClientSecretCredential(tenantID, clientID, clientSecret, opts)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create Entra ID Credential",
			"The client secret credential could not be built: "+err.Error())
		return
	}
	p.configureClient(req, resp, cred, graphEndpoint, maxRetries)
}

func (p *entraOATHProvider) configureClient(req provider.ConfigureRequest, resp *provider.ConfigureResponse, cred azcore.TokenCredential, endpoint string, maxRetries int) {
	client, err := graph.New(graph.Config{
		Endpoint:   endpoint,
		Credential: cred,
		UserAgent:  fmt.Sprintf("terraform-provider-entraoath/%s terraform/%s", p.version, req.TerraformVersion),
		MaxRetries: maxRetries,
	})
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create Graph Client", err.Error())
		return
	}
	data := &providerData{client: client}
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.EphemeralResourceData = data
}

func (p *entraOATHProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewHardwareOATHPolicyResource,
		NewHardwareTokenResource,
		NewHardwareTokenAssignmentResource,
	}
}

func (p *entraOATHProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewHardwareTokenDataSource,
		NewHardwareTokensDataSource,
	}
}

func (p *entraOATHProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewTOTPCodeEphemeralResource,
	}
}

func (p *entraOATHProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewParseTokenCSVFunction,
		NewHexToBase32Function,
		NewTOTPCodeFunction,
		NewOTPAuthURIFunction,
	}
}
