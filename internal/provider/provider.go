// Package provider implements the entraoath Terraform provider on terraform-plugin-framework.
package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
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
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/entraoath/terraform-provider-entraoath/internal/credentials"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
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
	TenantID                  types.String `tfsdk:"tenant_id"`
	ClientID                  types.String `tfsdk:"client_id"`
	ClientSecret              types.String `tfsdk:"client_secret"`
	ClientCertificatePath     types.String `tfsdk:"client_certificate_path"`
	ClientCertificate         types.String `tfsdk:"client_certificate"`
	ClientCertificatePassword types.String `tfsdk:"client_certificate_password"`
	UseOIDC                   types.Bool   `tfsdk:"use_oidc"`
	OIDCToken                 types.String `tfsdk:"oidc_token"`
	OIDCTokenFilePath         types.String `tfsdk:"oidc_token_file_path"`
	OIDCRequestURL            types.String `tfsdk:"oidc_request_url"`
	OIDCRequestToken          types.String `tfsdk:"oidc_request_token"`
	ADOServiceConnectionID    types.String `tfsdk:"ado_pipeline_service_connection_id"`
	UseMSI                    types.Bool   `tfsdk:"use_msi"`
	MSIEndpoint               types.String `tfsdk:"msi_endpoint"`
	UseCLI                    types.Bool   `tfsdk:"use_cli"`
	Environment               types.String `tfsdk:"environment"`
	GraphEndpoint             types.String `tfsdk:"graph_endpoint"`
	AuthorityHost             types.String `tfsdk:"authority_host"`
	MaxRetries                types.Int64  `tfsdk:"max_retries"`
}

// providerData is handed to every resource, data source and ephemeral resource through Configure.
type providerData struct {
	client  graph.API
	engine  *lifecycle.Engine
	serials *serialClaims
	claims  *tokenClaims
}

// cloudEndpoints maps the environment names of the azuread/azurerm providers to their authority and Graph hosts.
var cloudEndpoints = map[string]struct{ authority, graph string }{
	"public":       {"https://login.microsoftonline.com/", "https://graph.microsoft.com"},
	"usgovernment": {"https://login.microsoftonline.us/", "https://graph.microsoft.us"},
	"china":        {"https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn"},
}

// signInPrecedence ends every sign-in error, so the user sees why a method was (or was not) chosen.
const signInPrecedence = "The provider signs in with the first method whose inputs are set: client certificate " +
	"(client_certificate_path or client_certificate), client secret (client_secret), OIDC (use_oidc = true), " +
	"managed identity (use_msi = true), Azure CLI (use_cli, true by default). Each argument can also come from its ARM_* environment variable."

func (p *entraOATHProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "entraoath"
	resp.Version = p.version
}

