package emulator

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func TestTokenEndpoint(t *testing.T) {
	e := start(t, Options{})
	o := e.srv.Options()

	bad := e.secretForm()
	bad.Set("client_secret", "not-the-secret")
	status, body := e.tokenRequest(bad)
	if status != http.StatusUnauthorized || body["error"] != "invalid_client" ||
		!strings.HasPrefix(body["error_description"].(string), "AADSTS7000215:") {
		t.Fatalf("wrong secret: %d %v", status, body)
	}
	if strings.Contains(body["error_description"].(string), "not-the-secret") {
		t.Fatal("the error echoes the secret")
	}

	for name, tc := range map[string]struct {
		set, value string
		status     int
		code       string
	}{
		"unknown client": {"client_id", "11111111-1111-1111-1111-111111111111", 400, "unauthorized_client"},
		"other scope":    {"scope", "https://management.azure.com/.default", 400, "invalid_scope"},
		"global Graph":   {"scope", "https://graph.microsoft.com/.default", 400, "invalid_scope"},
		"other grant":    {"grant_type", "password", 400, "unsupported_grant_type"},
		"no credential":  {"client_secret", "", 401, "invalid_client"},
	} {
		form := e.secretForm()
		form.Set(tc.set, tc.value)
		if status, body := e.tokenRequest(form); status != tc.status || body["error"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", name, status, body, tc.status, tc.code)
		}
	}

	resp, err := e.http.Get(e.srv.URL() + "/" + o.TenantID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	if _, body := decode(t, resp); body["issuer"] != e.srv.URL()+"/"+o.TenantID+"/v2.0" ||
		body["token_endpoint"] != e.srv.URL()+"/"+o.TenantID+"/oauth2/v2.0/token" {
		t.Fatalf("discovery: %v", body)
	}
	resp, err = e.http.Get(e.srv.URL() + "/contoso.example/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := decode(t, resp); status != 400 || !strings.Contains(body["error_description"].(string), "AADSTS90002") {
		t.Fatalf("unknown tenant: %d %v", status, body)
	}
	if got := e.srv.Requests()["POST /{tenant}/oauth2/v2.0/token"]; got != 7 {
		t.Fatalf("token calls counted %d, want 7", got)
	}
}

func TestBearerRequired(t *testing.T) {
	e := start(t, Options{})
	for name, auth := range map[string]string{"none": "", "unknown": "Bearer nope", "basic": "Basic " + e.token} {
		h := http.Header{"client-request-id": {"my-request"}}
		if auth != "" {
			h.Set("Authorization", auth)
		}
		status, body, header := e.doHeaders("GET", devices, nil, h)
		want(t, name, status, body, http.StatusUnauthorized, "InvalidAuthenticationToken")
		inner := body["error"].(map[string]any)["innerError"].(map[string]any)
		if header.Get("request-id") == "" || inner["request-id"] != header.Get("request-id") ||
			inner["client-request-id"] != "my-request" || inner["date"] == "" {
			t.Fatalf("%s: innerError %v, headers %v", name, inner, header)
		}
	}
}

// azTransport makes azidentity trust the emulator's CA.
func azOptions(t *testing.T, srv *Server) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL() + "/"},
		Transport: trustingClient(t, srv),
	}
}

// graphCall proves a token from azidentity is accepted by Graph.
func graphCall(t *testing.T, e *env, cred azcore.TokenCredential) {
	t.Helper()
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{e.srv.Scope()}})
	if err != nil {
		t.Fatal(err)
	}
	e.token = tok.Token
	status, body := e.do("GET", devices, nil)
	want(t, "list with azidentity token", status, body, http.StatusOK, "")
}

func TestAzidentityClientSecret(t *testing.T) {
	e := start(t, Options{})
	o := e.srv.Options()
	cred, err := azidentity.NewClientSecretCredential(o.TenantID, o.ClientID, o.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: azOptions(t, e.srv), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	graphCall(t, e, cred)

	wrong, err := azidentity.NewClientSecretCredential(o.TenantID, o.ClientID, "wrong",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: azOptions(t, e.srv), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{e.srv.Scope()}})
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("wrong secret: %v", err)
	}
}

