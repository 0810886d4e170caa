package credentials

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

const (
	tenant = "00000000-0000-4000-8000-000000000001"
	client = "00000000-0000-4000-8000-000000000002"
	secret = "s3cr3t-value"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func ptr(b bool) *bool { return &b }

// testPEM is a self-signed certificate with its unencrypted key, written to a file.
func testPEM(t *testing.T) (data []byte, file string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	data = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	file = filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return data, file
}

func TestNewPrecedence(t *testing.T) {
	// azidentity reads the pipeline's OIDC endpoint from the real environment, not from Options.Getenv.
	t.Setenv("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/x")
	_, certFile := testPEM(t)
	ids := map[string]string{"ARM_TENANT_ID": tenant, "ARM_CLIENT_ID": client}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range ids {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		s    Settings
		env  map[string]string
		want Method
	}{
		{"certificate beats secret", Settings{ClientCertificatePath: certFile, ClientSecret: secret}, ids, ClientCertificate},
		{"certificate from env", Settings{}, with(map[string]string{"ARM_CLIENT_CERTIFICATE_PATH": certFile, "ARM_CLIENT_SECRET": secret}), ClientCertificate},
		{"secret beats OIDC", Settings{ClientSecret: secret, UseOIDC: ptr(true), OIDCToken: "jwt"}, ids, ClientSecret},
		{"secret from env", Settings{}, with(map[string]string{"ARM_CLIENT_SECRET": secret}), ClientSecret},
		{"OIDC beats managed identity", Settings{UseOIDC: ptr(true), OIDCToken: "jwt", UseMSI: ptr(true)}, ids, OIDCToken},
		{"OIDC token beats token file", Settings{UseOIDC: ptr(true), OIDCToken: "jwt", OIDCTokenFilePath: "/nonexistent"}, ids, OIDCToken},
		{"token file beats service connection", Settings{UseOIDC: ptr(true), OIDCTokenFilePath: "/nonexistent", ADOServiceConnectionID: "conn"}, ids, OIDCTokenFile},
		{"HCP Terraform token file", Settings{}, with(map[string]string{"ARM_USE_OIDC": "true", "TFC_WORKLOAD_IDENTITY_TOKEN_PATH": "/run/token"}), OIDCTokenFile},
		{"service connection beats request URL", Settings{UseOIDC: ptr(true), ADOServiceConnectionID: "conn"},
			with(map[string]string{"SYSTEM_ACCESSTOKEN": "t", "SYSTEM_OIDCREQUESTURI": "https://dev.azure.com/x", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://a", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}),
			AzurePipelines},
		{"GitHub Actions", Settings{UseOIDC: ptr(true)},
			with(map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://a.example/idtoken?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}), OIDCTokenRequest},
		{"OIDC ignored unless use_oidc", Settings{OIDCToken: "jwt"}, ids, AzureCLI},
		{"managed identity beats CLI", Settings{UseMSI: ptr(true), UseCLI: ptr(true)}, ids, ManagedIdentity},
		{"managed identity from env", Settings{}, map[string]string{"ARM_USE_MSI": "1"}, ManagedIdentity},
		{"configured false beats env true", Settings{UseMSI: ptr(false)}, map[string]string{"ARM_USE_MSI": "true"}, AzureCLI},
		{"CLI is the default", Settings{}, nil, AzureCLI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred, m, err := New(tt.s, Options{Getenv: env(tt.env)})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if m != tt.want {
				t.Fatalf("method = %q, want %q", m, tt.want)
			}
			if cred == nil {
				t.Fatal("no credential")
			}
		})
	}
}

func TestNewCredentialTypes(t *testing.T) {
	ids := Settings{TenantID: tenant, ClientID: client}
	for _, tt := range []struct {
		s  Settings
		ok func(any) bool
	}{
		{Settings{TenantID: tenant, ClientID: client, ClientSecret: secret}, func(c any) bool { _, ok := c.(*azidentity.ClientSecretCredential); return ok }},
		{Settings{TenantID: tenant, ClientID: client, UseOIDC: ptr(true), OIDCToken: "jwt"}, func(c any) bool { _, ok := c.(*azidentity.ClientAssertionCredential); return ok }},
		{Settings{UseMSI: ptr(true)}, func(c any) bool { _, ok := c.(*azidentity.ManagedIdentityCredential); return ok }},
		{ids, func(c any) bool { _, ok := c.(*azidentity.AzureCLICredential); return ok }},
	} {
		cred, m, err := New(tt.s, Options{Getenv: env(nil)})
		if err != nil || !tt.ok(cred) {
			t.Errorf("%s: got %T, %v", m, cred, err)
		}
	}
}

func TestNewAzurePipelinesCredential(t *testing.T) {
	t.Setenv("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/contoso/_apis/distributedtask/hubs/build/plans/1/jobs/2/oidctoken")
	cred, m, err := New(Settings{TenantID: tenant, ClientID: client, UseOIDC: ptr(true), OIDCRequestToken: "t"},
		Options{Getenv: env(map[string]string{"ARM_OIDC_AZURE_SERVICE_CONNECTION_ID": "conn", "SYSTEM_OIDCREQUESTURI": "x"})})
	if _, ok := cred.(*azidentity.AzurePipelinesCredential); !ok || m != AzurePipelines || err != nil {
		t.Fatalf("got %T, %q, %v", cred, m, err)
	}
}

func TestNewInputErrors(t *testing.T) {
	pemData, certFile := testPEM(t)
	tests := []struct {
		name      string
		s         Settings
		env       map[string]string
		method    Method
		attribute string
		want      string
	}{
		{"secret without tenant", Settings{ClientSecret: secret, ClientID: client}, nil, ClientSecret, "tenant_id",
			"client_secret is set but tenant_id is missing (set tenant_id or ARM_TENANT_ID)."},
		{"secret from env without ids", Settings{}, map[string]string{"ARM_CLIENT_SECRET": secret}, ClientSecret, "tenant_id",
			"ARM_CLIENT_SECRET is set but tenant_id and client_id are missing (set tenant_id or ARM_TENANT_ID; set client_id or ARM_CLIENT_ID)."},
		{"certificate without client id", Settings{TenantID: tenant, ClientCertificatePath: certFile}, nil, ClientCertificate, "client_id",
			"client_certificate_path is set but client_id is missing"},
		{"two certificates", Settings{TenantID: tenant, ClientID: client, ClientCertificatePath: certFile},
			map[string]string{"ARM_CLIENT_CERTIFICATE": "eA=="}, ClientCertificate, "client_certificate",
			"client_certificate_path and ARM_CLIENT_CERTIFICATE are both set"},
		{"unreadable certificate", Settings{TenantID: tenant, ClientID: client, ClientCertificatePath: "/nonexistent/cert.pfx"}, nil,
			ClientCertificate, "client_certificate_path", "Reading client_certificate_path: open /nonexistent/cert.pfx"},
		{"certificate not Base64", Settings{TenantID: tenant, ClientID: client, ClientCertificate: "not base64!" + secret}, nil,
			ClientCertificate, "client_certificate", "client_certificate is not valid Base64"},
		{"PEM with a password", Settings{TenantID: tenant, ClientID: client, ClientCertificate: base64.StdEncoding.EncodeToString(pemData),
			ClientCertificatePassword: secret}, nil, ClientCertificate, "client_certificate", "password in client_certificate_password"},
		{"no OIDC token source", Settings{TenantID: tenant, ClientID: client}, map[string]string{"ARM_USE_OIDC": "true"}, oidcMethod, "oidc_token",
			"ARM_USE_OIDC is true but no ID token source is set"},
		{"request URL without token", Settings{TenantID: tenant, ClientID: client, UseOIDC: ptr(true), OIDCRequestURL: "https://a"}, nil,
			OIDCTokenRequest, "oidc_request_token",
			"oidc_request_url is set but oidc_request_token is missing (set oidc_request_token or ARM_OIDC_REQUEST_TOKEN or ACTIONS_ID_TOKEN_REQUEST_TOKEN)."},
		{"request URL not a URL", Settings{TenantID: tenant, ClientID: client, UseOIDC: ptr(true), OIDCRequestURL: "idtoken", OIDCRequestToken: secret}, nil,
			OIDCTokenRequest, "oidc_request_url", "oidc_request_url must be an absolute https:// URL"},
		{"request URL over plain HTTP", Settings{TenantID: tenant, ClientID: client, UseOIDC: ptr(true), OIDCRequestURL: "http://tokens.example/id",
			OIDCRequestToken: secret}, nil, OIDCTokenRequest, "oidc_request_url", "http:// only for a loopback host"},
		{"request URL from env over plain HTTP", Settings{TenantID: tenant, ClientID: client, UseOIDC: ptr(true)},
			map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "http://10.0.0.5/idtoken", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": secret},
			OIDCTokenRequest, "oidc_request_url", "ACTIONS_ID_TOKEN_REQUEST_URL must be an absolute https:// URL"},
		{"OIDC token without tenant", Settings{ClientID: client, UseOIDC: ptr(true), OIDCToken: secret}, nil, OIDCToken, "tenant_id",
			"oidc_token is set but tenant_id is missing"},
		{"service connection without access token", Settings{TenantID: tenant, ClientID: client, UseOIDC: ptr(true), ADOServiceConnectionID: "conn"},
			nil, AzurePipelines, "oidc_request_token",
			"ado_pipeline_service_connection_id is set but oidc_request_token is missing (set oidc_request_token or ARM_OIDC_REQUEST_TOKEN or SYSTEM_ACCESSTOKEN)."},
		{"service connection outside a pipeline", Settings{TenantID: tenant, ClientID: client, UseOIDC: ptr(true)},
			map[string]string{"ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID": "conn", "SYSTEM_ACCESSTOKEN": secret}, AzurePipelines,
			"ado_pipeline_service_connection_id", "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID is set but SYSTEM_OIDCREQUESTURI is missing"},
		{"bad msi_endpoint", Settings{UseMSI: ptr(true), MSIEndpoint: "169.254.169.254"}, nil, ManagedIdentity, "msi_endpoint",
			`msi_endpoint must be the absolute http(s) URL`},
		{"bad boolean", Settings{}, map[string]string{"ARM_USE_OIDC": "yes"}, "", "use_oidc", `ARM_USE_OIDC must be true or false, got "yes".`},
		{"nothing enabled", Settings{UseCLI: ptr(false)}, nil, "", "use_cli", "No sign-in method is enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := New(tt.s, Options{Getenv: env(tt.env)})
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v (%T), want an *InputError", err, err)
			}
			if ie.Method != tt.method || ie.Attribute != tt.attribute || !strings.Contains(ie.Error(), tt.want) {
				t.Fatalf("got method %q, attribute %q, %q\nwant method %q, attribute %q, containing %q",
					ie.Method, ie.Attribute, ie.Error(), tt.method, tt.attribute, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error contains the secret: %v", err)
			}
		})
	}
}

func TestReadTokenFileRereads(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	get := readTokenFile(setting{inOIDCTokenFilePath, file, "TFC_WORKLOAD_IDENTITY_TOKEN_PATH"})
	for _, tok := range []string{"first", "rotated"} {
		if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := get(context.Background()); got != tok || err != nil {
			t.Fatalf("got %q, %v; want %q", got, err, tok)
		}
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := get(context.Background()); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("empty file: err = %v", err)
	}
}

func TestRequestToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer "+secret:
			http.Error(w, "bad credentials", http.StatusUnauthorized)
		case r.URL.Query().Get("api-version") != "2.0" || r.URL.Query().Get("audience") != "api://AzureADTokenExchange":
			http.Error(w, "bad query", http.StatusBadRequest)
		case r.URL.Path == "/empty":
			fmt.Fprint(w, `{"count":0}`)
		default:
			fmt.Fprint(w, `{"count":1,"value":"id-token"}`)
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/idtoken?api-version=2.0")
	if got, err := requestToken(u, secret)(context.Background()); got != "id-token" || err != nil {
		t.Fatalf("got %q, %v", got, err)
	}
	_, err := requestToken(u, "wrong-"+secret)(context.Background())
	if err == nil || !strings.Contains(err.Error(), "answered HTTP 401") || strings.Contains(err.Error(), secret) {
		t.Fatalf("wrong request token: err = %v", err)
	}
	u.Path = "/empty"
	if _, err := requestToken(u, secret)(context.Background()); err == nil || !strings.Contains(err.Error(), "returned no token") {
		t.Fatalf("no token: err = %v", err)
	}
}

type recordingTransport struct{ got *http.Request }

func (r *recordingTransport) Do(req *http.Request) (*http.Response, error) {
	r.got = req
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

func TestIMDSRedirect(t *testing.T) {
	to, _ := url.Parse("http://127.0.0.1:8080/msi/token?tag=1")
	next := &recordingTransport{}
	redirect := imdsRedirect{to: to, next: next}

	req, _ := http.NewRequest(http.MethodGet, "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x", nil)
	if _, err := redirect.Do(req); err != nil {
		t.Fatal(err)
	}
	if got := next.got.URL.String(); got != "http://127.0.0.1:8080/msi/token?tag=1&api-version=2018-02-01&resource=x" {
		t.Fatalf("IMDS request sent to %s", got)
	}
	other, _ := http.NewRequest(http.MethodGet, "https://login.microsoftonline.com/x", nil)
	if _, err := redirect.Do(other); err != nil {
		t.Fatal(err)
	}
	if next.got.URL.Host != "login.microsoftonline.com" {
		t.Fatalf("non-IMDS request sent to %s", next.got.URL)
	}
}

// The token service gets oidc_request_token as bearer: HTTPS, or plain HTTP that stays on this machine.
func TestOIDCRequestURLAccepted(t *testing.T) {
	for _, u := range []string{"https://tokens.example/id", "http://127.0.0.1:8080/id", "http://localhost/id", "http://[::1]:9/id"} {
		_, m, err := New(Settings{TenantID: tenant, ClientID: client, UseOIDC: ptr(true), OIDCRequestURL: u, OIDCRequestToken: secret},
			Options{Getenv: env(nil)})
		if err != nil || m != OIDCTokenRequest {
			t.Errorf("%s: got %s, %v", u, m, err)
		}
	}
}
