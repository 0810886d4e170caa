package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// TestThrottledWriteIsRetried: a 429 means Graph did not process the call, so even a POST is sent again, after
// the fractional Retry-After (kiota's own handler would truncate 1.2 s to 1 s).
func TestThrottledWriteIsRetried(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	d := newDevice(t)

	const retryAfter = 1200 * time.Millisecond
	srv.SetFaults(emulator.Faults{ThrottleRate: 1, RetryAfter: retryAfter})
	h.onAttempt.Store(func(e graph.RequestLog) {
		if e.Status == 429 {
			srv.SetFaults(emulator.Faults{})
		}
	})
	start := time.Now()
	if _, err := h.client.CreateDevice(context.Background(), d, ""); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < retryAfter {
		t.Fatalf("retried after %v, before Retry-After %v", elapsed, retryAfter)
	}
	got := h.attempts("POST", devicesTemplate)
	if len(got) != 2 || got[0].Status != 429 || got[1].Status != 201 || got[1].Attempt != 2 {
		t.Fatalf("attempts = %+v", got)
	}
	if n := len(srv.DevicesBySerial(d.SerialNumber)); n != 1 {
		t.Fatalf("%d devices created, want 1", n)
	}
}

func TestThrottlingOutlivesRetries(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 2)
	srv.SetFaults(emulator.Faults{ThrottleRate: 1, RetryAfter: 10 * time.Millisecond})

	_, err := h.client.ListDevices(context.Background(), graph.DeviceFilter{})
	wantGraphError(t, err, 429, "TooManyRequests")
	if !graph.IsThrottled(err) {
		t.Fatal("IsThrottled = false")
	}
	if n := len(h.attempts("GET", devicesTemplate)); n != 3 {
		t.Fatalf("%d attempts, want 1 + 2 retries", n)
	}
}

// TestLostWrite: after a 504 the write may have happened. A POST is not replayed (the caller looks the token up
// by serial number instead); a PATCH, which is safe to repeat, is.
func TestLostWrite(t *testing.T) {
	ctx := context.Background()
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 1)
	d := newDevice(t)

	srv.SetFaults(emulator.Faults{LostWriteRate: 1})
	_, err := h.client.CreateDevice(ctx, d, "")
	wantGraphError(t, err, 504, "gatewayTimeout")
	if n := len(h.attempts("POST", devicesTemplate)); n != 1 {
		t.Fatalf("POST sent %d times after a 504", n)
	}
	found, err := h.client.ListDevices(ctx, graph.DeviceFilter{SerialNumber: d.SerialNumber})
	if err != nil || len(found) != 1 {
		t.Fatalf("looking the lost write up: %v, %+v", err, found)
	}

	name := "Renamed"
	err = h.client.UpdateDevice(ctx, found[0].ID, graph.DeviceUpdate{DisplayName: &name})
	wantGraphError(t, err, 504, "gatewayTimeout")
	if n := len(h.attempts("PATCH", devicesTemplate+"/{id}")); n != 2 {
		t.Fatalf("PATCH sent %d times, want 1 + 1 retry", n)
	}
}

// TestWireHygiene checks what reaches the wire and the log hook: our User-Agent first, path templates instead
// of ids and UPNs, and a request-id per attempt.
func TestWireHygiene(t *testing.T) {
	ctx := context.Background()
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	user := srv.AddUser(emulator.User{UserPrincipalName: "amy@contoso.example"})
	d := create(t, h.client, newDevice(t))
	if _, err := h.client.GetUser(ctx, user.UserPrincipalName); err != nil {
		t.Fatal(err)
	}
	if err := h.client.AssignDevice(ctx, user.UserPrincipalName, d.ID); err != nil {
		t.Fatal(err)
	}

	if len(h.userAgents) != 3 {
		t.Fatalf("saw %d Graph requests, want 3", len(h.userAgents))
	}
	for _, ua := range h.userAgents {
		if !strings.HasPrefix(ua, testUserAgent) {
			t.Fatalf("User-Agent = %q, want it to start with %q", ua, testUserAgent)
		}
	}
	wantTemplates := []string{devicesTemplate, "/users/{user}", "/users/{user}/authentication/hardwareOathMethods"}
	for i, e := range h.logs {
		if e.PathTemplate != wantTemplates[i] || e.RequestID == "" || e.Status >= 300 || e.Attempt != 1 || e.Duration <= 0 {
			t.Fatalf("log %d = %+v, want template %q", i, e, wantTemplates[i])
		}
	}
}
