// Package credentials turns the provider's sign-in settings into one azidentity credential, choosing the sign-in
// method the way the azuread and azurerm providers do. The first method whose inputs are present wins:
//
//  1. client certificate: client_certificate_path or client_certificate is set;
//  2. client secret: client_secret is set;
//  3. OIDC (workload identity federation): use_oidc is true; the ID token comes from oidc_token, else
//     oidc_token_file_path, else an Azure DevOps service connection, else oidc_request_url/oidc_request_token;
//  4. managed identity: use_msi is true;
//  5. Azure CLI: use_cli is true (the default).
//
// Every setting falls back to its ARM_* environment variable when the provider block leaves it out.
package credentials

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Method names the sign-in method New chose; it appears in logs and error messages.
type Method string

// The sign-in methods, in precedence order.
const (
	ClientCertificate Method = "client certificate"
	ClientSecret      Method = "client secret"
	OIDCToken         Method = "OIDC token"
	OIDCTokenFile     Method = "OIDC token file"
	AzurePipelines    Method = "OIDC via Azure DevOps service connection"
	OIDCTokenRequest  Method = "OIDC token request"
	ManagedIdentity   Method = "managed identity"
	AzureCLI          Method = "Azure CLI"
)

// Settings are the sign-in inputs of the provider block. Empty strings and nil booleans are unset: they fall back
// to the environment variables named in each comment, in order.
type Settings struct {
	TenantID                  string // ARM_TENANT_ID
	ClientID                  string // ARM_CLIENT_ID
	ClientSecret              string // ARM_CLIENT_SECRET
	ClientCertificatePath     string // ARM_CLIENT_CERTIFICATE_PATH
	ClientCertificate         string // ARM_CLIENT_CERTIFICATE: Base64 of a PKCS#12 (PFX) or PEM file
	ClientCertificatePassword string // ARM_CLIENT_CERTIFICATE_PASSWORD
	UseOIDC                   *bool  // ARM_USE_OIDC
	OIDCToken                 string // ARM_OIDC_TOKEN
	OIDCTokenFilePath         string // ARM_OIDC_TOKEN_FILE_PATH, TFC_WORKLOAD_IDENTITY_TOKEN_PATH
	OIDCRequestURL            string // ARM_OIDC_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_URL
	OIDCRequestToken          string // ARM_OIDC_REQUEST_TOKEN, then ACTIONS_ID_TOKEN_REQUEST_TOKEN or, for Azure DevOps, SYSTEM_ACCESSTOKEN
	ADOServiceConnectionID    string // ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID, ARM_OIDC_AZURE_SERVICE_CONNECTION_ID
	UseMSI                    *bool  // ARM_USE_MSI
	MSIEndpoint               string // ARM_MSI_ENDPOINT
	UseCLI                    *bool  // ARM_USE_CLI; default true
}

// Options are the cloud settings every Entra ID sign-in shares.
type Options struct {
	// AuthorityHost is the Entra ID authority, e.g. https://login.microsoftonline.com/; empty means azidentity's default.
	AuthorityHost string
	// DisableInstanceDiscovery must be set for an authority without public instance metadata (a sovereign or
	// private cloud, an emulator): discovery would try to reach the public cloud.
	DisableInstanceDiscovery bool
	// Getenv reads the environment; nil means os.Getenv. Tests inject a map.
	Getenv func(string) string
}

// InputError is a sign-in input that is missing or unusable for the method the settings point to. Attribute is
// the provider attribute to fix. It never contains a secret.
type InputError struct {
	Method    Method // empty when no method could be chosen
	Attribute string
	Detail    string
}

func (e *InputError) Error() string {
	if e.Method == "" {
		return e.Detail
	}
	return fmt.Sprintf("Signing in with %s: %s", e.Method, e.Detail)
}

// input is one setting: its provider attribute and the environment variables it falls back to, in order.
type input struct {
	attr string
	envs []string
}

// hint tells the user where the input can be set.
func (in input) hint() string {
	return "set " + in.attr + " or " + strings.Join(in.envs, " or ")
}

