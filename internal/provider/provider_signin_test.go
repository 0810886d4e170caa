package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// The sign-in tests change the process environment (t.Setenv), so they run one at a time with resource.Test; Go
// runs them before any parallel test resumes. Each clears the harness's client secret, so a test whose method
// failed cannot pass by signing in with the secret, and there is no `az` on PATH to fall back to.

// testCertificate is a self-signed certificate and its RSA key.
type testCertificate struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

// testClientCertificate is registered on the emulated app registration by TestMain.
var testClientCertificate *testCertificate

func newTestClientCertificate() (*testCertificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "terraform-provider-entraoath acceptance tests"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &testCertificate{cert: cert, key: key}, nil
}

// pem is the certificate followed by its unencrypted PKCS#8 key, as `az ad sp create-for-rbac --create-cert` writes.
func (c *testCertificate) pem(t *testing.T) []byte {
	t.Helper()
	testAccRequireEmulator(t) // TestMain makes the certificate only for acceptance tests
	key, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})...)
}

// pfx is the certificate and key as a password-protected PKCS#12 file, with the SHA-1 MAC azidentity can read.
// The Go module graph has no PKCS#12 encoder, so openssl writes it.
func (c *testCertificate) pfx(t *testing.T, password string) []byte {
	t.Helper()
	testAccRequireEmulator(t) // TestMain makes the certificate only for acceptance tests
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is needed to write a PKCS#12 file:", err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "cert.pfx")
	if err := os.WriteFile(in, c.pem(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(openssl, "pkcs12", "-export", "-in", in, "-out", out, "-passout", "pass:"+password,
		"-macalg", "sha1", "-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12 -export: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testAccSignInEnv clears the sign-in environment variables, keeping the emulator's tenant and client ids; set sets
// more. Ambient CI variables (GitHub Actions, Azure Pipelines, managed identity hosts) cannot leak into a test.
func testAccSignInEnv(t *testing.T, set map[string]string) {
	t.Helper()
	testAccRequireEmulator(t)
	for _, k := range []string{
		"ARM_CLIENT_SECRET", "ARM_CLIENT_CERTIFICATE_PATH", "ARM_CLIENT_CERTIFICATE", "ARM_CLIENT_CERTIFICATE_PASSWORD",
		"ARM_USE_OIDC", "ARM_OIDC_TOKEN", "ARM_OIDC_TOKEN_FILE_PATH", "TFC_WORKLOAD_IDENTITY_TOKEN_PATH",
		"ARM_OIDC_REQUEST_URL", "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
		"ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID", "SYSTEM_OIDCREQUESTURI", "SYSTEM_ACCESSTOKEN",
		"ARM_USE_MSI", "ARM_MSI_ENDPOINT", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
		"ARM_USE_CLI",
	} {
		t.Setenv(k, "")
	}
	for k, v := range set {
		t.Setenv(k, v)
	}
}

// testAccSignInTest signs in with providerBlock and reads the device list, which needs a Graph token; called, when
// set, must then report that the method's token source was used.
func testAccSignInTest(t *testing.T, providerBlock string, called func() error) {
	t.Helper()
	step := resource.TestStep{
		Config: providerBlock + "\n" + `data "entraoath_hardware_tokens" "all" {}`,
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.entraoath_hardware_tokens.all", tfjsonpath.New("tokens"), knownvalue.NotNull()),
		},
	}
	if called != nil {
		step.Check = func(*terraform.State) error { return called() }
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    []resource.TestStep{step},
	})
}

// hits counts calls to a fake token source.
type hits struct{ n atomic.Int32 }

func (h *hits) add() { h.n.Add(1) }

func (h *hits) check(what string) func() error {
	return func() error {
		if h.n.Load() == 0 {
			return errors.New(what + " was never asked for a token")
		}
		return nil
	}
}

// testAccFederatedToken is an ID token as a CI system issues it; the emulator accepts exactly this assertion until
// the test ends, and counts it in h.
func testAccFederatedToken(t *testing.T, h *hits) string {
	t.Helper()
	testAccRequireEmulator(t)
	seg := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	token := seg(map[string]any{"alg": "RS256", "typ": "JWT", "kid": testAccName(t)}) + "." + seg(map[string]any{
		"iss": "https://token.actions.githubusercontent.com", "sub": "repo:contoso/identity:environment:prod",
		"aud": "api://AzureADTokenExchange", "exp": time.Now().Add(10 * time.Minute).Unix(),
	}) + "." + base64.RawURLEncoding.EncodeToString([]byte(testAccName(t)))
	testEmulator.SetFederatedAssertions(func(a string) bool {
		if a != token {
			return false
		}
		h.add()
		return true
	})
	t.Cleanup(func() { testEmulator.SetFederatedAssertions(nil) })
	return token
}

// testAccGraphToken is a Graph access token from the emulator, for fake token sources (managed identity endpoint,
// Azure CLI) to hand out.
func testAccGraphToken(t *testing.T) azcore.AccessToken {
	t.Helper()
	testAccRequireEmulator(t)
	tok, err := testAccEmulatorCredential(t).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{testEmulator.Scope()}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAccProviderSignIn_clientSecret(t *testing.T) {
	testAccSignInEnv(t, nil)
	testAccSignInTest(t, fmt.Sprintf(`provider "entraoath" {
  client_secret = %q
}`, testEmulator.Options().ClientSecret), nil)
}

func TestAccProviderSignIn_clientCertificatePEMFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(file, testClientCertificate.pem(t), 0o600); err != nil {
		t.Fatal(err)
	}
	// A client certificate outranks a client secret: the wrong secret must not be tried.
	testAccSignInEnv(t, map[string]string{"ARM_CLIENT_SECRET": "not-the-secret"})
	testAccSignInTest(t, fmt.Sprintf(`provider "entraoath" {
  client_certificate_path = %q
}`, file), nil)
}

func TestAccProviderSignIn_clientCertificatePFX(t *testing.T) {
	const password = "pfx-password"
	testAccSignInEnv(t, nil)
	testAccSignInTest(t, fmt.Sprintf(`provider "entraoath" {
  client_certificate          = %q
  client_certificate_password = %q
}`, base64.StdEncoding.EncodeToString(testClientCertificate.pfx(t, password)), password), nil)
}

func TestAccProviderSignIn_clientCertificatePFXFileFromEnv(t *testing.T) {
	const password = "pfx-password"
	file := filepath.Join(t.TempDir(), "client.pfx")
	if err := os.WriteFile(file, testClientCertificate.pfx(t, password), 0o600); err != nil {
		t.Fatal(err)
	}
	testAccSignInEnv(t, map[string]string{"ARM_CLIENT_CERTIFICATE_PATH": file, "ARM_CLIENT_CERTIFICATE_PASSWORD": password})
	testAccSignInTest(t, `provider "entraoath" {}`, nil)
}

func TestAccProviderSignIn_oidcToken(t *testing.T) {
	var h hits
	testAccSignInEnv(t, nil)
	testAccSignInTest(t, fmt.Sprintf(`provider "entraoath" {
  use_oidc   = true
  oidc_token = %q
}`, testAccFederatedToken(t, &h)), h.check("the federated credential"))
}

// HCP Terraform dynamic credentials hand the provider a token file through the environment only.
func TestAccProviderSignIn_oidcTokenFileFromHCPTerraform(t *testing.T) {
	var h hits
	file := filepath.Join(t.TempDir(), "tfc-workload-identity-token")
	if err := os.WriteFile(file, []byte(testAccFederatedToken(t, &h)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	testAccSignInEnv(t, map[string]string{"ARM_USE_OIDC": "true", "TFC_WORKLOAD_IDENTITY_TOKEN_PATH": file})
	testAccSignInTest(t, `provider "entraoath" {}`, h.check("the federated credential"))
}

func TestAccProviderSignIn_oidcTokenFile(t *testing.T) {
	var h hits
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(testAccFederatedToken(t, &h)), 0o600); err != nil {
		t.Fatal(err)
	}
	testAccSignInEnv(t, nil)
	testAccSignInTest(t, fmt.Sprintf(`provider "entraoath" {
  use_oidc             = true
  oidc_token_file_path = %q
}`, file), h.check("the federated credential"))
}

// GitHub Actions serves ID tokens at ACTIONS_ID_TOKEN_REQUEST_URL to a bearer of ACTIONS_ID_TOKEN_REQUEST_TOKEN.
func TestAccProviderSignIn_oidcGitHubActions(t *testing.T) {
	var federated, served hits
	const requestToken = "github-runtime-token"
	idToken := testAccFederatedToken(t, &federated)
	actions := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+requestToken || r.URL.Query().Get("audience") != "api://AzureADTokenExchange" ||
			r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		served.add()
		testAccEncode(t, w, map[string]any{"count": 1, "value": idToken})
	}))
	t.Cleanup(actions.Close)
	testAccSignInEnv(t, map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   actions.URL + "/_apis/distributedtask/hubs/build/plans/1/jobs/2/idtoken?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
	})
	testAccSignInTest(t, `provider "entraoath" {
  use_oidc = true
}`, func() error {
		return errors.Join(served.check("the GitHub Actions token service")(), federated.check("the federated credential")())
	})
}

