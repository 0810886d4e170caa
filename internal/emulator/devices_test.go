package emulator

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestCreateDeviceValidation(t *testing.T) {
	e := start(t, Options{})
	for name, tc := range map[string]struct {
		key   string
		value any // nil deletes the key
		code  string
	}{
		"no serial":          {"serialNumber", nil, "invalidRequest"},
		"no manufacturer":    {"manufacturer", "", "invalidRequest"},
		"no secret":          {"secretKey", nil, "invalidRequest"},
		"hex secret":         {"secretKey", "3132333435363738393031323334353637383930", "invalidRequest"},
		"long secret":        {"secretKey", strings.Repeat("A", 136), "invalidRequest"},
		"no interval":        {"timeIntervalInSeconds", nil, "invalidRequest"},
		"interval 45":        {"timeIntervalInSeconds", 45, "invalidRequest"},
		"upper-case hash":    {"hashFunction", "HMACSHA1", "invalidRequest"},
		"read-only status":   {"status", "activated", "BadRequest"},
		"lower-case secret":  {"secretKey", "jbswy3dpehpk3pxp", "invalidRequest"},
		"padded secret":      {"secretKey", "JBSWY3DPEHPK3PXP====", "invalidRequest"},
		"string interval":    {"timeIntervalInSeconds", "60", ""},
		"default hash":       {"hashFunction", nil, ""},
		"sha256":             {"hashFunction", "hmacsha256", ""},
		"displayName":        {"displayName", "Token 1", ""},
		"128-character seed": {"secretKey", strings.Repeat("A", 128), ""},
	} {
		b := deviceBody("SN-" + name)
		if tc.value == nil {
			delete(b, tc.key)
		} else {
			b[tc.key] = tc.value
		}
		status, body := e.do("POST", devices, b)
		if tc.code != "" {
			want(t, name, status, body, http.StatusBadRequest, tc.code)
			if strings.Contains(fmt.Sprint(body), fmt.Sprint(tc.value)) && tc.key == "secretKey" {
				t.Errorf("%s: the error echoes the secret", name)
			}
			continue
		}
		want(t, name, status, body, http.StatusCreated, "")
		if body["secretKey"] != nil || body["status"] != StatusAvailable || body["@odata.type"] != deviceType ||
			body["hashFunction"] == "" || body["assignedTo"] != nil {
			t.Errorf("%s: %v", name, body)
		}
	}
	if got := len(e.srv.Devices()); got != 5 {
		t.Fatalf("%d devices stored, want 5", got)
	}
	status, body := e.do("POST", devices, "{not json")
	want(t, "bad JSON", status, body, http.StatusBadRequest, "BadRequest")
}

func TestDeviceGetUpdateDelete(t *testing.T) {
	e := start(t, Options{})
	id := e.create("SN1")

	status, body := e.do("GET", devices+"/"+id, nil)
	want(t, "get", status, body, http.StatusOK, "")
	if body["serialNumber"] != "SN1" || body["secretKey"] != nil || !strings.HasSuffix(body["@odata.context"].(string), "/$entity") {
		t.Fatalf("get: %v", body)
	}
	status, body = e.do("GET", devices+"/00000000-0000-0000-0000-000000000000", nil)
	want(t, "get unknown", status, body, http.StatusNotFound, "itemNotFound")

	status, body = e.do("PATCH", devices+"/"+id, map[string]any{"displayName": "Desk", "hashFunction": "hmacsha256", "timeIntervalInSeconds": 60})
	want(t, "patch", status, body, http.StatusNoContent, "")
	if d, _ := e.srv.Device(id); d.DisplayName != "Desk" || d.HashFunction != HashSHA256 || d.TimeIntervalInSeconds != 60 || d.SecretKey != testSeed {
		t.Fatalf("after patch: %+v", d)
	}
	for _, prop := range []string{"serialNumber", "secretKey", "status"} {
		status, body = e.do("PATCH", devices+"/"+id, map[string]any{prop: "X"})
		want(t, "patch "+prop, status, body, http.StatusBadRequest, "BadRequest")
	}
	status, body = e.do("PATCH", devices+"/"+id, map[string]any{"timeIntervalInSeconds": 10})
	want(t, "patch bad interval", status, body, http.StatusBadRequest, "invalidRequest")

	if err := e.srv.Assign(id, e.alice.UserPrincipalName); err != nil {
		t.Fatal(err)
	}
	status, body = e.do("PATCH", devices+"/"+id, map[string]any{"model": "Y"})
	want(t, "patch assigned", status, body, http.StatusBadRequest, "invalidRequest")
	status, body = e.do("DELETE", devices+"/"+id, nil)
	want(t, "delete assigned", status, body, http.StatusBadRequest, "invalidRequest")

	if err := e.srv.Unassign(id); err != nil {
		t.Fatal(err)
	}
	status, body = e.do("DELETE", devices+"/"+id, nil)
	want(t, "delete", status, body, http.StatusNoContent, "")
	status, body = e.do("DELETE", devices+"/"+id, nil)
	want(t, "delete again", status, body, http.StatusNotFound, "itemNotFound")
}

