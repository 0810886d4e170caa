package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const devices = devicesPath

// testSeed is a valid Base32 seed (RFC 4648 "Hello!\xde\xad\xbe\xef").
const testSeed = "JBSWY3DPEHPK3PXP"

type env struct {
	t     *testing.T
	srv   *Server
	http  *http.Client
	token string
	alice User // member
	bob   User // member
	guest User
}

func start(t *testing.T, opts Options) *env {
	t.Helper()
	srv, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &env{t: t, srv: srv, http: trustingClient(t, srv)}
	e.alice = srv.AddUser(User{UserPrincipalName: "alice@contoso.example", DisplayName: "Alice"})
	e.bob = srv.AddUser(User{UserPrincipalName: "bob@contoso.example", DisplayName: "Bob"})
	e.guest = srv.AddUser(User{UserPrincipalName: "guest@contoso.example", UserType: "Guest"})
	e.token = e.newToken()
	return e
}

func trustingClient(t *testing.T, srv *Server) *http.Client {
	transport, err := TrustingTransport(srv.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: transport}
}

// tokenRequest posts a client-credentials form and returns the status and decoded body.
func (e *env) tokenRequest(form url.Values) (int, map[string]any) {
	e.t.Helper()
	resp, err := e.http.PostForm(e.srv.URL()+"/"+e.srv.Options().TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	return decode(e.t, resp)
}

func (e *env) secretForm() url.Values {
	o := e.srv.Options()
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {o.ClientID},
		"client_secret": {o.ClientSecret}, "scope": {e.srv.Scope() + " openid profile offline_access"}}
}

func (e *env) newToken() string {
	e.t.Helper()
	status, body := e.tokenRequest(e.secretForm())
	if status != http.StatusOK {
		e.t.Fatalf("token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

// do sends a Graph call with the env's token; body may be nil, a string or any JSON value.
func (e *env) do(method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	status, out, _ := e.doHeaders(method, path, body, http.Header{"Authorization": {"Bearer " + e.token}})
	return status, out
}

func (e *env) doHeaders(method, path string, body any, h http.Header) (int, map[string]any, http.Header) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	u := path
	if !strings.HasPrefix(u, "https://") {
		u = e.srv.URL() + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header = h.Clone()
	if rd != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	status, out := decode(e.t, resp)
	return status, out, resp.Header
}

func decode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp.StatusCode, nil
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	if m, ok := out.(map[string]any); ok {
		return resp.StatusCode, m
	}
	return resp.StatusCode, map[string]any{"value": out} // the control surface answers some calls with arrays
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// want fails the test unless the call answered status (and, for errors, code).
func want(t *testing.T, what string, status int, body map[string]any, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus || errorCode(body) != wantCode {
		t.Fatalf("%s: got %d %q %v, want %d %q", what, status, errorCode(body), body, wantStatus, wantCode)
	}
}

func deviceBody(serial string) map[string]any {
	return map[string]any{"serialNumber": serial, "manufacturer": "Contoso", "model": "OTP 110",
		"secretKey": testSeed, "timeIntervalInSeconds": 30, "hashFunction": "hmacsha1"}
}

// create POSTs a device and returns its id.
func (e *env) create(serial string) string {
	e.t.Helper()
	status, body := e.do("POST", devices, deviceBody(serial))
	want(e.t, "create "+serial, status, body, http.StatusCreated, "")
	return body["id"].(string)
}

func (e *env) code(id string, at time.Time) string {
	e.t.Helper()
	d, ok := e.srv.Device(id)
	if !ok {
		e.t.Fatalf("device %s not found", id)
	}
	c, err := d.Code(at)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func methods(u User) string {
	return "/beta/users/" + u.UserPrincipalName + "/authentication/hardwareOathMethods"
}