// Azure Pipelines issues ID tokens for a service connection at SYSTEM_OIDCREQUESTURI to a bearer of the job's
// System.AccessToken.
func TestAccProviderSignIn_oidcAzurePipelines(t *testing.T) {
	var federated, served hits
	const connection, accessToken = "3f3b4a4e-6a0e-4a57-9a39-0c8e1f9b2c11", "ado-system-access-token"
	idToken := testAccFederatedToken(t, &federated)
	pipelines := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+accessToken ||
			r.URL.Query().Get("serviceConnectionId") != connection {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		served.add()
		testAccEncode(t, w, map[string]string{"oidcToken": idToken})
	}))
	t.Cleanup(pipelines.Close)
	testAccSignInEnv(t, map[string]string{
		"SYSTEM_OIDCREQUESTURI": pipelines.URL + "/contoso/_apis/distributedtask/hubs/build/plans/1/jobs/2/oidctoken",
		"SYSTEM_ACCESSTOKEN":    accessToken,
	})
	testAccSignInTest(t, fmt.Sprintf(`provider "entraoath" {
  use_oidc                           = true
  ado_pipeline_service_connection_id = %q
}`, connection), func() error {
		return errors.Join(served.check("the Azure Pipelines OIDC endpoint")(), federated.check("the federated credential")())
	})
}

