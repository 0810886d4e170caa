package graph_test

import (
	"context"
	"testing"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

func TestGetUser(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, startEmulator(t, emulator.Options{}), 0)
	want := h.srv.AddUser(emulator.User{UserPrincipalName: "amy.o+test@contoso.example", DisplayName: "Amy", UserType: "Guest", AccountDisabled: true})

	for _, ref := range []string{want.UserPrincipalName, want.ID} {
		got, err := h.client.GetUser(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if *got != (graph.User{ID: want.ID, UserPrincipalName: want.UserPrincipalName, DisplayName: "Amy", UserType: "Guest", AccountDisabled: true}) {
			t.Fatalf("GetUser(%q) = %+v", ref, got)
		}
	}
	// accountEnabled is read: an enabled user is not disabled.
	enabled := h.srv.AddUser(emulator.User{UserPrincipalName: "bob@contoso.example"})
	if got, err := h.client.GetUser(ctx, enabled.ID); err != nil || got.AccountDisabled {
		t.Fatalf("GetUser(enabled) = %+v, %v", got, err)
	}
	_, err := h.client.GetUser(ctx, "nobody@contoso.example")
	if !graph.IsNotFound(err) {
		t.Fatalf("unknown user: %v", err)
	}
}

// TestMethodLifecycle walks a token through assign, activate, deactivate and unassign, with codes computed from
// the seed the test created, for both hash functions and periods.
func TestMethodLifecycle(t *testing.T) {
	for _, tc := range []struct {
		hash   string
		period int32
		seed   int
	}{
		{graph.HashSHA1, 30, 20},
		{graph.HashSHA256, 60, 32},
	} {
		t.Run(tc.hash, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t, startEmulator(t, emulator.Options{}), 0)
			user := h.srv.AddUser(emulator.User{UserPrincipalName: "amy@contoso.example"})
			d := newDevice(t)
			d.HashFunction, d.TimeIntervalInSeconds, d.SecretKey = tc.hash, tc.period, newSeed(t, tc.seed)
			d.ID = create(t, h.client, d).ID

			status := func(want string) {
				t.Helper()
				got, err := h.client.GetDevice(ctx, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != want {
					t.Fatalf("status = %q, want %q", got.Status, want)
				}
			}

			if err := h.client.AssignDevice(ctx, user.UserPrincipalName, d.ID); err != nil {
				t.Fatal(err)
			}
			status(graph.StatusAssigned)
			methods, err := h.client.ListMethods(ctx, user.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(methods) != 1 || methods[0].ID != d.ID || methods[0].CreatedDateTime == nil ||
				methods[0].Device == nil || methods[0].Device.SerialNumber != d.SerialNumber {
				t.Fatalf("methods = %+v", methods)
			}

			if err := h.client.ActivateMethod(ctx, user.UserPrincipalName, d.ID, code(t, d), "Amy's token"); err != nil {
				t.Fatal(err)
			}
			status(graph.StatusActivated)
			if err := h.client.DeactivateMethod(ctx, user.ID, d.ID); err != nil {
				t.Fatal(err)
			}
			status(graph.StatusAssigned)
			if err := h.client.UnassignDevice(ctx, user.UserPrincipalName, d.ID); err != nil {
				t.Fatal(err)
			}
			status(graph.StatusAvailable)

			if err := h.client.AssignAndActivate(ctx, user.ID, d.ID, code(t, d), ""); err != nil {
				t.Fatal(err)
			}
			status(graph.StatusActivated)
		})
	}
}
