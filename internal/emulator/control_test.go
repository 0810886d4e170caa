package emulator

import (
	"net/http"
	"testing"
	"time"
)

// control calls the test control surface, which needs no token.
func (e *env) control(method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	status, out, _ := e.doHeaders(method, "/_emulator"+path, body, http.Header{})
	return status, out
}

func TestControlSurface(t *testing.T) {
	e := start(t, Options{})
	status, _, _ := e.doHeaders("POST", "/_emulator/users", []map[string]any{
		{"userPrincipalName": "carol@contoso.example", "displayName": "Carol"},
	}, http.Header{})
	if carol, ok := e.srv.User("carol@contoso.example"); status != 200 || !ok || carol.ID == "" || carol.UserType != "Member" {
		t.Fatalf("POST users: %d %+v", status, carol)
	}

	id := e.create("C1")
	if status, body := e.control("POST", "/devices/"+id+"/assign", map[string]any{"user": "carol@contoso.example"}); status != 200 || body["status"] != StatusAssigned {
		t.Fatalf("assign: %d %v", status, body)
	}
	for _, step := range [][2]string{{"activate", StatusActivated}, {"deactivate", StatusAssigned}, {"unassign", StatusAvailable}} {
		if status, body := e.control("POST", "/devices/"+id+"/"+step[0], nil); status != 200 || body["status"] != step[1] {
			t.Fatalf("%s: %d %v", step[0], status, body)
		}
	}
	if status, _ := e.control("POST", "/devices/"+id+"/activate", nil); status != http.StatusBadRequest {
		t.Fatalf("activating an unassigned device: %d", status)
	}

	if status, _ := e.control("PUT", "/faults", map[string]any{"throttle_rate": 1, "retry_after_ms": 250}); status != 200 {
		t.Fatal(status)
	}
	_, _, h := e.doHeaders("GET", devices, nil, http.Header{"Authorization": {"Bearer " + e.token}})
	if h.Get("Retry-After") != "0.25" {
		t.Fatalf("Retry-After %q after PUT faults", h.Get("Retry-After"))
	}
	if status, _ := e.control("PUT", "/latency", map[string]any{"ms": 5}); status != 200 || time.Duration(e.srv.latency.Load()) != 5*time.Millisecond {
		t.Fatal("PUT latency")
	}
	_, body := e.control("GET", "/requests", nil)
	if body["faults"].(map[string]any)["429"] != 1.0 || body["requests"].(map[string]any)["GET "+devices] != 1.0 {
		t.Fatalf("requests: %v", body)
	}

	if status, _ := e.control("POST", "/devices/"+id+"/delete", nil); status != 200 || len(e.srv.Devices()) != 0 {
		t.Fatal("delete")
	}
	if _, err := e.srv.AddDevice(Device{SerialNumber: "C2", Manufacturer: "M", Model: "X", SecretKey: testSeed, TimeIntervalInSeconds: 30}); err != nil {
		t.Fatal(err)
	}
	e.control("POST", "/reset", nil)
	if len(e.srv.Devices()) != 0 || len(e.srv.Requests()) != 0 || e.srv.Options().Latency != 0 {
		t.Fatal("reset left state behind")
	}
	if _, ok := e.srv.User("carol@contoso.example"); !ok {
		t.Fatal("reset dropped users")
	}
	status, body = e.do("GET", devices, nil)
	want(t, "faults are off after reset", status, body, http.StatusOK, "")
}