// msi_endpoint replaces the Instance Metadata Service, so a fake one can hand out a token the emulator issued.
func TestAccProviderSignIn_managedIdentity(t *testing.T) {
	var h hits
	tok := testAccGraphToken(t)
	clientID := testEmulator.Options().ClientID
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/metadata/identity/oauth2/token" || r.Header.Get("Metadata") != "true" ||
			q.Get("resource") != testEmulator.URL() || q.Get("client_id") != clientID {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		h.add()
		testAccEncode(t, w, map[string]string{
			"access_token": tok.Token, "token_type": "Bearer", "resource": testEmulator.URL(),
			"expires_in": fmt.Sprint(int(time.Until(tok.ExpiresOn).Seconds())), "expires_on": fmt.Sprint(tok.ExpiresOn.Unix()),
		})
	}))
	t.Cleanup(imds.Close)
	testAccSignInEnv(t, nil)
	// client_id (from ARM_CLIENT_ID) selects a user-assigned identity.
	testAccSignInTest(t, fmt.Sprintf(`provider "entraoath" {
  use_msi      = true
  msi_endpoint = %q
}`, imds.URL+"/metadata/identity/oauth2/token"), h.check("the managed identity endpoint"))
}

// With nothing else configured the provider asks the Azure CLI; a fake `az` on PATH answers like az 2.x.
func TestAccProviderSignIn_azureCLI(t *testing.T) {
	tok := testAccGraphToken(t)
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	script := fmt.Sprintf(`#!/bin/sh
echo "$*" >> %q
case "$*" in
"account get-access-token -o json --resource %s --tenant %s") ;;
*) echo "ERROR: unexpected arguments: $*" >&2; exit 1 ;;
esac
printf '%%s' '{"accessToken":"%s","expires_on":%d,"tokenType":"Bearer"}'
`, calls, testEmulator.URL(), testEmulator.Options().TenantID, tok.Token, tok.ExpiresOn.Unix())
	if err := os.WriteFile(filepath.Join(dir, "az"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	testAccSignInEnv(t, map[string]string{"PATH": dir + string(os.PathListSeparator) + os.Getenv("PATH")})
	testAccSignInTest(t, `provider "entraoath" {}`, func() error {
		if _, err := os.Stat(calls); err != nil {
			return errors.New("the Azure CLI was never asked for a token")
		}
		return nil
	})
}

// testAccExpectSignInError configures the provider with providerBlock and asserts that signing in fails with an
// error matching want that contains none of secrets.
func testAccExpectSignInError(t *testing.T, providerBlock string, want *regexp.Regexp, secrets ...string) {
	t.Helper()
	var got error
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// ErrorCheck sees the whole error, so the test can assert what it must not contain; ExpectError cannot.
		ErrorCheck: func(err error) error { got = err; return nil },
		Steps:      []resource.TestStep{{Config: providerBlock + "\n" + `data "entraoath_hardware_tokens" "all" {}`}},
	})
	switch {
	case got == nil:
		t.Fatal("signing in succeeded; want an error")
	case !want.MatchString(got.Error()):
		t.Fatalf("error does not match %s:\n%s", want, got)
	}
	for _, s := range secrets {
		if strings.Contains(got.Error(), s) {
			t.Fatalf("error contains the secret %q:\n%s", s, got)
		}
	}
}

