package emulator

import (
	"net/http"
	"testing"
	"time"
)

func TestAssignActivateLifecycle(t *testing.T) {
	e := start(t, Options{})
	id := e.create("M1")
	m := methods(e.alice)

	status, body := e.do("POST", m, map[string]any{"device": map[string]any{"id": id}})
	want(t, "assign", status, body, http.StatusCreated, "")
	if body["id"] != id || body["@odata.type"] != methodType || body["createdDateTime"] == nil {
		t.Fatalf("assign: %v", body)
	}
	status, body = e.do("POST", m, map[string]any{"device": map[string]any{"id": id}})
	want(t, "assign again to the same user", status, body, http.StatusCreated, "")
	status, body = e.do("POST", methods(e.bob), map[string]any{"device": map[string]any{"id": id}})
	want(t, "assign to another user", status, body, http.StatusConflict, "conflict")

	status, body = e.do("POST", m+"/"+id+"/activate", map[string]any{"verificationCode": "000000"})
	want(t, "activate with a wrong code", status, body, http.StatusBadRequest, "invalidVerificationCode")
	if d, _ := e.srv.Device(id); d.Status != StatusFailedActivation || d.AssignedToID != e.alice.ID {
		t.Fatalf("after a wrong code: %+v", d)
	}
	// The previous step's code is inside the default window.
	status, body = e.do("POST", m+"/"+id+"/activate", map[string]any{"verificationCode": e.code(id, time.Now().Add(-30*time.Second)), "displayName": "Alice's token"})
	want(t, "activate", status, body, http.StatusNoContent, "")
	status, body = e.do("POST", m+"/"+id+"/activate", map[string]any{"verificationCode": e.code(id, time.Now())})
	want(t, "re-activate", status, body, http.StatusNoContent, "")

	status, body = e.do("GET", m+"/"+id, nil)
	want(t, "get method", status, body, http.StatusOK, "")
	dev := body["device"].(map[string]any)
	if dev["status"] != StatusActivated || dev["displayName"] != "Alice's token" || body["lastUsedDateTime"] == nil {
		t.Fatalf("get method: %v", body)
	}
	status, body = e.do("GET", methods(e.bob)+"/"+id, nil)
	want(t, "someone else's method", status, body, http.StatusNotFound, "itemNotFound")

	status, body = e.do("POST", m+"/"+id+"/deactivate", nil)
	want(t, "deactivate", status, body, http.StatusNoContent, "")
	if d, _ := e.srv.Device(id); d.Status != StatusAssigned {
		t.Fatalf("after deactivate: %s", d.Status)
	}
	status, body = e.do("DELETE", m+"/"+id, nil)
	want(t, "unassign", status, body, http.StatusNoContent, "")
	if d, _ := e.srv.Device(id); d.Status != StatusAvailable || d.AssignedToID != "" {
		t.Fatalf("after unassign: %+v", d)
	}
	status, body = e.do("GET", m, nil)
	if status != 200 || len(body["value"].([]any)) != 0 {
		t.Fatalf("methods after unassign: %v", body)
	}
	status, body = e.do("DELETE", m+"/"+id, nil)
	want(t, "unassign again", status, body, http.StatusNotFound, "itemNotFound")
}

func TestActivationWindow(t *testing.T) {
	e := start(t, Options{ActivationWindowSteps: -1})
	id := e.create("W1")
	if err := e.srv.Assign(id, e.alice.ID); err != nil {
		t.Fatal(err)
	}
	old := e.code(id, time.Now().Add(-90*time.Second))
	if old == e.code(id, time.Now()) {
		t.Skip("the codes of two steps happen to collide")
	}
	status, body := e.do("POST", methods(e.alice)+"/"+id+"/activate", map[string]any{"verificationCode": old})
	want(t, "stale code with no window", status, body, http.StatusBadRequest, "invalidVerificationCode")
}

