package graph_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

const testUserAgent = "terraform-provider-entraoath/test terraform/1.11.4"

// startEmulator runs a fresh emulated tenant for one test.
func startEmulator(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	srv, err := emulator.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// harness is a client wired like the provider's (azidentity credential, kiota pipeline) against srv, with the
// HTTP attempts it logged and the User-Agent headers that reached the wire.
type harness struct {
	srv        *emulator.Server
	client     *graph.Client
	mu         sync.Mutex
	logs       []graph.RequestLog
	userAgents []string
	onAttempt  atomic.Value // func(graph.RequestLog), optional
	transport  atomic.Value // func(*http.Request) (*http.Response, error), optional: answers instead of the emulator
}

func newHarness(t *testing.T, srv *emulator.Server, maxRetries int) *harness {
	t.Helper()
	h := &harness{srv: srv}
	base, err := emulator.TrustingTransport(srv.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(base.CloseIdleConnections)

	o := srv.Options()
	cred, err := azidentity.NewClientSecretCredential(o.TenantID, o.ClientID, o.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL() + "/"},
				Transport: &http.Client{Transport: base},
			},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	h.client, err = graph.New(graph.Config{
		Endpoint:   srv.URL() + "/",
		Credential: cred,
		UserAgent:  testUserAgent,
		MaxRetries: maxRetries,
		Transport:  h.recordUserAgent(base),
		Logger:     h.log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// recordUserAgent observes the header as sent, below every middleware.
func (h *harness) recordUserAgent(next http.RoundTripper) roundTripFunc {
	return func(r *http.Request) (*http.Response, error) {
		h.mu.Lock()
		h.userAgents = append(h.userAgents, r.Header.Get("User-Agent"))
		h.mu.Unlock()
		if f, ok := h.transport.Load().(func(*http.Request) (*http.Response, error)); ok {
			return f(r)
		}
		return next.RoundTrip(r)
	}
}

func (h *harness) log(_ context.Context, e graph.RequestLog) {
	h.mu.Lock()
	h.logs = append(h.logs, e)
	h.mu.Unlock()
	if f, ok := h.onAttempt.Load().(func(graph.RequestLog)); ok {
		f(e)
	}
}

// attempts returns the logged attempts of method on pathTemplate.
func (h *harness) attempts(method, pathTemplate string) []graph.RequestLog {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []graph.RequestLog
	for _, e := range h.logs {
		if e.Method == method && e.PathTemplate == pathTemplate {
			out = append(out, e)
		}
	}
	return out
}

const devicesTemplate = "/directory/authenticationMethodDevices/hardwareOathDevices"

// newSeed returns a random Base32 secret of n bytes, as a vendor file would carry.
func newSeed(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

var serials atomic.Int64

// newDevice returns a valid device to create, with a fresh serial number and seed.
func newDevice(t *testing.T) graph.Device {
	return graph.Device{
		DisplayName:           "Test token",
		SerialNumber:          fmt.Sprintf("SN%06d", serials.Add(1)),
		Manufacturer:          "Contoso",
		Model:                 "OTP 110",
		SecretKey:             newSeed(t, 20),
		TimeIntervalInSeconds: 30,
		HashFunction:          graph.HashSHA1,
	}
}

func create(t *testing.T, c *graph.Client, d graph.Device) *graph.Device {
	t.Helper()
	got, err := c.CreateDevice(context.Background(), d, "")
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// code is the current TOTP of d, computed independently of the emulator from the seed we created.
func code(t *testing.T, d graph.Device) string {
	t.Helper()
	alg := otp.AlgorithmSHA1
	if d.HashFunction == graph.HashSHA256 {
		alg = otp.AlgorithmSHA256
	}
	c, err := totp.GenerateCodeCustom(d.SecretKey, time.Now(), totp.ValidateOpts{
		Period: uint(d.TimeIntervalInSeconds), Digits: otp.DigitsSix, Algorithm: alg,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantGraphError(t *testing.T, err error, status int, code string) {
	t.Helper()
	ge, ok := err.(*graph.Error)
	if !ok {
		t.Fatalf("want *graph.Error with HTTP %d, got %T: %v", status, err, err)
	}
	if ge.StatusCode != status || ge.Code != code || ge.RequestID == "" || ge.Operation == "" || ge.Message == "" {
		t.Fatalf("want HTTP %d %q with operation, message and request-id, got %+v", status, code, ge)
	}
}

func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(strings.ToUpper(err.Error()), strings.ToUpper(s)) {
			t.Fatalf("error leaks a secret: %v", err)
		}
	}
}

// concurrently runs every function at once, as Terraform's parallel resource operations share one client, and
// reports each error.
func concurrently(t *testing.T, fns ...func() error) {
	t.Helper()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
