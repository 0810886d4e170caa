package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// federatedAudience is the audience Entra ID expects of the ID token in a federated credential exchange.
const federatedAudience = "api://AzureADTokenExchange"

// oidcMethod names OIDC in errors raised before the token source is known.
const oidcMethod Method = "OIDC"

// tokenRequestClient fetches ID tokens from CI token services; the timeout keeps a hung service from hanging a plan.
var tokenRequestClient = &http.Client{Timeout: time.Minute}

// oidc builds a federated credential: it exchanges an ID token from the first configured source for an Entra token.
func (o Options) oidc(r resolver, s Settings, use, tenant, client setting) (azcore.TokenCredential, Method, error) {
	token := r.str(s.OIDCToken, inOIDCToken)
	file := r.str(s.OIDCTokenFilePath, inOIDCTokenFilePath)
	conn := r.str(s.ADOServiceConnectionID, inADOServiceConnection)
	var m Method
	var from setting
	var assertion func(context.Context) (string, error)
	switch {
	case token.value != "":
		m, from = OIDCToken, token
		assertion = func(context.Context) (string, error) { return token.value, nil }
	case file.value != "":
		m, from, assertion = OIDCTokenFile, file, readTokenFile(file)
	case conn.value != "":
		c, err := o.azurePipelines(r, s, tenant, client, conn)
		return c, AzurePipelines, err
	default:
		reqURL, reqToken := r.str(s.OIDCRequestURL, inOIDCRequestURL), r.str(s.OIDCRequestToken, inOIDCRequestToken)
		switch {
		case reqURL.value == "" && reqToken.value == "":
			return nil, oidcMethod, &InputError{Method: oidcMethod, Attribute: inOIDCToken.attr, Detail: fmt.Sprintf(
				"%s is true but no ID token source is set. Set oidc_token (ARM_OIDC_TOKEN); or oidc_token_file_path "+
					"(ARM_OIDC_TOKEN_FILE_PATH, or TFC_WORKLOAD_IDENTITY_TOKEN_PATH from HCP Terraform dynamic credentials); or, in "+
					"Azure Pipelines, ado_pipeline_service_connection_id (ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID); or "+
					"oidc_request_url and oidc_request_token (ARM_OIDC_REQUEST_URL and ARM_OIDC_REQUEST_TOKEN; GitHub Actions sets "+
					"ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN when the job has `permissions: id-token: write`).",
				use.source)}
		case reqURL.value == "":
			return nil, OIDCTokenRequest, require(OIDCTokenRequest, reqToken, reqURL)
		case reqToken.value == "":
			return nil, OIDCTokenRequest, require(OIDCTokenRequest, reqURL, reqToken)
		}
		u, ok := httpURL(reqURL.value)
		if !ok || u.Scheme != "https" && !isLoopback(u.Hostname()) {
			return nil, OIDCTokenRequest, &InputError{Method: OIDCTokenRequest, Attribute: reqURL.attr,
				Detail: reqURL.source + " must be an absolute https:// URL (http:// only for a loopback host such as " +
					"localhost or 127.0.0.1): the request carries oidc_request_token as its bearer token."}
		}
		m, from, assertion = OIDCTokenRequest, reqURL, requestToken(u, reqToken.value)
	}
	if err := require(m, from, tenant, client); err != nil {
		return nil, m, err
	}
	c, err := azidentity.NewClientAssertionCredential(tenant.value, client.value, assertion,
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: o.clientOptions(), DisableInstanceDiscovery: o.DisableInstanceDiscovery})
	return c, m, err
}

// azurePipelines signs in through an Azure DevOps service connection that uses workload identity federation.
func (o Options) azurePipelines(r resolver, s Settings, tenant, client, conn setting) (azcore.TokenCredential, error) {
	access := r.str(s.OIDCRequestToken, inADOSystemAccessToken)
	if err := require(AzurePipelines, conn, tenant, client, access); err != nil {
		return nil, err
	}
	// azidentity reads the job's OIDC endpoint from this variable itself; name it before azidentity does it vaguely.
	if r.getenv("SYSTEM_OIDCREQUESTURI") == "" {
		return nil, &InputError{Method: AzurePipelines, Attribute: conn.attr, Detail: conn.source +
			" is set but SYSTEM_OIDCREQUESTURI is missing. Azure Pipelines sets it in every job; outside a pipeline, use another sign-in method."}
	}
	return azidentity.NewAzurePipelinesCredential(tenant.value, client.value, conn.value, access.value,
		&azidentity.AzurePipelinesCredentialOptions{ClientOptions: o.clientOptions(), DisableInstanceDiscovery: o.DisableInstanceDiscovery})
}

// readTokenFile reads the ID token at every sign-in: Kubernetes and HCP Terraform rotate the file.
func readTokenFile(file setting) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		b, err := os.ReadFile(file.value)
		if err != nil {
			return "", fmt.Errorf("reading the OIDC token file from %s: %w", file.source, err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("the OIDC token file %s (from %s) is empty", file.value, file.source)
		}
		return tok, nil
	}
}

// requestToken fetches an ID token for Entra ID from a CI token service, as GitHub Actions serves it: a GET with the
// request token as bearer, answering {"value": "<JWT>"}.
func requestToken(endpoint *url.URL, bearer string) func(context.Context) (string, error) {
	u := *endpoint
	q := u.Query()
	q.Set("audience", federatedAudience)
	u.RawQuery = q.Encode()
	return func(ctx context.Context) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", fmt.Errorf("requesting an OIDC token from %s: %w", u.Host, err)
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("Accept", "application/json")
		resp, err := tokenRequestClient.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the host below is enough; the full URL may carry run identifiers
			}
			return "", fmt.Errorf("requesting an OIDC token from %s: %w", u.Host, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("the OIDC token request to %s answered HTTP %d; check oidc_request_token "+
				"(in GitHub Actions the job needs `permissions: id-token: write`)", u.Host, resp.StatusCode)
		}
		var body struct {
			Value string `json:"value"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil || body.Value == "" {
			return "", fmt.Errorf("the OIDC token request to %s returned no token", u.Host)
		}
		return body.Value, nil
	}
}

// isLoopback reports whether host names this machine, where plain HTTP does not leave it.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// httpURL parses s as an absolute http or https URL.
func httpURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	return u, err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http")
}