func TestAssignAndActivate(t *testing.T) {
	e := start(t, Options{})
	m := methods(e.alice)
	bad, good, sha256 := e.create("A1"), e.create("A2"), e.create("A3")
	if err := e.srv.UpdateDevice(sha256, func(d *Device) {
		d.HashFunction, d.TimeIntervalInSeconds, d.SecretKey = HashSHA256, 60, "jbswy3dpehpk3pxp"
	}); err != nil {
		t.Fatal(err)
	}

	status, body := e.do("POST", m+"/assignAndActivate", map[string]any{"device": map[string]any{"id": bad}, "verificationCode": "123456"})
	want(t, "assignAndActivate with a wrong code", status, body, http.StatusBadRequest, "invalidVerificationCode")
	if d, _ := e.srv.Device(bad); d.Status != StatusFailedActivation || d.AssignedToID != e.alice.ID {
		t.Fatalf("after a wrong code: %+v", d)
	}
	status, body = e.do("POST", m+"/assignAndActivate", map[string]any{"device": map[string]any{"id": good}, "verificationCode": e.code(good, time.Now())})
	want(t, "assignAndActivate", status, body, http.StatusNoContent, "")
	status, body = e.do("POST", m+"/assignAndActivateBySerialNumber", map[string]any{"serialNumber": "A3", "verificationCode": e.code(sha256, time.Now()), "displayName": "SHA-256"})
	want(t, "assignAndActivateBySerialNumber", status, body, http.StatusNoContent, "")
	for _, id := range []string{good, sha256} {
		if d, _ := e.srv.Device(id); d.Status != StatusActivated {
			t.Fatalf("%s: %+v", id, d)
		}
	}
	status, body = e.do("POST", methods(e.bob)+"/assignAndActivateBySerialNumber", map[string]any{"serialNumber": "A3", "verificationCode": "123456"})
	want(t, "by serial, assigned to another user", status, body, http.StatusConflict, "conflict")
	status, body = e.do("POST", m+"/assignAndActivateBySerialNumber", map[string]any{"serialNumber": "NOPE", "verificationCode": "123456"})
	want(t, "by unknown serial", status, body, http.StatusNotFound, "itemNotFound")
	status, body = e.do("POST", m+"/assignAndActivate", map[string]any{"device": map[string]any{"id": good}})
	want(t, "no code", status, body, http.StatusBadRequest, "invalidRequest")
}

func TestAssignmentRules(t *testing.T) {
	e := start(t, Options{MaxTokensPerUser: 2})
	ids := []string{e.create("Q1"), e.create("Q2"), e.create("Q3")}
	assign := func(u string, id string) (int, map[string]any) {
		return e.do("POST", "/beta/users/"+u+"/authentication/hardwareOathMethods", map[string]any{"device": map[string]any{"id": id}})
	}

	status, body := assign(e.guest.ID, ids[0])
	want(t, "guest", status, body, http.StatusBadRequest, "invalidRequest")
	status, body = assign("nobody@contoso.example", ids[0])
	want(t, "unknown user", status, body, http.StatusNotFound, "Request_ResourceNotFound")
	status, body = assign(e.alice.ID, "00000000-0000-0000-0000-000000000000")
	want(t, "unknown device", status, body, http.StatusNotFound, "itemNotFound")
	status, body = assign("ALICE@contoso.example", ids[0])
	want(t, "UPN in another case", status, body, http.StatusCreated, "")
	status, body = assign(e.alice.ID, ids[1])
	want(t, "second token", status, body, http.StatusCreated, "")
	status, body = assign(e.alice.ID, ids[2])
	want(t, "over the quota", status, body, http.StatusBadRequest, "quotaLimitReached")

	b := deviceBody("Q4")
	b["assignTo"] = map[string]any{"id": e.alice.ID}
	status, body = e.do("POST", devices, b)
	want(t, "create and assign over the quota", status, body, http.StatusBadRequest, "quotaLimitReached")

	status, body = e.do("GET", "/beta/users/alice@contoso.example?$select=id,userType", nil)
	if status != 200 || body["id"] != e.alice.ID || body["userType"] != "Member" || body["accountEnabled"] != true {
		t.Fatalf("get user: %d %v", status, body)
	}
	status, body = e.do("GET", "/beta/users/nobody@contoso.example", nil)
	want(t, "get unknown user", status, body, http.StatusNotFound, "Request_ResourceNotFound")
}
