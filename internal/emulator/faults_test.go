package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestThrottlingAndUnavailable(t *testing.T) {
	e := start(t, Options{})
	e.srv.SetFaults(Faults{ThrottleRate: 1, RetryAfter: 1500 * time.Millisecond})
	status, body, h := e.doHeaders("GET", devices, nil, http.Header{"Authorization": {"Bearer " + e.token}})
	want(t, "throttled", status, body, http.StatusTooManyRequests, "TooManyRequests")
	if h.Get("Retry-After") != "1.5" {
		t.Fatalf("Retry-After %q, want 1.5", h.Get("Retry-After"))
	}

	e.srv.SetFaults(Faults{UnavailableRate: 1})
	status, body, h = e.doHeaders("GET", devices, nil, http.Header{"Authorization": {"Bearer " + e.token}})
	want(t, "unavailable", status, body, http.StatusServiceUnavailable, "serviceNotAvailable")
	if h.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q, want 1", h.Get("Retry-After"))
	}
	// Token calls are never faulted.
	e.newToken()

	e.srv.SetFaults(Faults{ThrottleRate: 0.5})
	for range 100 {
		e.do("GET", devices, nil)
	}
	got := e.srv.FaultsInjected()
	if got["429"] < 25 || got["429"] > 75 || got["503"] != 1 {
		t.Fatalf("injected %v", got)
	}
	if n := e.srv.Requests()["GET "+devices]; n != 102 {
		t.Fatalf("%d list calls counted, want 102", n)
	}
}

// TestWriteFaults: a lost write is applied but its answer is lost; a failed write is refused without effect. Reads
// are never touched.
func TestWriteFaults(t *testing.T) {
	for _, c := range []struct {
		name   string // also the FaultsInjected key
		faults Faults
		status int
		code   string
		stored int // devices the create leaves
	}{
		{"lost", Faults{LostWriteRate: 1}, http.StatusGatewayTimeout, "gatewayTimeout", 1},
		{"failed", Faults{FailedWriteRate: 1}, http.StatusInternalServerError, "generalException", 0},
		{"applied-503", Faults{AppliedThen503Rate: 1}, http.StatusServiceUnavailable, "serviceNotAvailable", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, Options{})
			e.srv.SetFaults(c.faults)
			serial := strings.ToUpper(c.name)
			status, body := e.do("POST", devices, deviceBody(serial))
			want(t, c.name+" create", status, body, c.status, c.code)
			if n := len(e.srv.DevicesBySerial(serial)); n != c.stored {
				t.Fatalf("the %s create stored %d devices, want %d", c.name, n, c.stored)
			}
			status, body = e.do("GET", devices, nil)
			want(t, "reads are untouched", status, body, http.StatusOK, "")
			if e.srv.FaultsInjected()[c.name] != 1 {
				t.Fatalf("injected %v", e.srv.FaultsInjected())
			}
		})
	}
}

// TestAppliedThenReset: the write is applied, and the connection is dropped without an answer.
func TestAppliedThenReset(t *testing.T) {
	e := start(t, Options{})
	e.srv.SetFaults(Faults{AppliedThenResetRate: 1})
	body, _ := json.Marshal(deviceBody("RESET"))
	req, err := http.NewRequest("POST", e.srv.URL()+devices, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := e.http.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the create was answered %d, want a dropped connection", resp.StatusCode)
	}
	if n := len(e.srv.DevicesBySerial("RESET")); n != 1 {
		t.Fatalf("the create stored %d devices, want 1", n)
	}
	if e.srv.FaultsInjected()["applied-reset"] != 1 {
		t.Fatalf("injected %v", e.srv.FaultsInjected())
	}
}

func TestVisibilityDelay(t *testing.T) {
	e := start(t, Options{})
	const delay = 300 * time.Millisecond
	e.srv.SetFaults(Faults{VisibilityDelay: delay})
	id := e.create("VIS")
	status, body := e.do("GET", devices+"/"+id, nil)
	want(t, "new device right after create", status, body, http.StatusNotFound, "itemNotFound")
	if items, _ := e.pages(devices); len(items) != 0 {
		t.Fatalf("list shows the new device early: %v", items)
	}
	time.Sleep(delay)
	status, body = e.do("GET", devices+"/"+id, nil)
	want(t, "new device after the delay", status, body, http.StatusOK, "")

	status, body = e.do("PATCH", devices+"/"+id, map[string]any{"model": "New"})
	want(t, "patch", status, body, http.StatusNoContent, "")
	if _, body = e.do("GET", devices+"/"+id, nil); body["model"] != "OTP 110" {
		t.Fatalf("read right after patch shows %v, want the previous model", body["model"])
	}
	status, body = e.do("DELETE", devices+"/"+id, nil)
	want(t, "delete", status, body, http.StatusNoContent, "")
	status, body = e.do("GET", devices+"/"+id, nil)
	want(t, "deleted device is still visible", status, body, http.StatusOK, "")
	time.Sleep(delay)
	status, body = e.do("GET", devices+"/"+id, nil)
	want(t, "deleted device after the delay", status, body, http.StatusNotFound, "itemNotFound")
}

func TestLatencyIsConcurrent(t *testing.T) {
	e := start(t, Options{Latency: 200 * time.Millisecond})
	begin := time.Now()
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { e.do("GET", devices, nil) })
	}
	wg.Wait()
	if d := time.Since(begin); d < 200*time.Millisecond || d > 800*time.Millisecond {
		t.Fatalf("5 concurrent calls with 200ms latency took %v", d)
	}
}