var (
	inTenantID             = input{"tenant_id", []string{"ARM_TENANT_ID"}}
	inClientID             = input{"client_id", []string{"ARM_CLIENT_ID"}}
	inClientSecret         = input{"client_secret", []string{"ARM_CLIENT_SECRET"}}
	inCertificatePath      = input{"client_certificate_path", []string{"ARM_CLIENT_CERTIFICATE_PATH"}}
	inCertificate          = input{"client_certificate", []string{"ARM_CLIENT_CERTIFICATE"}}
	inCertificatePassword  = input{"client_certificate_password", []string{"ARM_CLIENT_CERTIFICATE_PASSWORD"}}
	inUseOIDC              = input{"use_oidc", []string{"ARM_USE_OIDC"}}
	inOIDCToken            = input{"oidc_token", []string{"ARM_OIDC_TOKEN"}}
	inOIDCTokenFilePath    = input{"oidc_token_file_path", []string{"ARM_OIDC_TOKEN_FILE_PATH", "TFC_WORKLOAD_IDENTITY_TOKEN_PATH"}}
	inOIDCRequestURL       = input{"oidc_request_url", []string{"ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"}}
	inOIDCRequestToken     = input{"oidc_request_token", []string{"ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}}
	inADOSystemAccessToken = input{"oidc_request_token", []string{"ARM_OIDC_REQUEST_TOKEN", "SYSTEM_ACCESSTOKEN"}}
	inADOServiceConnection = input{"ado_pipeline_service_connection_id", []string{"ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID"}}
	inUseMSI               = input{"use_msi", []string{"ARM_USE_MSI"}}
	inMSIEndpoint          = input{"msi_endpoint", []string{"ARM_MSI_ENDPOINT"}}
	inUseCLI               = input{"use_cli", []string{"ARM_USE_CLI"}}
)

// setting is a resolved input: its value and where it came from (the attribute or an environment variable).
type setting struct {
	input
	value, source string
}

type resolver struct{ getenv func(string) string }

// str returns the configured value, else the first non-empty environment variable of in.
func (r resolver) str(configured string, in input) setting {
	if configured != "" {
		return setting{in, configured, in.attr}
	}
	for _, env := range in.envs {
		if v := r.getenv(env); v != "" {
			return setting{in, v, env}
		}
	}
	return setting{input: in}
}

// flag returns the configured boolean, else the environment variable's, else def, as a setting that reads "true"
// when on.
func (r resolver) flag(configured *bool, in input, def bool) (setting, error) {
	on, source := def, "the default"
	if configured != nil {
		on, source = *configured, in.attr
	} else if s := r.str("", in); s.value != "" {
		b, err := strconv.ParseBool(s.value)
		if err != nil {
			return setting{input: in}, &InputError{Attribute: in.attr, Detail: fmt.Sprintf("%s must be true or false, got %q.", s.source, s.value)}
		}
		on, source = b, s.source
	}
	if !on {
		return setting{input: in, source: source}, nil
	}
	return setting{in, "true", source}, nil
}

// require reports, for method m chosen because trigger is set, the required settings that are unset.
func require(m Method, trigger setting, required ...setting) error {
	var names, hints []string
	var first string
	for _, s := range required {
		if s.value == "" {
			if first == "" {
				first = s.attr
			}
			names = append(names, s.attr)
			hints = append(hints, s.hint())
		}
	}
	if len(names) == 0 {
		return nil
	}
	verb := "is"
	if len(names) > 1 {
		verb = "are"
	}
	return &InputError{Method: m, Attribute: first, Detail: fmt.Sprintf("%s is set but %s %s missing (%s).",
		trigger.source, strings.Join(names, " and "), verb, strings.Join(hints, "; "))}
}

// New chooses the sign-in method for s and builds its credential. It contacts nothing: the first GetToken signs in.
func New(s Settings, o Options) (azcore.TokenCredential, Method, error) {
	r := resolver{getenv: o.Getenv}
	if r.getenv == nil {
		r.getenv = os.Getenv
	}
	tenant, client := r.str(s.TenantID, inTenantID), r.str(s.ClientID, inClientID)

	certPath, cert := r.str(s.ClientCertificatePath, inCertificatePath), r.str(s.ClientCertificate, inCertificate)
	if certPath.value != "" || cert.value != "" {
		c, err := o.certificate(tenant, client, certPath, cert, r.str(s.ClientCertificatePassword, inCertificatePassword))
		return c, ClientCertificate, err
	}

	if secret := r.str(s.ClientSecret, inClientSecret); secret.value != "" {
		if err := require(ClientSecret, secret, tenant, client); err != nil {
			return nil, ClientSecret, err
		}
		c, err := azidentity.NewClientSecretCredential(tenant.value, client.value, secret.value,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: o.clientOptions(), DisableInstanceDiscovery: o.DisableInstanceDiscovery})
		return c, ClientSecret, err
	}

	useOIDC, err := r.flag(s.UseOIDC, inUseOIDC, false)
	if err != nil {
		return nil, "", err
	}
	if useOIDC.value != "" {
		return o.oidc(r, s, useOIDC, tenant, client)
	}

	useMSI, err := r.flag(s.UseMSI, inUseMSI, false)
	if err != nil {
		return nil, "", err
	}
	if useMSI.value != "" {
		c, err := managedIdentity(client, r.str(s.MSIEndpoint, inMSIEndpoint))
		return c, ManagedIdentity, err
	}

	useCLI, err := r.flag(s.UseCLI, inUseCLI, true)
	if err != nil {
		return nil, "", err
	}
	if useCLI.value != "" {
		// The CLI signs in to the tenant of `az login` unless told otherwise; the client id is the CLI's own.
		c, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: tenant.value})
		return c, AzureCLI, err
	}
	return nil, "", &InputError{Attribute: inUseCLI.attr, Detail: "No sign-in method is enabled: none of client_certificate_path, " +
		"client_certificate or client_secret is set, use_oidc and use_msi are not true, and use_cli is false. " +
		"Configure one of these methods (in the provider block or its ARM_* environment variable), or set use_cli = true " +
		"to sign in as the Azure CLI's logged-in account."}
}

// clientOptions points the Entra ID credentials at the configured authority.
func (o Options) clientOptions() azcore.ClientOptions {
	if o.AuthorityHost == "" {
		return azcore.ClientOptions{}
	}
	return azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: o.AuthorityHost}}
}