func (p *entraOATHProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages hardware OATH (TOTP) tokens in Microsoft Entra ID through Microsoft Graph (beta).\n\n" +
			"## Signing in\n\n" +
			"The provider signs in to Microsoft Entra ID as an application, with the arguments and `ARM_*` environment " +
			"variables of the `azuread` and `azurerm` providers. An argument in the provider block wins over its environment " +
			"variable. Exactly one sign-in method is used: the first of these whose inputs are set.\n\n" +
			"1. **Client certificate**: `client_certificate_path` or `client_certificate` (with `client_certificate_password` " +
			"for a protected PFX), plus `tenant_id` and `client_id`.\n" +
			"2. **Client secret**: `client_secret`, plus `tenant_id` and `client_id`.\n" +
			"3. **OIDC (workload identity federation)**: `use_oidc = true`, plus `tenant_id` and `client_id`. The ID token " +
			"comes from the first of `oidc_token`; `oidc_token_file_path` (or HCP Terraform dynamic credentials' " +
			"`TFC_WORKLOAD_IDENTITY_TOKEN_PATH`); the Azure DevOps service connection `ado_pipeline_service_connection_id`; " +
			"the token service at `oidc_request_url` with `oidc_request_token` (GitHub Actions provides both).\n" +
			"4. **Managed identity**: `use_msi = true`; `client_id` selects a user-assigned identity.\n" +
			"5. **Azure CLI**: `use_cli` (true by default): the account of `az login`, in `tenant_id` when set.\n\n" +
			"The provider signs in when Terraform configures it, so a missing or wrong input fails the plan with an error " +
			"naming the method and the input. Debug logs (`TF_LOG_PROVIDER=DEBUG`) record each Graph call's method, path " +
			"template, status, request-id and duration, never bodies or secrets. `TF_LOG_SDK_PROTO_DATA_DIR`, however, makes " +
			"the plugin SDK write every protocol message to disk, configurations with seeds and secrets included: the " +
			"provider warns when it is set.\n\n" +
			"`graph_endpoint` and `authority_host` may name hosts outside the chosen cloud only when `" +
			allowCustomEndpointsEnv + "=true` is set in the provider's environment, never from the configuration; " +
			"the provider then warns at every plan and apply.",
		Attributes: map[string]schema.Attribute{
			"tenant_id": schema.StringAttribute{
				MarkdownDescription: "The Entra ID tenant (directory) id. Required for certificate, secret and OIDC sign-in; " +
					"with the Azure CLI, picks the tenant to get a token for. Can also be set with `ARM_TENANT_ID`.",
				Optional: true,
			},
			"client_id": schema.StringAttribute{
				MarkdownDescription: "The application (client) id of the app registration. Required for certificate, secret " +
					"and OIDC sign-in; with managed identity, selects a user-assigned identity (leave it out for the " +
					"system-assigned one). Can also be set with `ARM_CLIENT_ID`.",
				Optional: true,
			},
			"client_secret": schema.StringAttribute{
				MarkdownDescription: "A client secret of the app registration: signs in with the client secret method unless " +
					"a client certificate is set. Can also be set with `ARM_CLIENT_SECRET`, which keeps it out of the code.",
				Optional:  true,
				Sensitive: true,
			},
			"client_certificate_path": schema.StringAttribute{
				MarkdownDescription: "Path to a PKCS#12 (`.pfx`) or PEM file holding the app registration's certificate and " +
					"private key: signs in with the client certificate method, which takes precedence over every other. " +
					"PFX files must use SHA-1 integrity protection (e.g. `openssl pkcs12 -export -macalg sha1 " +
					"-certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES`); PEM private keys must be unencrypted. " +
					"Conflicts with `client_certificate`. Can also be set with `ARM_CLIENT_CERTIFICATE_PATH`.",
				Optional: true,
			},
			"client_certificate": schema.StringAttribute{
				MarkdownDescription: "The Base64 encoding of a PKCS#12 (`.pfx`) or PEM file, as an alternative to " +
					"`client_certificate_path` (e.g. from a secret store). Can also be set with `ARM_CLIENT_CERTIFICATE`.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{stringvalidator.ConflictsWith(path.MatchRoot("client_certificate_path"))},
			},
			"client_certificate_password": schema.StringAttribute{
				MarkdownDescription: "The password of the PKCS#12 file in `client_certificate_path` or `client_certificate`. " +
					"Can also be set with `ARM_CLIENT_CERTIFICATE_PASSWORD`.",
				Optional:  true,
				Sensitive: true,
			},
			"use_oidc": schema.BoolAttribute{
				MarkdownDescription: "Sign in with OIDC (workload identity federation): an ID token from a CI system or " +
					"platform is exchanged for an Entra token, through a federated credential on the app registration " +
					"(audience `api://AzureADTokenExchange`). Used when no client certificate or secret is set. " +
					"Can also be set with `ARM_USE_OIDC`. Defaults to false.",
				Optional: true,
			},
			"oidc_token": schema.StringAttribute{
				MarkdownDescription: "An ID token to exchange, for OIDC sign-in. Can also be set with `ARM_OIDC_TOKEN`.",
				Optional:            true,
				Sensitive:           true,
			},
			"oidc_token_file_path": schema.StringAttribute{
				MarkdownDescription: "A file holding the ID token to exchange, for OIDC sign-in; read at every sign-in, so " +
					"platforms may rotate it. Can also be set with `ARM_OIDC_TOKEN_FILE_PATH`, or comes from HCP Terraform " +
					"dynamic provider credentials through `TFC_WORKLOAD_IDENTITY_TOKEN_PATH`.",
				Optional: true,
			},
			"oidc_request_url": schema.StringAttribute{
				MarkdownDescription: "The URL of a token service that issues the ID token for OIDC sign-in, called with " +
					"`oidc_request_token` as bearer token and `audience=api://AzureADTokenExchange`; it must be `https://` " +
					"(`http://` only for a loopback host such as `localhost`). Can also be set with " +
					"`ARM_OIDC_REQUEST_URL`; in GitHub Actions it defaults to `ACTIONS_ID_TOKEN_REQUEST_URL`, which jobs " +
					"with `permissions: id-token: write` get.",
				Optional: true,
			},
			"oidc_request_token": schema.StringAttribute{
				MarkdownDescription: "The bearer token for `oidc_request_url`, or the Azure DevOps system access token with " +
					"`ado_pipeline_service_connection_id`. Can also be set with `ARM_OIDC_REQUEST_TOKEN`; defaults to " +
					"`ACTIONS_ID_TOKEN_REQUEST_TOKEN` in GitHub Actions and to `SYSTEM_ACCESSTOKEN` in Azure Pipelines " +
					"(map `$(System.AccessToken)` into the step's environment).",
				Optional:  true,
				Sensitive: true,
			},
			"ado_pipeline_service_connection_id": schema.StringAttribute{
				MarkdownDescription: "The id of an Azure DevOps service connection that uses workload identity federation, " +
					"for OIDC sign-in in Azure Pipelines (the pipeline supplies `SYSTEM_OIDCREQUESTURI`). Can also be set with " +
					"`ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID` or `ARM_OIDC_AZURE_SERVICE_CONNECTION_ID`.",
				Optional: true,
			},
			"use_msi": schema.BoolAttribute{
				MarkdownDescription: "Sign in as the managed identity of the Azure host Terraform runs on (VM, App Service, " +
					"Container Apps, AKS node). Used when no client certificate or secret is set and `use_oidc` is not true. " +
					"Can also be set with `ARM_USE_MSI`. Defaults to false.",
				Optional: true,
			},
			"msi_endpoint": schema.StringAttribute{
				MarkdownDescription: "A managed identity token endpoint to use instead of the Azure Instance Metadata Service " +
					"(`http://169.254.169.254/metadata/identity/oauth2/token`). Rarely needed: hosts that have their own " +
					"endpoint (App Service, Cloud Shell, Arc) announce it in the environment, which wins. Can also be set " +
					"with `ARM_MSI_ENDPOINT`.",
				Optional: true,
			},
			"use_cli": schema.BoolAttribute{
				MarkdownDescription: "Sign in as the account logged in to the Azure CLI (`az login`), the last resort when " +
					"no other method is configured. `authority_host` and `environment` don't apply: the CLI uses its own " +
					"cloud (`az cloud set`). Can also be set with `ARM_USE_CLI`. Defaults to true.",
				Optional: true,
			},
			"environment": schema.StringAttribute{
				MarkdownDescription: "The cloud: `public` (default), `usgovernment` or `china`. Can also be set with `ARM_ENVIRONMENT`. " +
					"Microsoft documents the token inventory and user-method APIs (the token and assignment resources and the " +
					"data sources) for the global service only; in `usgovernment` and `china` the provider warns at " +
					"configuration and names the cloud when Graph refuses such a call. The policy resource is documented in " +
					"every cloud.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf("public", "usgovernment", "china")},
			},
			"graph_endpoint": schema.StringAttribute{
				MarkdownDescription: "Overrides the Microsoft Graph root URL (HTTPS, without `/beta`), e.g. for a local emulator. " +
					"Can also be set with `ENTRAOATH_GRAPH_ENDPOINT`. A host other than the cloud's Graph is used only when " +
					"`" + allowCustomEndpointsEnv + "=true` is set in the provider's environment (see " +
					"[Custom endpoints](#custom-endpoints)); the provider then requests its token for that host " +
					"(`https://<host>/.default`).",
				Optional: true,
			},
			"authority_host": schema.StringAttribute{
				MarkdownDescription: "Overrides the Entra ID authority host URL (HTTPS) for certificate, secret and OIDC sign-in. " +
					"Can also be set with `ENTRAOATH_AUTHORITY_HOST`. A host other than the cloud's authority is used only " +
					"when `" + allowCustomEndpointsEnv + "=true` is set in the provider's environment (see " +
					"[Custom endpoints](#custom-endpoints)).",
				Optional: true,
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times a Graph read that failed with a server error (500, 502, 504, or 503 " +
					"without `Retry-After`) or a lost connection is retried; `0` means none. Defaults to 3. Throttling " +
					"(429, and 503 with `Retry-After` on a read) is always waited out, honouring `Retry-After`, until the " +
					"operation's timeout, whatever this says. A write is never sent again blindly: after an answer that " +
					"is not a success, the provider reads the token to see whether the write was applied.",
				Optional: true,
			},
		},
	}
}

