package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// Request keys as the emulator counts them (method and route pattern).
const (
	reqListDevices = "GET /beta" + devicesTemplate
	reqGetDevice   = "GET /beta" + devicesTemplate + "/{id}"
	reqGetUser     = "GET /beta/users/{user}"
)

// addDevices puts n devices in the inventory out of band, as a vendor import in the portal would.
func addDevices(t *testing.T, srv *emulator.Server, n int) []emulator.Device {
	t.Helper()
	out := make([]emulator.Device, n)
	for i := range out {
		d := newDevice(t)
		added, err := srv.AddDevice(emulator.Device{
			SerialNumber: d.SerialNumber, Manufacturer: d.Manufacturer, Model: d.Model, SecretKey: d.SecretKey,
			TimeIntervalInSeconds: 30, HashFunction: graph.HashSHA1,
		})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = added
	}
	return out
}

func wantRequests(t *testing.T, srv *emulator.Server, want map[string]int) {
	t.Helper()
	got := srv.Requests()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d requests, want %d (all: %v)", k, got[k], n, got)
		}
	}
}

func TestSharedReads_manyReadsOneListing(t *testing.T) {
	// A small page size makes the listing follow nextLink: 250 devices are 3 pages.
	srv := startEmulator(t, emulator.Options{MaxPageSize: 100})
	h := newHarness(t, srv, 0)
	devices := addDevices(t, srv, 250)
	api := graph.NewSharedReads(h.client)

	// Concurrent first reads all wait for the one listing.
	var reads []func() error
	for _, d := range devices {
		reads = append(reads, func() error {
			got, err := api.GetDevice(context.Background(), d.ID)
			if err == nil && got.SerialNumber != d.SerialNumber {
				err = fmt.Errorf("device %s: serial %q, want %q", d.ID, got.SerialNumber, d.SerialNumber)
			}
			return err
		})
	}
	concurrently(t, reads...)
	wantRequests(t, srv, map[string]int{reqListDevices: 3, reqGetDevice: 0})
}

