package memtune

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/entraoath/terraform-provider-entraoath/internal/provider"
)

// frameworkModule and verifiedFramework pin ReleasingServer to the framework version it was written for: when go.mod
// moves to another version, check whether the framework still keeps contexts until StopProvider (the "framework
// alone" case below) and update verifiedFramework, or delete ReleasingServer if it no longer does.
const (
	frameworkModule   = "github.com/hashicorp/terraform-plugin-framework"
	verifiedFramework = "v1.19.0"
)

func TestFrameworkVersionIsTheVerifiedOne(t *testing.T) {
	goMod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(goMod)) {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == frameworkModule {
			if fields[1] != verifiedFramework {
				t.Fatalf("go.mod has %s %s; ReleasingServer was verified with %s: check that "+
					"TestFrameworkHoldsContextsUntilStop still passes and update verifiedFramework, or remove "+
					"ReleasingServer if the framework no longer holds contexts", frameworkModule, fields[1], verifiedFramework)
			}
			return
		}
	}
	t.Fatalf("go.mod does not require %s", frameworkModule)
}

// TestFrameworkHoldsContextsUntilStop calls a provider function through the framework's server with a request
// context carrying a marker, as Terraform would, then checks whether the marker can be collected before
// StopProvider: the framework alone keeps it, the released context does not.
func TestFrameworkHoldsContextsUntilStop(t *testing.T) {
	for _, tc := range []struct {
		name     string
		wrap     func(tfprotov6.ProviderServer) tfprotov6.ProviderServer
		wantHeld bool
	}{
		{"framework alone", func(s tfprotov6.ProviderServer) tfprotov6.ProviderServer { return s }, true},
		{"released", ReleasingServer, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.wrap(providerserver.NewProtocol6(provider.New("test")())())
			collected := callWithMarker(t, srv)
			if held := !awaitCollection(collected); held != tc.wantHeld {
				t.Errorf("request context still held after the call: %v, want %v", held, tc.wantHeld)
			}
			if _, err := srv.StopProvider(context.Background(), &tfprotov6.StopProviderRequest{}); err != nil {
				t.Fatal(err)
			}
			if !awaitCollection(collected) {
				t.Error("request context still held after StopProvider")
			}
		})
	}
}

type markerKey struct{}

// callWithMarker makes one CallFunction with a context holding a fresh marker and returns a channel closed when
// the marker is collected. Like gRPC, it cancels the request's context when the call returns.
func callWithMarker(t *testing.T, srv tfprotov6.ProviderServer) <-chan struct{} {
	t.Helper()
	marker := new([1 << 16]byte)
	collected := make(chan struct{})
	runtime.AddCleanup(marker, func(ch chan struct{}) { close(ch) }, collected)
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), markerKey{}, marker))
	arg, err := tfprotov6.NewDynamicValue(tftypes.String, tftypes.NewValue(tftypes.String, "3132333435363738393031323334353637383930"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.CallFunction(ctx, &tfprotov6.CallFunctionRequest{Name: "hex_to_base32", Arguments: []*tfprotov6.DynamicValue{&arg}})
	cancel()
	if err != nil || resp.Error != nil {
		t.Fatalf("CallFunction: %v %v", err, resp.Error)
	}
	return collected
}

// awaitCollection runs the collector until the marker is collected, for up to a fifth of a second.
func awaitCollection(collected <-chan struct{}) bool {
	for range 10 {
		runtime.GC()
		select {
		case <-collected:
			return true
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	TuneGC()
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GC percent %d, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != memoryLimit {
		t.Errorf("memory limit %d, want %d", got, memoryLimit)
	}

	// With GOGC and GOMEMLIMIT set, TuneGC leaves both settings as they are: a limit it would never set shows it.
	const limit = 1 << 40
	debug.SetMemoryLimit(limit)
	t.Setenv("GOGC", "50")
	t.Setenv("GOMEMLIMIT", "1GiB")
	TuneGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d with GOGC set, want it left alone", got)
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("memory limit %d with GOMEMLIMIT set, want it left alone (%d)", got, limit)
	}
}
