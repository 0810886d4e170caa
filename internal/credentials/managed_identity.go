package credentials

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// imdsHost is the Azure Instance Metadata Service, where azidentity asks for managed identity tokens on VMs.
const imdsHost = "169.254.169.254"

// managedIdentity signs in as the host's managed identity: the user-assigned one named by client_id, else the
// system-assigned one. App Service, Functions, Cloud Shell and Arc announce their own endpoint in the environment
// (IDENTITY_ENDPOINT, MSI_ENDPOINT), which azidentity prefers; msi_endpoint replaces the IMDS address otherwise.
func managedIdentity(client, endpoint setting) (azcore.TokenCredential, error) {
	opts := &azidentity.ManagedIdentityCredentialOptions{}
	if client.value != "" {
		opts.ID = azidentity.ClientID(client.value)
	}
	if endpoint.value != "" {
		u, ok := httpURL(endpoint.value)
		if !ok {
			return nil, &InputError{Method: ManagedIdentity, Attribute: endpoint.attr, Detail: fmt.Sprintf(
				"%s must be the absolute http(s) URL of a managed identity token endpoint, got %q.", endpoint.source, endpoint.value)}
		}
		opts.Transport = imdsRedirect{to: u, next: &http.Client{}}
	}
	return azidentity.NewManagedIdentityCredential(opts)
}

// imdsRedirect sends the token requests azidentity addresses to IMDS to msi_endpoint instead, keeping their query
// (api-version, resource, client_id): azidentity has no option for the IMDS address.
type imdsRedirect struct {
	to   *url.URL
	next policy.Transporter
}

func (t imdsRedirect) Do(req *http.Request) (*http.Response, error) {
	if req.URL.Hostname() == imdsHost {
		req = req.Clone(req.Context())
		u := *t.to
		u.RawQuery = strings.Trim(t.to.RawQuery+"&"+req.URL.RawQuery, "&")
		req.URL, req.Host = &u, u.Host
	}
	return t.next.Do(req)
}