// configured returns the value set in the provider block, or "" when it is null or not yet known.
func configured(v types.String) string {
	if v.IsNull() || v.IsUnknown() {
		return ""
	}
	return v.ValueString()
}

// configuredBool returns the value set in the provider block, or nil when it is null or not yet known.
func configuredBool(v types.Bool) *bool {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	b := v.ValueBool()
	return &b
}

// stringSetting returns the configured value, else the environment variable, else def.
func stringSetting(v types.String, env, def string) string {
	if s := configured(v); s != "" {
		return s
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

	env := strings.ToLower(stringSetting(cfg.Environment, "ARM_ENVIRONMENT", "public"))
	endpoints, ok := cloudEndpoints[env]
	if !ok {
		resp.Diagnostics.AddAttributeError(path.Root("environment"), "Invalid Environment",
			fmt.Sprintf("The environment %q (from configuration or ARM_ENVIRONMENT) is not one of public, usgovernment, china.", env))
		return
	}
	graphEndpoint := endpointSetting(cfg.GraphEndpoint, "graph_endpoint", "ENTRAOATH_GRAPH_ENDPOINT", endpoints.graph)
	authorityHost := endpointSetting(cfg.AuthorityHost, "authority_host", "ENTRAOATH_AUTHORITY_HOST", endpoints.authority)
	for _, e := range []endpoint{graphEndpoint, authorityHost} {
		e.check(env, &resp.Diagnostics)
	}
	warnEnvironment(env, &resp.Diagnostics)
	warnProtoDump(&resp.Diagnostics)
	maxRetries := 3
	if !cfg.MaxRetries.IsNull() && !cfg.MaxRetries.IsUnknown() {
		maxRetries = int(cfg.MaxRetries.ValueInt64())
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// The token is for the Graph host actually called: a token for Microsoft Graph never goes to another host.
	scope := "https://" + graphEndpoint.url.Host + "/.default"

	cred, method, err := credentials.New(credentials.Settings{
		TenantID:                  configured(cfg.TenantID),
		ClientID:                  configured(cfg.ClientID),
		ClientSecret:              configured(cfg.ClientSecret),
		ClientCertificatePath:     configured(cfg.ClientCertificatePath),
		ClientCertificate:         configured(cfg.ClientCertificate),
		ClientCertificatePassword: configured(cfg.ClientCertificatePassword),
		UseOIDC:                   configuredBool(cfg.UseOIDC),
		OIDCToken:                 configured(cfg.OIDCToken),
		OIDCTokenFilePath:         configured(cfg.OIDCTokenFilePath),
		OIDCRequestURL:            configured(cfg.OIDCRequestURL),
		OIDCRequestToken:          configured(cfg.OIDCRequestToken),
		ADOServiceConnectionID:    configured(cfg.ADOServiceConnectionID),
		UseMSI:                    configuredBool(cfg.UseMSI),
		MSIEndpoint:               configured(cfg.MSIEndpoint),
		UseCLI:                    configuredBool(cfg.UseCLI),
	}, credentials.Options{
		AuthorityHost: authorityHost.value,
		// A custom authority has no public instance metadata; discovery would hang trying to reach the public cloud.
		DisableInstanceDiscovery: authorityHost.value != endpoints.authority,
	})
	var inputErr *credentials.InputError
	switch {
	case errors.As(err, &inputErr):
		resp.Diagnostics.AddAttributeError(path.Root(inputErr.Attribute), "Invalid Provider Sign-In Settings",
			inputErr.Error()+"\n\n"+signInPrecedence)
		return
	case err != nil:
		resp.Diagnostics.AddError("Unable to Create Entra ID Credential",
			fmt.Sprintf("The %s credential could not be built: %s\n\n%s", method, err, signInPrecedence))
		return
	}

	// Signing in now turns a wrong input into one clear error here, instead of one per resource; the token is
	// cached by the credential for the Graph calls that follow.
	tflog.Info(ctx, "Signing in to Microsoft Entra ID", map[string]any{"method": string(method)})
	if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}}); err != nil {
		resp.Diagnostics.AddError("Unable to Sign In to Microsoft Entra ID",
			fmt.Sprintf("Signing in with %s got no token for Microsoft Graph:\n\n%s\n\n%s", method, err, signInPrecedence))
		return
	}
	p.configureClient(req, resp, graph.Config{
		Endpoint:   graphEndpoint.value,
		Credential: cred,
		Scope:      scope,
		MaxRetries: maxRetries,
		Cloud:      sovereignCloud(env),
	})
}