func TestDuplicateSerialsAllowed(t *testing.T) {
	e := start(t, Options{})
	e.create("DUP")
	e.create("DUP")
	if got := len(e.srv.DevicesBySerial("DUP")); got != 2 {
		t.Fatalf("%d devices with serial DUP, want 2", got)
	}
}

// pages follows @odata.nextLink from path and returns every item and the number of pages.
func (e *env) pages(path string) ([]map[string]any, int) {
	e.t.Helper()
	var items []map[string]any
	n := 0
	for next := path; next != ""; n++ {
		status, body := e.do("GET", next, nil)
		want(e.t, "page", status, body, http.StatusOK, "")
		for _, v := range body["value"].([]any) {
			items = append(items, v.(map[string]any))
		}
		next, _ = body["@odata.nextLink"].(string)
	}
	return items, n
}

func TestListPagingFilterSelect(t *testing.T) {
	e := start(t, Options{PageSize: 10, MaxPageSize: 20})
	for i := range 25 {
		id := e.create(fmt.Sprintf("SN%02d", i))
		if i%5 == 0 {
			if err := e.srv.Assign(id, e.alice.ID); err != nil {
				t.Fatal(err)
			}
		}
	}

	items, pages := e.pages(devices)
	seen := map[string]bool{}
	for _, it := range items {
		seen[it["id"].(string)] = true
	}
	if len(items) != 25 || len(seen) != 25 || pages != 3 {
		t.Fatalf("default paging: %d items (%d distinct) in %d pages", len(items), len(seen), pages)
	}
	if _, pages := e.pages(devices + "?$top=999"); pages != 2 {
		t.Fatalf("$top above the page size was not served in pages of 20: %d pages", pages)
	}
	for _, top := range []string{"1000", "0", "-1", "abc"} {
		status, body := e.do("GET", devices+"?$top="+top, nil)
		want(t, "$top="+top, status, body, http.StatusBadRequest, "Request_BadRequest")
		if msg := body["error"].(map[string]any)["message"]; msg != "Invalid page size specified: '"+top+"'. Must be between 1 and 999 inclusive." {
			t.Errorf("$top=%s: message %q", top, msg)
		}
	}

	q := url.Values{"$filter": {"status eq 'assigned' and assignedTo/id eq '" + e.alice.ID + "'"}, "$select": {"serialNumber,status"}, "$top": {"2"}}
	items, pages = e.pages(devices + "?" + q.Encode())
	if len(items) != 5 || pages != 3 {
		t.Fatalf("filtered: %d items in %d pages", len(items), pages)
	}
	for _, it := range items {
		if len(it) != 3 || it["status"] != StatusAssigned || it["serialNumber"] == nil {
			t.Fatalf("selected item: %v", it)
		}
	}
	status, body := e.do("GET", devices+"?"+q.Encode(), nil)
	if next := body["@odata.nextLink"].(string); status != 200 || !strings.Contains(next, "%24filter=") || !strings.Contains(next, "%24skiptoken=") {
		t.Fatalf("nextLink does not carry the query: %v", body)
	}

	for filter, n := range map[string]int{
		"serialNumber eq 'SN07'":                               1,
		"timeIntervalInSeconds eq 30 and model eq 'OTP 110'":   25,
		"manufacturer eq 'O''Brien'":                           0,
		"hashFunction eq 'hmacsha1' AND status eq 'available'": 20,
	} {
		items, _ := e.pages(devices + "?" + url.Values{"$filter": {filter}}.Encode())
		if len(items) != n {
			t.Errorf("%s: %d items, want %d", filter, len(items), n)
		}
	}
	for _, q := range []string{"$filter=serialNumber ne 'x'", "$filter=displayName eq 'x'", "$select=nope"} {
		status, body := e.do("GET", devices+"?"+strings.ReplaceAll(q, " ", "%20"), nil)
		want(t, q, status, body, http.StatusBadRequest, "BadRequest")
	}

	resp := e.raw("GET", devices+"/$count?$filter=status%20eq%20'assigned'")
	if resp != "5" {
		t.Fatalf("$count = %q", resp)
	}
}