func TestSharedReads_outOfBandChangeBeforeFirstReadIsSeen(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	d := addDevices(t, srv, 1)[0]
	api := graph.NewSharedReads(h.client) // configured before the change, as the provider is before its first read

	if err := srv.UpdateDevice(d.ID, func(d *emulator.Device) { d.DisplayName = "renamed in the portal" }); err != nil {
		t.Fatal(err)
	}
	if err := srv.Assign(d.ID, srv.AddUser(emulator.User{UserPrincipalName: "oob@contoso.example"}).ID); err != nil {
		t.Fatal(err)
	}
	got, err := api.GetDevice(context.Background(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "renamed in the portal" || got.AssignedTo == nil || got.Status != graph.StatusAssigned {
		t.Fatalf("read %+v, want the out-of-band rename and assignment", got)
	}
}

func TestSharedReads_readAfterWriteGoesToGraph(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	ctx := context.Background()
	user := srv.AddUser(emulator.User{UserPrincipalName: "writer@contoso.example"})

	for _, tc := range []struct {
		name  string
		setup func(d graph.Device) // puts the device in the state the write needs
		write func(api graph.API, d graph.Device) error
		check func(got *graph.Device, err error) error
	}{
		{
			name: "update",
			write: func(api graph.API, d graph.Device) error {
				return api.UpdateDevice(ctx, d.ID, graph.DeviceUpdate{DisplayName: ptr("new name")})
			},
			check: wantDevice(func(g *graph.Device) bool { return g.DisplayName == "new name" }),
		},
		{
			name:  "assign",
			write: func(api graph.API, d graph.Device) error { return api.AssignDevice(ctx, user.ID, d.ID) },
			check: wantDevice(func(g *graph.Device) bool { return g.AssignedTo != nil && g.Status == graph.StatusAssigned }),
		},
		{
			name: "assignAndActivate",
			write: func(api graph.API, d graph.Device) error {
				return api.AssignAndActivate(ctx, user.ID, d.ID, code(t, d), "")
			},
			check: wantDevice(func(g *graph.Device) bool { return g.Status == graph.StatusActivated }),
		},
		{
			name:  "activate",
			setup: func(d graph.Device) { mustDo(t, srv.Assign(d.ID, user.ID)) },
			write: func(api graph.API, d graph.Device) error {
				return api.ActivateMethod(ctx, user.ID, d.ID, code(t, d), "")
			},
			check: wantDevice(func(g *graph.Device) bool { return g.Status == graph.StatusActivated }),
		},
		{
			name: "deactivate",
			setup: func(d graph.Device) {
				mustDo(t, srv.Assign(d.ID, user.ID))
				mustDo(t, srv.Activate(d.ID))
			},
			write: func(api graph.API, d graph.Device) error { return api.DeactivateMethod(ctx, user.ID, d.ID) },
			check: wantDevice(func(g *graph.Device) bool { return g.Status == graph.StatusAssigned }),
		},
		{
			name:  "unassign",
			setup: func(d graph.Device) { mustDo(t, srv.Assign(d.ID, user.ID)) },
			write: func(api graph.API, d graph.Device) error { return api.UnassignDevice(ctx, user.ID, d.ID) },
			check: wantDevice(func(g *graph.Device) bool { return g.AssignedTo == nil && g.Status == graph.StatusAvailable }),
		},
		{
			name:  "delete",
			write: func(api graph.API, d graph.Device) error { return api.DeleteDevice(ctx, d.ID) },
			check: func(_ *graph.Device, err error) error {
				if !graph.IsNotFound(err) {
					return fmt.Errorf("read after delete: %v, want a 404", err)
				}
				return nil
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := newDevice(t)
			d := create(t, h.client, want)
			d.SecretKey = want.SecretKey // for the verification codes
			if tc.setup != nil {
				tc.setup(*d)
			}
			api := graph.NewSharedReads(h.client)
			if _, err := api.GetDevice(ctx, d.ID); err != nil { // loads the listing, which holds the old state
				t.Fatal(err)
			}
			srv.ResetRequests()
			if err := tc.write(api, *d); err != nil {
				t.Fatal(err)
			}
			if err := tc.check(api.GetDevice(ctx, d.ID)); err != nil {
				t.Fatal(err)
			}
			wantRequests(t, srv, map[string]int{reqGetDevice: 1, reqListDevices: 0})
		})
	}
}

func wantDevice(ok func(*graph.Device) bool) func(*graph.Device, error) error {
	return func(g *graph.Device, err error) error {
		if err != nil {
			return err
		}
		if !ok(g) {
			return fmt.Errorf("read after write returned the stale %+v", g)
		}
		return nil
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestSharedReads_createThenReadCostsNoRequest(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	api := graph.NewSharedReads(h.client)
	want := newDevice(t)
	srv.ResetRequests()

	created, err := api.CreateDevice(context.Background(), want, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := api.GetDevice(context.Background(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SerialNumber != want.SerialNumber || got.ID != created.ID || got.SecretKey != "" {
		t.Fatalf("read %+v after creating %s", got, want.SerialNumber)
	}
	wantRequests(t, srv, map[string]int{"POST /beta" + devicesTemplate: 1, reqGetDevice: 0, reqListDevices: 0})
}

func TestSharedReads_deviceMissingFromListing(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	ctx := context.Background()
	first := addDevices(t, srv, 1)[0]
	api := graph.NewSharedReads(h.client)
	if _, err := api.GetDevice(ctx, first.ID); err != nil {
		t.Fatal(err)
	}

	// Added after the listing: read from Graph. Never existed: a 404.
	later := addDevices(t, srv, 1)[0]
	got, err := api.GetDevice(ctx, later.ID)
	if err != nil || got.SerialNumber != later.SerialNumber {
		t.Fatalf("device added after the listing: %+v, %v", got, err)
	}
	if _, err := api.GetDevice(ctx, "00000000-0000-4000-8000-0000000000ff"); !graph.IsNotFound(err) {
		t.Fatalf("unknown device: %v, want a 404", err)
	}
	wantRequests(t, srv, map[string]int{reqListDevices: 1, reqGetDevice: 2})
}

func TestSharedReads_usersRememberedByIDAndUPN(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	ctx := context.Background()
	u := srv.AddUser(emulator.User{UserPrincipalName: "Cached.User@contoso.example"})
	api := graph.NewSharedReads(h.client)
	srv.ResetRequests()

	for _, ref := range []string{u.UserPrincipalName, u.ID, "cached.user@CONTOSO.example"} {
		got, err := api.GetUser(ctx, ref)
		if err != nil || got.ID != u.ID || got.UserPrincipalName != u.UserPrincipalName {
			t.Fatalf("GetUser(%q) = %+v, %v", ref, got, err)
		}
	}
	if _, err := api.GetUser(ctx, "nobody@contoso.example"); !graph.IsNotFound(err) {
		t.Fatalf("unknown user: %v, want a 404", err)
	}
	wantRequests(t, srv, map[string]int{reqGetUser: 2})
}

// TestSharedReads_concurrentReadsAndWrites is for -race: reads, creates and writes interleave while the listing
// loads, and every read after a write observes it.
func TestSharedReads_concurrentReadsAndWrites(t *testing.T) {
	srv := startEmulator(t, emulator.Options{MaxPageSize: 20})
	h := newHarness(t, srv, 0)
	ctx := context.Background()
	devices := addDevices(t, srv, 60)
	api := graph.NewSharedReads(h.client)

	var calls []func() error
	for i, d := range devices {
		calls = append(calls, func() error {
			if i%2 == 0 {
				name := fmt.Sprintf("renamed %d", i)
				if err := api.UpdateDevice(ctx, d.ID, graph.DeviceUpdate{DisplayName: &name}); err != nil {
					return err
				}
				if got, err := api.GetDevice(ctx, d.ID); err != nil || got.DisplayName != name {
					return fmt.Errorf("read after update of %s: %+v, %v", d.ID, got, err)
				}
				return nil
			}
			_, err := api.GetDevice(ctx, d.ID)
			return err
		}, func() error {
			created, err := api.CreateDevice(ctx, newDevice(t), "")
			if err == nil {
				_, err = api.GetDevice(ctx, created.ID)
			}
			return err
		})
	}
	concurrently(t, calls...)
	if n := srv.Requests()[reqListDevices]; n < 1 || n > 10 {
		t.Errorf("%d listing requests, want one listing (at most 10 pages of 20)", n)
	}
}

func TestSharedReads_waitingReadHonoursItsContext(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	d := addDevices(t, srv, 1)[0]
	api := graph.NewSharedReads(h.client)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := api.GetDevice(ctx, d.ID); err == nil {
		t.Fatal("a read with a cancelled context succeeded")
	}
	// The listing started for the cancelled read still serves the next one.
	if got, err := api.GetDevice(context.Background(), d.ID); err != nil || got.ID != d.ID {
		t.Fatalf("read after a cancelled read: %+v, %v", got, err)
	}
	wantRequests(t, srv, map[string]int{reqListDevices: 1, reqGetDevice: 0})
}

func TestSharedReads_freshReadsBypassTheListing(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	ctx := context.Background()
	d := addDevices(t, srv, 1)[0]
	api := graph.NewSharedReads(h.client)
	if _, err := api.GetDevice(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	mustDo(t, srv.UpdateDevice(d.ID, func(d *emulator.Device) { d.DisplayName = "renamed after the listing" }))

	got, err := api.GetDevice(graph.WithFreshReads(ctx), d.ID)
	if err != nil || got.DisplayName != "renamed after the listing" {
		t.Fatalf("fresh read: %+v, %v; want the rename", got, err)
	}

	// A token deleted and uploaded again keeps its serial number, not its id.
	mustDo(t, srv.DeleteDevice(d.ID))
	again := d
	again.ID = ""
	again, err = srv.AddDevice(again)
	if err != nil {
		t.Fatal(err)
	}
	bySerial, err := api.DevicesBySerial(graph.WithFreshReads(ctx), d.SerialNumber)
	if err != nil || len(bySerial) != 1 || bySerial[0].ID != again.ID {
		t.Fatalf("fresh serial lookup: %+v, %v; want only the token uploaded again, %s", bySerial, err, again.ID)
	}
	wantRequests(t, srv, map[string]int{reqListDevices: 2, reqGetDevice: 1})
}

// A data source's filtered list shares the listing with every device read while the command has written nothing;
// after a write it goes to Graph, and sees the write.
func TestSharedReads_listDevicesSharesTheListingUntilAWrite(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	h := newHarness(t, srv, 0)
	ctx := context.Background()
	devices := addDevices(t, srv, 3)
	user := srv.AddUser(emulator.User{UserPrincipalName: "lister@contoso.example"})
	if err := srv.Assign(devices[1].ID, user.ID); err != nil {
		t.Fatal(err)
	}
	api := graph.NewSharedReads(h.client)
	srv.ResetRequests()

	list := func(f graph.DeviceFilter) []string {
		t.Helper()
		got, err := api.ListDevices(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var serials []string
		for _, d := range got {
			serials = append(serials, d.SerialNumber)
		}
		slices.Sort(serials)
		return serials
	}
	for _, tc := range []struct {
		filter graph.DeviceFilter
		want   []string
	}{
		{graph.DeviceFilter{AssignedToID: user.ID}, []string{devices[1].SerialNumber}},
		{graph.DeviceFilter{Status: graph.StatusAssigned, Manufacturer: devices[1].Manufacturer}, []string{devices[1].SerialNumber}},
		{graph.DeviceFilter{SerialNumber: strings.ToLower(devices[0].SerialNumber)}, nil}, // OData compares case-sensitively
		{graph.DeviceFilter{SerialNumber: devices[2].SerialNumber}, []string{devices[2].SerialNumber}},
	} {
		if got := list(tc.filter); !slices.Equal(got, tc.want) {
			t.Errorf("ListDevices(%+v) from the listing: %v, want %v", tc.filter, got, tc.want)
		}
	}
	if _, err := api.GetDevice(ctx, devices[0].ID); err != nil {
		t.Fatal(err)
	}
	wantRequests(t, srv, map[string]int{reqListDevices: 1, reqGetDevice: 0})

	if err := api.AssignDevice(ctx, user.ID, devices[0].ID); err != nil {
		t.Fatal(err)
	}
	want := []string{devices[0].SerialNumber, devices[1].SerialNumber}
	slices.Sort(want)
	if got := list(graph.DeviceFilter{AssignedToID: user.ID}); !slices.Equal(got, want) {
		t.Errorf("ListDevices after an assignment: %v, want %v", got, want)
	}
	wantRequests(t, srv, map[string]int{reqListDevices: 2})
}
