package lifecycle_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

// Request patterns as the emulator counts them.
const (
	reqCreate            = "POST /beta/directory/authenticationMethodDevices/hardwareOathDevices"
	reqUpdate            = "PATCH /beta/directory/authenticationMethodDevices/hardwareOathDevices/{id}"
	reqDelete            = "DELETE /beta/directory/authenticationMethodDevices/hardwareOathDevices/{id}"
	reqGetDevice         = "GET /beta/directory/authenticationMethodDevices/hardwareOathDevices/{id}"
	reqAssign            = "POST /beta/users/{user}/authentication/hardwareOathMethods"
	reqAssignAndActivate = "POST /beta/users/{user}/authentication/hardwareOathMethods/assignAndActivate"
	reqActivate          = "POST /beta/users/{user}/authentication/hardwareOathMethods/{id}/activate"
	reqUnassign          = "DELETE /beta/users/{user}/authentication/hardwareOathMethods/{id}"
)

// fakeClock is the engine's time in tests: the wall clock shifted by everything slept, so waits cost no real
// time. nows, when set, answers the next calls of Now instead; onSleep runs at each wait (Graph catching up, say).
type fakeClock struct {
	mu      sync.Mutex
	offset  time.Duration
	slept   time.Duration
	sleeps  int
	nows    []time.Time
	onSleep func()
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.nows) > 0 {
		t := c.nows[0]
		c.nows = c.nows[1:]
		return t
	}
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.offset += d
	c.slept += d
	c.sleeps++
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	return ctx.Err()
}

func (c *fakeClock) total() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept, c.sleeps
}

// env is an emulated tenant, a Graph client signed in to it the way the provider's is, and an engine on a fake clock.
type env struct {
	srv    *emulator.Server
	client graph.API
	clock  *fakeClock
	engine *lifecycle.Engine
}

func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	srv, err := emulator.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	transport, err := emulator.TrustingTransport(srv.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(transport.CloseIdleConnections)
	o := srv.Options()
	cred, err := azidentity.NewClientSecretCredential(o.TenantID, o.ClientID, o.ClientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL() + "/"},
			Transport: &http.Client{Transport: transport},
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := graph.New(graph.Config{Endpoint: srv.URL() + "/", Credential: cred, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{}
	return &env{srv: srv, client: client, clock: clock, engine: &lifecycle.Engine{Clock: clock, Window: lifecycle.DefaultWindow}}
}

// ctx bounds a test's operations.
func (e *env) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// requests returns how many calls of each pattern reached the emulator since the last reset.
func (e *env) requests(pattern string) int { return e.srv.Requests()[pattern] }

var serials atomic.Int64

func newSeed(t *testing.T) string {
	t.Helper()
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// wantToken is a token to create, with a fresh serial number and seed.
func wantToken(t *testing.T) graph.Device {
	return graph.Device{SerialNumber: fmt.Sprintf("LC%06d", serials.Add(1)), Manufacturer: "Token2", Model: "C302-i",
		SecretKey: newSeed(t), TimeIntervalInSeconds: 30, HashFunction: graph.HashSHA1}
}

// addToken puts a token into the inventory as a portal upload would, and returns it as Graph shows it.
func (e *env) addToken(t *testing.T, holder string) *graph.Device {
	t.Helper()
	w := wantToken(t)
	d, err := e.srv.AddDevice(emulator.Device{SerialNumber: w.SerialNumber, Manufacturer: w.Manufacturer, Model: w.Model,
		SecretKey: w.SecretKey, TimeIntervalInSeconds: 30, HashFunction: graph.HashSHA1})
	if err != nil {
		t.Fatal(err)
	}
	if holder != "" {
		if err := e.srv.Assign(d.ID, holder); err != nil {
			t.Fatal(err)
		}
	}
	return e.device(t, d.ID)
}

// device reads token id through Graph, as the engine would see it.
func (e *env) device(t *testing.T, id string) *graph.Device {
	t.Helper()
	d, err := e.client.GetDevice(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// seedOf is the seed the emulator holds for token id.
func (e *env) seedOf(t *testing.T, id string) string {
	t.Helper()
	d, ok := e.srv.Device(id)
	if !ok {
		t.Fatalf("the emulator has no token %s", id)
	}
	return d.SecretKey
}

func (e *env) user(t *testing.T) emulator.User {
	t.Helper()
	n := serials.Add(1)
	return e.srv.AddUser(emulator.User{UserPrincipalName: fmt.Sprintf("user%d@contoso.example", n), DisplayName: fmt.Sprintf("User %d", n)})
}