func TestAccProviderSignIn_wrongClientSecret(t *testing.T) {
	const wrong = "wrong-secret-0b5e9f"
	testAccSignInEnv(t, map[string]string{"ARM_CLIENT_SECRET": wrong})
	testAccExpectSignInError(t, `provider "entraoath" {}`,
		regexp.MustCompile(`(?s)Unable to Sign In to Microsoft Entra ID.*client\s+secret.*AADSTS7000215`), wrong)
}

func TestAccProviderSignIn_missingTenant(t *testing.T) {
	testAccSignInEnv(t, map[string]string{"ARM_TENANT_ID": ""})
	testAccExpectSignInError(t, `provider "entraoath" {
  client_secret = "some-secret-value"
}`, regexp.MustCompile(`client_secret\s+is\s+set\s+but\s+tenant_id\s+is\s+missing\s+\(set\s+tenant_id\s+or\s+ARM_TENANT_ID\)`),
		"some-secret-value")
}

func TestAccProviderSignIn_oidcWithoutTokenSource(t *testing.T) {
	testAccSignInEnv(t, nil)
	testAccExpectSignInError(t, `provider "entraoath" {
  use_oidc = true
}`, regexp.MustCompile(`use_oidc\s+is\s+true\s+but\s+no\s+ID\s+token\s+source\s+is\s+set`))
}

func TestProviderGraphRequestLog(t *testing.T) {
	var buf bytes.Buffer
	logGraphRequest(tflogtest.RootLogger(context.Background(), &buf), graph.RequestLog{
		Method: http.MethodPost, PathTemplate: "/users/{user}/authentication/hardwareOathMethods/{id}/activate",
		Attempt: 2, Status: http.StatusTooManyRequests, RequestID: "4e5f0a4c-request", Duration: 1500 * time.Millisecond,
	})
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("got %d log entries, want 1: %v", len(entries), entries)
	}
	want := map[string]any{
		"@level": "debug", "@message": "Microsoft Graph request", "method": "POST",
		"path_template": "/users/{user}/authentication/hardwareOathMethods/{id}/activate",
		"attempt":       float64(2), "status": float64(429), "request_id": "4e5f0a4c-request", "duration_ms": float64(1500),
	}
	for k, v := range want {
		if entries[0][k] != v {
			t.Errorf("log field %s = %v, want %v", k, entries[0][k], v)
		}
	}
}

// testAccEncode writes v as the JSON answer of a test token server.
func testAccEncode(t *testing.T, w io.Writer, v any) {
	t.Helper()
	if err := json.NewEncoder(w).Encode(v); err != nil {
		t.Error(err)
	}
}