// raw returns a successful call's body as text.
func (e *env) raw(method, path string) string {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b.String())
	}
	return b.String()
}

func TestBulkCreate(t *testing.T) {
	e := start(t, Options{})
	one, two := deviceBody("B1"), deviceBody("B2")
	one["@contentId"], two["@contentId"] = "1", "2"
	one["timeIntervalInSeconds"] = "30"
	two["assignTo"] = map[string]any{"id": e.alice.ID}
	status, body := e.do("PATCH", devices, map[string]any{"@context": "#$delta", "value": []any{one, two}})
	want(t, "bulk", status, body, http.StatusCreated, "")
	value := body["value"].([]any)
	if len(value) != 2 || value[1].(map[string]any)["status"] != StatusAssigned || value[0].(map[string]any)["@contentId"] != "1" {
		t.Fatalf("bulk: %v", body)
	}

	bad := deviceBody("B3")
	bad["secretKey"] = "not base32 1"
	status, body = e.do("PATCH", devices, map[string]any{"@context": "#$delta", "value": []any{deviceBody("B4"), bad}})
	want(t, "bulk with a bad item", status, body, http.StatusBadRequest, "invalidRequest")
	if n := len(e.srv.Devices()); n != 2 {
		t.Fatalf("a failed bulk create left %d devices, want 2", n)
	}
}

func TestGzipRequestBody(t *testing.T) {
	e := start(t, Options{})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprint(zw, `{"serialNumber":"GZ1","manufacturer":"M","model":"X","secretKey":"`+testSeed+`","timeIntervalInSeconds":30}`)
	zw.Close()
	status, body, _ := e.doHeaders("POST", devices, buf.Bytes(), http.Header{
		"Authorization": {"Bearer " + e.token}, "Content-Encoding": {"gzip"}, "Content-Type": {"application/json"},
	})
	want(t, "gzip create", status, body, http.StatusCreated, "")
}

func TestPermissions(t *testing.T) {
	e := start(t, Options{})
	id := e.create("P1")
	e.srv.SetAppPermissions(PermPolicyReadAll)
	e.token = e.newToken()

	status, body := e.do("GET", devices+"/"+id, nil)
	want(t, "read with Policy.Read.All", status, body, http.StatusOK, "")
	for what, call := range map[string][2]string{
		"create":       {"POST", devices},
		"delete":       {"DELETE", devices + "/" + id},
		"list methods": {"GET", methods(e.alice)},
		"policy":       {"GET", policyPath},
		"user":         {"GET", "/beta/users/" + e.alice.ID},
	} {
		status, body := e.do(call[0], call[1], deviceBody("P2"))
		want(t, what, status, body, http.StatusForbidden, "Authorization_RequestDenied")
	}

	// Creating with assignTo needs the user-method permission as well.
	e.srv.SetAppPermissions(PermPolicyReadWriteAuthMethod)
	e.token = e.newToken()
	b := deviceBody("P3")
	b["assignTo"] = map[string]any{"id": e.alice.ID}
	status, body = e.do("POST", devices, b)
	want(t, "create and assign", status, body, http.StatusForbidden, "Authorization_RequestDenied")
	e.srv.SetAppPermissions(PermPolicyReadWriteAuthMethod, PermUserAuthMethodReadWriteAll)
	e.token = e.newToken()
	status, body = e.do("POST", devices, b)
	want(t, "create and assign", status, body, http.StatusCreated, "")
	if body["status"] != StatusAssigned || body["assignedTo"].(map[string]any)["displayName"] != "Alice" {
		t.Fatalf("create and assign: %v", body)
	}
}

func TestUnknownSegment(t *testing.T) {
	e := start(t, Options{})
	status, body := e.do("GET", "/beta/directory/nothingHere", nil)
	want(t, "unknown segment", status, body, http.StatusBadRequest, "BadRequest")
}

func TestDeleteUserReturnsTokens(t *testing.T) {
	e := start(t, Options{})
	id := e.create("GONE")
	if err := e.srv.Assign(id, e.alice.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.DeleteUser(e.alice.UserPrincipalName); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.srv.User(e.alice.ID); ok {
		t.Fatal("the deleted user is still there")
	}
	if d, _ := e.srv.Device(id); d.Status != StatusAvailable || d.AssignedToID != "" {
		t.Fatalf("the deleted user's token is %s, assigned to %q; want available, assigned to nobody", d.Status, d.AssignedToID)
	}
	if err := e.srv.DeleteUser(e.alice.ID); err == nil {
		t.Fatal("deleting a user twice succeeded")
	}
}