func (p *entraOATHProvider) configureClient(req provider.ConfigureRequest, resp *provider.ConfigureResponse, cfg graph.Config) {
	cfg.UserAgent = fmt.Sprintf("terraform-provider-entraoath/%s terraform/%s", p.version, req.TerraformVersion)
	cfg.Logger = logGraphRequest
	client, err := graph.New(cfg)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Create Graph Client", err.Error())
		return
	}
	var api graph.API = client
	// One paged inventory listing answers every read of this command; `make bench` compares with it switched off.
	if os.Getenv("ENTRAOATH_SHARED_READS") != "false" {
		api = graph.NewSharedReads(client)
	}
	data := &providerData{client: api, engine: newEngine(), serials: &serialClaims{}, claims: &tokenClaims{}}
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.EphemeralResourceData = data
}

// logGraphRequest records one Graph HTTP attempt at debug level. graph.RequestLog carries no bodies, headers,
// object ids or UPNs, so nothing secret or personal reaches the log.
func logGraphRequest(ctx context.Context, e graph.RequestLog) {
	tflog.Debug(ctx, "Microsoft Graph request", map[string]any{
		"method":        e.Method,
		"path_template": e.PathTemplate,
		"attempt":       e.Attempt,
		"status":        e.Status,
		"request_id":    e.RequestID,
		"duration_ms":   e.Duration.Milliseconds(),
	})
}

func (p *entraOATHProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewHardwareOATHPolicyResource,
		NewHardwareTokenResource,
		NewHardwareTokenAssignmentResource,
		NewHardwareTokenFleetResource,
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
