package emulator

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestPolicy(t *testing.T) {
	e := start(t, Options{})
	status, body := e.do("GET", policyPath, nil)
	want(t, "get", status, body, http.StatusOK, "")
	if body["state"] != "disabled" || body["@odata.type"] != policyType ||
		!reflect.DeepEqual(body["includeTargets"], []any{map[string]any{"id": "all_users", "targetType": "group", "isRegistrationRequired": false}}) {
		t.Fatalf("default policy: %v", body)
	}

	status, body = e.do("PATCH", policyPath, map[string]any{"state": "enabled"})
	want(t, "patch without @odata.type", status, body, http.StatusBadRequest, "BadRequest")
	status, body = e.do("PATCH", policyPath, map[string]any{"@odata.type": policyType, "state": "on"})
	want(t, "patch a bad state", status, body, http.StatusBadRequest, "invalidRequest")

	// A client in the wild spells the segment HardwareOath and PATCHes back what it read.
	upper := strings.Replace(policyPath, "hardwareOath", "HardwareOath", 1)
	_, read := e.do("GET", upper, nil)
	read["state"] = "enabled"
	read["includeTargets"] = []any{map[string]any{"id": "g1", "targetType": "group", "isRegistrationRequired": true}}
	read["excludeTargets"] = []any{map[string]any{"id": "g2", "targetType": "group"}}
	status, body = e.do("PATCH", upper, read)
	want(t, "patch", status, body, http.StatusNoContent, "")
	wantPolicy := Policy{State: "enabled",
		IncludeTargets: []PolicyTarget{{ID: "g1", TargetType: "group", IsRegistrationRequired: true}},
		ExcludeTargets: []PolicyTarget{{ID: "g2", TargetType: "group"}}}
	if got := e.srv.Policy(); !reflect.DeepEqual(got, wantPolicy) {
		t.Fatalf("after patch: %+v", got)
	}

	status, body = e.do("DELETE", policyPath, nil)
	want(t, "delete", status, body, http.StatusNoContent, "")
	if got := e.srv.Policy(); !reflect.DeepEqual(got, defaultPolicy()) {
		t.Fatalf("after delete: %+v", got)
	}
	if n := e.srv.Requests()["PATCH "+policyPath]; n != 3 {
		t.Fatalf("policy PATCHes counted %d under the canonical path, want 3", n)
	}
}