func selfSigned(t *testing.T) (*x509.Certificate, *rsa.PrivateKey) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "provider"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestAzidentityClientCertificate(t *testing.T) {
	cert, key := selfSigned(t)
	other, otherKey := selfSigned(t)
	e := start(t, Options{ClientCertificates: []*x509.Certificate{cert}})
	o := e.srv.Options()
	opts := &azidentity.ClientCertificateCredentialOptions{ClientOptions: azOptions(t, e.srv), DisableInstanceDiscovery: true}

	cred, err := azidentity.NewClientCertificateCredential(o.TenantID, o.ClientID, []*x509.Certificate{cert}, key, opts)
	if err != nil {
		t.Fatal(err)
	}
	graphCall(t, e, cred)

	unknown, err := azidentity.NewClientCertificateCredential(o.TenantID, o.ClientID, []*x509.Certificate{other}, otherKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unknown.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{e.srv.Scope()}}); err == nil ||
		!strings.Contains(err.Error(), "AADSTS700027") {
		t.Fatalf("unregistered certificate: %v", err)
	}

	aud := e.srv.URL() + "/" + o.TenantID + "/oauth2/v2.0/token"
	valid := map[string]any{"aud": aud, "iss": o.ClientID, "sub": o.ClientID, "exp": time.Now().Add(time.Minute).Unix()}
	for name, tc := range map[string]struct {
		alg    string
		key    *rsa.PrivateKey
		claims map[string]any
		code   string
	}{
		"RS256 with x5t":   {"RS256", key, valid, ""},
		"forged signature": {"PS256", otherKey, valid, "AADSTS700027"},
		"expired":          {"PS256", key, with(valid, "exp", time.Now().Add(-time.Hour).Unix()), "AADSTS700024"},
		"wrong audience":   {"PS256", key, with(valid, "aud", "https://login.microsoftonline.com/x"), "AADSTS700016"},
		"wrong subject":    {"RS256", key, with(valid, "sub", "someone"), "AADSTS700021"},
	} {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {o.ClientID}, "scope": {e.srv.Scope()},
			"client_assertion_type": {clientAssertionType}, "client_assertion": {signJWT(t, tc.alg, cert, tc.key, tc.claims)}}
		status, body := e.tokenRequest(form)
		if tc.code == "" && status != 200 || tc.code != "" && (status != 401 || !strings.HasPrefix(body["error_description"].(string), tc.code)) {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}
}

func with(m map[string]any, k string, v any) map[string]any {
	out := maps.Clone(m)
	out[k] = v
	return out
}

// signJWT builds a client assertion the way MSAL does (x5t for RS256, x5t#S256 for PS256, standard Base64).
func signJWT(t *testing.T, alg string, cert *x509.Certificate, key *rsa.PrivateKey, claims map[string]any) string {
	header := map[string]any{"alg": alg, "typ": "JWT"}
	if alg == "RS256" {
		sum := sha1.Sum(cert.Raw)
		header["x5t"] = base64.StdEncoding.EncodeToString(sum[:])
	} else {
		sum := sha256.Sum256(cert.Raw)
		header["x5t#S256"] = base64.StdEncoding.EncodeToString(sum[:])
	}
	seg := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := seg(header) + "." + seg(claims)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	if alg == "RS256" {
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	} else {
		sig, err = rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestFederatedAssertion(t *testing.T) {
	e := start(t, Options{})
	o := e.srv.Options()
	const oidc = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIn0.c2ln"
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {o.ClientID}, "scope": {e.srv.Scope()},
		"client_assertion_type": {clientAssertionType}, "client_assertion": {oidc}}
	if status, body := e.tokenRequest(form); status != 401 || !strings.Contains(body["error_description"].(string), "AADSTS700213") {
		t.Fatalf("without a federated hook: %d %v", status, body)
	}
	e.srv.SetFederatedAssertions(func(a string) bool { return a == oidc })
	cred, err := azidentity.NewClientAssertionCredential(o.TenantID, o.ClientID,
		func(context.Context) (string, error) { return oidc, nil },
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: azOptions(t, e.srv), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	graphCall(t, e, cred)
}

func TestCertificateSANs(t *testing.T) {
	e := start(t, Options{})
	port := strings.TrimPrefix(e.srv.URL(), "https://127.0.0.1")
	for _, host := range []string{"localhost", "127.0.0.1"} {
		conn, err := tls.Dial("tcp", host+port, e.http.Transport.(*http.Transport).TLSClientConfig)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		conn.Close()
	}
}
