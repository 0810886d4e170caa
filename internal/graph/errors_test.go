package graph_test

import (
	"context"
	"testing"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

func TestErrorsAreTyped(t *testing.T) {
	ctx := context.Background()
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	amy := srv.AddUser(emulator.User{UserPrincipalName: "amy@contoso.example"})
	bob := srv.AddUser(emulator.User{UserPrincipalName: "bob@contoso.example"})
	d := newDevice(t)
	d.ID = create(t, h.client, d).ID

	t.Run("404", func(t *testing.T) {
		_, err := h.client.GetDevice(ctx, "00000000-0000-4000-8000-00000000dead")
		wantGraphError(t, err, 404, "itemNotFound")
		if !graph.IsNotFound(err) {
			t.Fatal("IsNotFound = false")
		}
	})

	t.Run("409", func(t *testing.T) {
		if err := h.client.AssignDevice(ctx, amy.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		err := h.client.AssignDevice(ctx, bob.ID, d.ID)
		wantGraphError(t, err, 409, "conflict")
		if !graph.IsConflict(err) {
			t.Fatal("IsConflict = false")
		}
	})

	t.Run("400 wrong code leaks neither code nor secret", func(t *testing.T) {
		err := h.client.ActivateMethod(ctx, amy.ID, d.ID, "000000", "")
		wantGraphError(t, err, 400, "invalidVerificationCode")
		assertNoSecret(t, err, "000000", d.SecretKey)
	})

	t.Run("400 on create leaks no secret", func(t *testing.T) {
		bad := newDevice(t)
		bad.TimeIntervalInSeconds = 45
		_, err := h.client.CreateDevice(ctx, bad, "")
		wantGraphError(t, err, 400, "invalidRequest")
		assertNoSecret(t, err, bad.SecretKey)
	})

	t.Run("403", func(t *testing.T) {
		// Permissions are stamped into tokens at issue, so a new client (new token) sees the reduced grant.
		srv.SetAppPermissions(emulator.PermPolicyReadAll)
		readOnly := newHarness(t, srv, 0)
		if _, err := readOnly.client.ListDevices(ctx, graph.DeviceFilter{}); err != nil {
			t.Fatalf("reading with Policy.Read.All: %v", err)
		}
		_, err := readOnly.client.CreateDevice(ctx, newDevice(t), "")
		wantGraphError(t, err, 403, "Authorization_RequestDenied")
		if !graph.IsForbidden(err) {
			t.Fatal("IsForbidden = false")
		}
	})
}
