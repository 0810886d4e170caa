package main

import (
	"path/filepath"
	"testing"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// TestStateRoundTrip: what -state saves on stop, the next start loads: users, tokens with seed, status and holder,
// and revoked permissions.
func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenant.json")
	start := func() *emulator.Server {
		srv, err := emulator.Start(emulator.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv
	}
	before := start()
	ann := before.AddUser(emulator.User{UserPrincipalName: "ann@contoso.example", DisplayName: "Ann Smith"})
	if _, err := before.AddDevice(emulator.Device{SerialNumber: "S1", Manufacturer: "M", Model: "X", SecretKey: "JBSWY3DPEHPK3PXP",
		TimeIntervalInSeconds: 60, AssignedToID: ann.ID, Status: emulator.StatusActivated}); err != nil {
		t.Fatal(err)
	}
	before.SetAppPermissions(emulator.PermUserReadAll)
	if err := saveState(before, path); err != nil {
		t.Fatal(err)
	}

	after := start()
	if err := loadState(after, path); err != nil {
		t.Fatal(err)
	}
	if u, ok := after.User("ann@contoso.example"); !ok || u != ann {
		t.Errorf("user after load: %+v, want %+v", u, ann)
	}
	got, want := after.Devices(), before.Devices()
	if len(got) != 1 || !got[0].AssignedAt.Equal(want[0].AssignedAt) {
		t.Fatalf("tokens after load: %+v, want %+v", got, want)
	}
	got[0].AssignedAt = want[0].AssignedAt // equal (checked above), but JSON drops the monotonic reading and the zone
	if got[0] != want[0] {
		t.Errorf("token after load: %+v, want %+v", got[0], want[0])
	}
	if perms := after.AppPermissions(); len(perms) != 1 || perms[0] != emulator.PermUserReadAll {
		t.Errorf("permissions after load: %v", perms)
	}
}
