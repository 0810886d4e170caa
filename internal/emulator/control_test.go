package emulator

import (
	"net/http"
	"strings"
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

// TestControlSurfaceAdmin covers what cmd/graph-emulator's verbs do as a portal admin: upload, actions by serial
// number, deleting a user, removing a permission, and the shutdown request.
func TestControlSurfaceAdmin(t *testing.T) {
	e := start(t, Options{})
	csv := "upn,serial number,secret key,time interval,manufacturer,model\n" +
		"alice@contoso.example,U1," + strings.ToLower(testSeed) + ",30,Contoso,OTP 110\n" +
		",U2," + testSeed + ",60,Contoso,OTP 110\n"
	if status, body := e.control("POST", "/upload?activate=true", []byte(csv)); status != 200 || len(body["value"].([]any)) != 2 {
		t.Fatalf("upload: %d %v", status, body)
	}
	u1, u2 := e.srv.DevicesBySerial("U1"), e.srv.DevicesBySerial("U2")
	if u1[0].Status != StatusActivated || u1[0].AssignedToID != e.alice.ID || u1[0].SecretKey != testSeed || u2[0].Status != StatusAvailable {
		t.Fatalf("uploaded: %+v %+v", u1, u2)
	}
	for what, bad := range map[string]string{
		"the Graph column names": "serialNumber,secretKey,timeIntervalInSeconds,manufacturer,model\nU3," + testSeed + ",30,C,M\n",
		"a bad seed on line 3":   "upn,serial number,secret key,time interval,manufacturer,model\n,U3," + testSeed + ",30,C,M\n,U4,not-base32,30,C,M\n",
		"an unknown user":        "upn,serial number,secret key,time interval,manufacturer,model\nnobody@contoso.example,U3," + testSeed + ",30,C,M\n",
	} {
		if status, _ := e.control("POST", "/upload", []byte(bad)); status != http.StatusBadRequest || len(e.srv.DevicesBySerial("U3")) != 0 {
			t.Errorf("upload with %s: %d, %d U3 devices; want 400 and none", what, status, len(e.srv.DevicesBySerial("U3")))
		}
	}

	if status, body := e.control("POST", "/devices/U2/assign", map[string]any{"user": "bob@contoso.example"}); status != 200 || body["assignedToId"] != e.bob.ID {
		t.Fatalf("assign by serial: %d %v", status, body)
	}
	if status, _ := e.control("POST", "/devices/NOPE/activate", nil); status != http.StatusNotFound {
		t.Fatalf("unknown serial: %d", status)
	}

	if status, _ := e.control("DELETE", "/users/bob@contoso.example", nil); status != 200 {
		t.Fatal("delete user", status)
	}
	if _, ok := e.srv.User(e.bob.ID); ok {
		t.Fatal("bob still exists")
	}
	if d := e.srv.DevicesBySerial("U2")[0]; d.Status != StatusAvailable || d.AssignedToID != "" {
		t.Fatalf("a deleted user's token: %+v, want available", d)
	}

	if status, _ := e.control("PUT", "/permissions", []string{PermUserReadAll}); status != 200 {
		t.Fatal("PUT permissions", status)
	}
	e.token = e.newToken()
	status, body := e.do("GET", devices, nil)
	want(t, "listing without Policy.ReadWrite.AuthenticationMethod", status, body, http.StatusForbidden, "Authorization_RequestDenied")

	select {
	case <-e.srv.Stopped():
		t.Fatal("stopped before being asked")
	default:
	}
	e.control("POST", "/shutdown", nil)
	select {
	case <-e.srv.Stopped():
	case <-time.After(time.Second):
		t.Fatal("POST /shutdown did not close Stopped")
	}
}
