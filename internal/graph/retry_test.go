package graph_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
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

// TestThrottlingWaitedOutUntilDeadline: throttling is retried for as long as the caller's deadline allows, however
// small max_retries is (here 0), and the call then ends with Graph's 429.
func TestThrottlingWaitedOutUntilDeadline(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	srv.SetFaults(emulator.Faults{ThrottleRate: 1, RetryAfter: 10 * time.Millisecond})

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := h.client.ListDevices(ctx, graph.DeviceFilter{})
	wantGraphError(t, err, 429, "TooManyRequests")
	if !graph.IsThrottled(err) {
		t.Fatal("IsThrottled = false")
	}
	if n := len(h.attempts("GET", devicesTemplate)); n < 5 {
		t.Fatalf("%d attempts in 500 ms of 10 ms Retry-After: throttling was not waited out", n)
	}
}

// TestAttemptCutShortByDeadline: when the deadline cuts short the attempt after a 429, a read ends with that 429,
// while a write ends with the deadline's error: it may have reached Graph, so the 429 does not describe it.
func TestAttemptCutShortByDeadline(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	for _, write := range []bool{false, true} {
		h := newHarness(t, srv, 0)
		srv.SetFaults(emulator.Faults{ThrottleRate: 1, RetryAfter: 10 * time.Millisecond})
		h.onAttempt.Store(func(e graph.RequestLog) {
			if e.Status == 429 { // the next attempt hangs until the deadline
				h.transport.Store(func(r *http.Request) (*http.Response, error) {
					<-r.Context().Done()
					return nil, r.Context().Err()
				})
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		var err error
		if write {
			_, err = h.client.CreateDevice(ctx, newDevice(t), "")
		} else {
			_, err = h.client.ListDevices(ctx, graph.DeviceFilter{})
		}
		cancel()
		if write {
			if !errors.Is(err, context.DeadlineExceeded) || graph.IsThrottled(err) {
				t.Fatalf("write: err = %v, want the deadline's error, not the earlier 429", err)
			}
		} else {
			wantGraphError(t, err, 429, "TooManyRequests")
		}
	}
}

// TestMaxRetriesBoundsOtherErrors: a read answered 503 without Retry-After (or 500, 502, 504, a transport error) is
// retried max_retries times, and 0 means not at all.
func TestMaxRetriesBoundsOtherErrors(t *testing.T) {
	for _, maxRetries := range []int{0, 2} {
		srv := startEmulator(t, emulator.Options{})
		h := newHarness(t, srv, maxRetries)
		h.transport.Store(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 502, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		})
		_, err := h.client.ListDevices(context.Background(), graph.DeviceFilter{})
		if err == nil || !strings.Contains(err.Error(), "502") {
			t.Fatalf("max_retries %d: err = %v, want the 502", maxRetries, err)
		}
		if n := len(h.attempts("GET", devicesTemplate)); n != maxRetries+1 {
			t.Fatalf("max_retries %d: %d attempts, want %d", maxRetries, n, maxRetries+1)
		}
	}
}

// TestUnavailableReadIsThrottling: a 503 with Retry-After on a read is waited out like a 429, beyond max_retries.
func TestUnavailableReadIsThrottling(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	srv.SetFaults(emulator.Faults{UnavailableRate: 1, RetryAfter: 10 * time.Millisecond})
	var n atomic.Int32
	h.onAttempt.Store(func(e graph.RequestLog) {
		if e.Status == 503 && n.Add(1) == 3 {
			srv.SetFaults(emulator.Faults{})
		}
	})
	if _, err := h.client.ListDevices(context.Background(), graph.DeviceFilter{}); err != nil {
		t.Fatal(err)
	}
	if got := len(h.attempts("GET", devicesTemplate)); got != 4 {
		t.Fatalf("%d attempts, want 3 x 503 then a success", got)
	}
}

// TestWriteOutcomeUnknownIsNotRetried: a write applied but answered 503, or with a reset connection, is sent once
// and handed back as outcome-unknown; the token exists once.
func TestWriteOutcomeUnknownIsNotRetried(t *testing.T) {
	for _, f := range []emulator.Faults{{AppliedThen503Rate: 1, RetryAfter: 10 * time.Millisecond}, {AppliedThenResetRate: 1}} {
		srv := startEmulator(t, emulator.Options{})
		h := newHarness(t, srv, 3)
		d := newDevice(t)
		srv.SetFaults(f)
		_, err := h.client.CreateDevice(context.Background(), d, "")
		if !graph.IsOutcomeUnknown(err) {
			t.Fatalf("%+v: err = %v, want outcome unknown", f, err)
		}
		if n := len(h.attempts("POST", devicesTemplate)); n != 1 {
			t.Fatalf("%+v: POST sent %d times", f, n)
		}
		if n := len(srv.DevicesBySerial(d.SerialNumber)); n != 1 {
			t.Fatalf("%+v: %d devices, want the one the write made", f, n)
		}
	}
}

// TestLostWrite: after a 504 the write may have happened. No write is replayed (the caller looks at Graph instead),
// not even a PATCH.
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
	if n := len(h.attempts("PATCH", devicesTemplate+"/{id}")); n != 1 {
		t.Fatalf("PATCH sent %d times, want 1", n)
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
	if len(h.logs) != len(wantTemplates) {
		t.Fatalf("logged %d Graph requests, want %d", len(h.logs), len(wantTemplates))
	}
	for i, e := range h.logs {
		if e.PathTemplate != wantTemplates[i] || e.RequestID == "" || e.Status >= 300 || e.Attempt != 1 || e.Duration <= 0 {
			t.Fatalf("log %d = %+v, want template %q", i, e, wantTemplates[i])
		}
	}
}

// TestThrottleGateIsShared: when Graph throttles one call, the client's other calls wait out the same Retry-After
// instead of spending their own attempts on a tenant that is over its limit.
func TestThrottleGateIsShared(t *testing.T) {
	ctx := context.Background()
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)

	const retryAfter = 600 * time.Millisecond
	throttled := make(chan time.Time, 1)
	h.onAttempt.Store(func(e graph.RequestLog) {
		if e.Status == 429 {
			srv.SetFaults(emulator.Faults{})
			throttled <- time.Now()
		}
	})
	srv.SetFaults(emulator.Faults{ThrottleRate: 1, RetryAfter: retryAfter})
	first := make(chan error, 1)
	go func() {
		_, err := h.client.ListDevices(ctx, graph.DeviceFilter{})
		first <- err
	}()
	at := <-throttled
	time.Sleep(50 * time.Millisecond) // the gate closes just after the attempt is logged

	// Graph is answering again, so only the gate can hold this call back.
	if _, err := h.client.ListDevices(ctx, graph.DeviceFilter{SerialNumber: "none"}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(at); waited < retryAfter {
		t.Fatalf("a second call went out %v after another call's 429, before its Retry-After of %v", waited, retryAfter)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}

// TestRetryNeverOutlivesDeadline: a Retry-After beyond the caller's deadline is not waited for; the call ends at
// once with Graph's answer.
func TestRetryNeverOutlivesDeadline(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 5)
	srv.SetFaults(emulator.Faults{ThrottleRate: 1, RetryAfter: 5 * time.Second})

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := h.client.ListDevices(ctx, graph.DeviceFilter{})
	wantGraphError(t, err, 429, "TooManyRequests")
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Fatalf("the call took %v: it waited towards a Retry-After past its deadline", elapsed)
	}
	if n := len(h.attempts("GET", devicesTemplate)); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
}

func TestIsOutcomeUnknown(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&graph.Error{StatusCode: 504}, true},
		{&graph.Error{StatusCode: 502}, true},
		{&graph.Error{StatusCode: 500}, true},
		{&graph.Error{StatusCode: 503}, true}, // nothing documents that a 503 means "not processed"
		{&graph.Error{StatusCode: 429}, false},
		{&graph.Error{StatusCode: 400}, false},
		{fmt.Errorf("create: %w", io.ErrUnexpectedEOF), true}, // connection dropped mid-answer
		{fmt.Errorf("create: %w", context.DeadlineExceeded), false},
		{fmt.Errorf("create: %w", &tls.CertificateVerificationError{}), false},
		{nil, false},
	} {
		if got := graph.IsOutcomeUnknown(c.err); got != c.want {
			t.Errorf("IsOutcomeUnknown(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
