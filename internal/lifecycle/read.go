package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// Read reads token id, reading again until settled accepts it or until passes: Graph may still show the state from
// before the provider's last write. Only the first read may be answered from a shared inventory listing. A token
// Graph does not show is returned as nil, without error. settled may be nil: any token Graph shows is accepted.
func (e *Engine) Read(ctx context.Context, client graph.API, id string, until time.Time, settled func(*graph.Device) bool) (*graph.Device, error) {
	var device *graph.Device
	read := ctx
	_, err := e.poll(ctx, until, func() (bool, error) {
		d, err := client.GetDevice(read, id)
		read = graph.WithFreshReads(ctx) // a shared inventory listing would only repeat its answer
		if graph.IsNotFound(err) {
			device = nil
			return false, nil
		}
		device = d
		return err != nil || settled == nil || settled(d), err
	})
	return device, err
}

// ReadNew reads a token that may have been created moments ago: one Graph does not show yet is looked for again
// during the consistency window. nil, nil: Graph does not show it.
func (e *Engine) ReadNew(ctx context.Context, client graph.API, id string) (*graph.Device, error) {
	return e.Read(ctx, client, id, e.Now().Add(e.Window), nil)
}

// Observe is Read for a token already seen in a listing: listed (nil when the listing did not hold it) stands for
// the first read, and only a token that settled rejects is read again, fresh, until until.
func (e *Engine) Observe(ctx context.Context, client graph.API, listed *graph.Device, id string, until time.Time,
	settled func(*graph.Device) bool) (*graph.Device, error) {
	if listed != nil && (settled == nil || settled(listed)) || !e.Now().Before(until) {
		return listed, nil
	}
	return e.Read(graph.WithFreshReads(ctx), client, id, until, settled)
}

// Inventory is one listing of the tenant's tokens, indexed by serial number and by id.
type Inventory struct {
	Devices  []graph.Device
	bySerial map[string][]int
	byID     map[string]int
}

// List lists the inventory with one paged request (⌈N/999⌉ pages), narrowed by filter.
func List(ctx context.Context, client graph.API, filter graph.DeviceFilter) (*Inventory, error) {
	devices, err := client.ListDevices(ctx, filter)
	if err != nil {
		return nil, err
	}
	inv := &Inventory{Devices: devices, bySerial: map[string][]int{}, byID: make(map[string]int, len(devices))}
	for i, d := range devices {
		inv.bySerial[d.SerialNumber] = append(inv.bySerial[d.SerialNumber], i)
		inv.byID[strings.ToLower(d.ID)] = i
	}
	return inv, nil
}

// BySerial returns the listed tokens with serial number serial (Graph does not stop two tokens from sharing one).
func (inv *Inventory) BySerial(serial string) []*graph.Device {
	var out []*graph.Device
	for _, i := range inv.bySerial[serial] {
		out = append(out, &inv.Devices[i])
	}
	return out
}

// ByID returns the listed token with object id id, or nil.
func (inv *Inventory) ByID(id string) *graph.Device {
	if i, ok := inv.byID[strings.ToLower(id)]; ok {
		return &inv.Devices[i]
	}
	return nil
}

// HeldBy reports whether Graph shows d assigned to the user with object id userID.
func HeldBy(d *graph.Device, userID string) bool {
	return userID != "" && holdingOf(d, userID) == tokenHeld
}

// EffectiveStatus trusts assignedTo over status: Graph may report "available" for a token it has just assigned.
func EffectiveStatus(d *graph.Device) string {
	if d.AssignedTo != nil && d.Status == graph.StatusAvailable {
		return graph.StatusAssigned
	}
	return d.Status
}

// UserLabel names a user for messages: "<user principal name> (<object id>)" when Graph knows the user, else the id.
func UserLabel(ctx context.Context, client graph.API, id string) string {
	if u, err := client.GetUser(ctx, id); err == nil && u.UserPrincipalName != "" {
		return UserText(u.UserPrincipalName, id)
	}
	return id
}

// UserText is "<user principal name> (<object id>)", or whichever of the two is known.
func UserText(upn, id string) string {
	switch {
	case upn == "":
		return id
	case id == "" || strings.EqualFold(upn, id):
		return upn
	}
	return fmt.Sprintf("%s (%s)", upn, id)
}
