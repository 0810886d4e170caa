package graph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

func TestDeviceLifecycle(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, startEmulator(t, emulator.Options{}), 0)
	want := newDevice(t)

	created := create(t, h.client, want)
	if created.ID == "" || created.Status != graph.StatusAvailable || created.AssignedTo != nil || created.SecretKey != "" {
		t.Fatalf("created = %+v", created)
	}
	stored, ok := h.srv.Device(created.ID)
	if !ok || stored.SecretKey != want.SecretKey {
		t.Fatalf("the emulator did not receive the secret: %+v", stored)
	}

	got, err := h.client.GetDevice(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	want.ID, want.Status, want.SecretKey = created.ID, graph.StatusAvailable, ""
	if *got != want {
		t.Fatalf("GetDevice = %+v, want %+v", got, want)
	}

	name, period, hash := "Renamed", int32(60), graph.HashSHA256
	if err := h.client.UpdateDevice(ctx, created.ID, graph.DeviceUpdate{
		DisplayName: &name, TimeIntervalInSeconds: &period, HashFunction: &hash,
	}); err != nil {
		t.Fatal(err)
	}
	got, err = h.client.GetDevice(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != name || got.TimeIntervalInSeconds != period || got.HashFunction != hash || got.Model != want.Model {
		t.Fatalf("after update: %+v", got)
	}

	if err := h.client.DeleteDevice(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = h.client.GetDevice(ctx, created.ID)
	if !graph.IsNotFound(err) {
		t.Fatalf("GetDevice after delete: %v", err)
	}
	wantGraphError(t, err, 404, "itemNotFound")
}

func TestListDevicesPagesAndFilters(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, startEmulator(t, emulator.Options{MaxPageSize: 10}), 0)
	user := h.srv.AddUser(emulator.User{UserPrincipalName: "amy@contoso.example", DisplayName: "Amy"})

	// Created concurrently, as Terraform does: the client is shared by parallel resource operations.
	devices := make([]*graph.Device, 25)
	var creates []func() error
	for i := range devices {
		d := newDevice(t)
		d.Manufacturer = fmt.Sprintf("Vendor%d", i%2)
		if i == 7 {
			d.Model = "O'Brien 2000" // needs OData quote escaping
		}
		creates = append(creates, func() (err error) {
			devices[i], err = h.client.CreateDevice(ctx, d, "")
			return err
		})
	}
	concurrently(t, creates...)
	if t.Failed() {
		t.FailNow()
	}
	quoted, assigned := devices[7], devices[8]
	if err := h.client.AssignDevice(ctx, user.ID, assigned.ID); err != nil {
		t.Fatal(err)
	}

	all, err := h.client.ListDevices(ctx, graph.DeviceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 25 {
		t.Fatalf("listed %d devices, want 25", len(all))
	}
	if pages := len(h.attempts("GET", devicesTemplate)); pages != 3 {
		t.Fatalf("listing 25 devices by pages of 10 took %d requests, want 3", pages)
	}

	for _, tc := range []struct {
		name   string
		filter graph.DeviceFilter
		want   int
	}{
		{"serial", graph.DeviceFilter{SerialNumber: quoted.SerialNumber}, 1},
		{"manufacturer", graph.DeviceFilter{Manufacturer: "Vendor1"}, 12},
		{"quoted model", graph.DeviceFilter{Model: "O'Brien 2000"}, 1},
		{"assigned to", graph.DeviceFilter{AssignedToID: user.ID}, 1},
		{"status and manufacturer", graph.DeviceFilter{Status: graph.StatusAssigned, Manufacturer: "Vendor0"}, 1},
		{"no match", graph.DeviceFilter{SerialNumber: "nope"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.client.ListDevices(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Fatalf("got %d devices, want %d", len(got), tc.want)
			}
		})
	}
}

func TestCreateDeviceAssigned(t *testing.T) {
	h := newHarness(t, startEmulator(t, emulator.Options{}), 0)
	user := h.srv.AddUser(emulator.User{UserPrincipalName: "bob@contoso.example", DisplayName: "Bob"})

	got, err := h.client.CreateDevice(context.Background(), newDevice(t), user.ID)
	if err != nil {
		t.Fatal(err)
	}
	// CONTRACT.md: the docs disagree on "assigned" vs "available" here; both must read fine.
	if got.Status != graph.StatusAssigned && got.Status != graph.StatusAvailable {
		t.Fatalf("status = %q", got.Status)
	}
	if got.AssignedTo == nil || *got.AssignedTo != (graph.Identity{ID: user.ID, DisplayName: "Bob"}) {
		t.Fatalf("assignedTo = %+v", got.AssignedTo)
	}
}
