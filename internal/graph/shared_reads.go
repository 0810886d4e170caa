package graph

import (
	"context"
	"strings"
	"sync"
)

// NewSharedReads wraps api so that, for the lifetime of the returned value (one provider configuration, that is
// one Terraform command's walk), device reads share one listing of the inventory and user reads are remembered.
//
//   - The first GetDevice lists the whole inventory (ListDevices pages at $top=999); concurrent first reads wait
//     for that one listing. Later GetDevice calls are answered from it.
//   - Every write to a device through the wrapper (update, delete, assign, activate, deactivate, unassign) marks
//     the device written before the call is sent: from then on its reads go to Graph, so a read after a write never
//     sees the listing's older copy, even when the listing was still loading while the write ran.
//   - A device created through the wrapper is answered from the POST response, with no read after the write.
//   - A device the listing does not hold is read with GetDevice: it may be newer than the listing, and a missing
//     device stays a 404.
//   - WithFreshReads marks reads that must go to Graph, such as a poll waiting for Graph to show a write.
//   - ListDevices (a data source) is answered from the listing, its eq filter applied as OData does (strings compared
//     case-sensitively), until the first write or create through the wrapper; from then on it goes to Graph, so a
//     data source read after a write in the same command sees it. ListMethods and the policy calls pass through.
//
// Changes made outside the provider after the listing was loaded are seen by the next Terraform command, which
// configures a new wrapper; changes made before it are always seen.
func NewSharedReads(api API) API {
	return &sharedReads{
		API:     api,
		loaded:  make(chan struct{}),
		created: map[string]Device{},
		written: map[string]bool{},
		users:   map[string]User{},
	}
}

type sharedReads struct {
	API // calls without a shared answer go straight to Graph

	loadOnce sync.Once
	loaded   chan struct{}     // closed once the listing ended
	listing  map[string]Device // by lower-case id; set before loaded is closed, read-only after; nil if it failed

	mu      sync.Mutex
	created map[string]Device // created through this wrapper and not written since, from the POST response
	written map[string]bool   // written through this wrapper: always read from Graph
	wrote   bool              // a device was written or created through this wrapper
	users   map[string]User   // by lower-case object id, UPN and the reference asked for
}

var _ API = (*sharedReads)(nil)

// Graph object ids and UPNs compare case-insensitively.
func foldKey(idOrUPN string) string { return strings.ToLower(idOrUPN) }

// freshReadsKey marks a context whose device reads bypass the shared listing.
type freshReadsKey struct{}

// WithFreshReads returns a context whose device reads go to Graph even through NewSharedReads. Code that reads a
// device again, because Graph may not show a write yet, uses it for the second and later reads: the listing would
// only repeat the first answer.
func WithFreshReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshReadsKey{}, true)
}

// ReadsFresh reports a context made by WithFreshReads.
func ReadsFresh(ctx context.Context) bool {
	fresh, _ := ctx.Value(freshReadsKey{}).(bool)
	return fresh
}

func (s *sharedReads) GetDevice(ctx context.Context, id string) (*Device, error) {
	if !ReadsFresh(ctx) && !s.isWritten(id) {
		if d, ok := s.createdDevice(id); ok {
			return d, nil
		}
		listing, err := s.inventory(ctx)
		if err != nil {
			return nil, err
		}
		// Ask again after the wait: a write may have started while the listing loaded, so its copy may be older.
		if d, ok := listing[foldKey(id)]; ok && !s.isWritten(id) {
			return cloneDevice(d), nil
		}
	}
	return s.API.GetDevice(ctx, id)
}

// ListDevices answers from the listing while this command has written nothing: a data source or an import that
// lists the inventory then costs no request beyond the listing every resource read shares.
func (s *sharedReads) ListDevices(ctx context.Context, filter DeviceFilter) ([]Device, error) {
	if ReadsFresh(ctx) || s.hasWritten() {
		return s.API.ListDevices(ctx, filter)
	}
	listing, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	// Ask again after the wait: a write may have started while the listing loaded.
	if listing == nil || s.hasWritten() {
		return s.API.ListDevices(ctx, filter)
	}
	return matching(listing, filter), nil
}

// matching copies the devices of listing that f matches.
func matching(listing map[string]Device, f DeviceFilter) []Device {
	var out []Device
	for _, d := range listing {
		if f.matches(d) {
			out = append(out, *cloneDevice(d))
		}
	}
	return out
}

// matches applies f as Graph's $filter does: eq on each set field, strings compared case-sensitively.
func (f DeviceFilter) matches(d Device) bool {
	holder := ""
	if d.AssignedTo != nil {
		holder = d.AssignedTo.ID
	}
	for _, t := range [][2]string{
		{f.SerialNumber, d.SerialNumber}, {f.Status, d.Status}, {f.Manufacturer, d.Manufacturer},
		{f.Model, d.Model}, {f.AssignedToID, holder},
	} {
		if t[0] != "" && t[0] != t[1] {
			return false
		}
	}
	return true
}

func (s *sharedReads) hasWritten() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wrote
}

func (s *sharedReads) isWritten(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written[foldKey(id)]
}

func (s *sharedReads) createdDevice(id string) (*Device, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.created[foldKey(id)]
	if !ok {
		return nil, false
	}
	return cloneDevice(d), true
}

// inventory lists the inventory once; every caller waits for that listing or for its own context to end. The
// listing runs detached from the first caller's cancellation, since other reads wait for it too. A failed listing is
// not retried: reads then go to GetDevice one by one, which reports the error against each resource.
func (s *sharedReads) inventory(ctx context.Context) (map[string]Device, error) {
	s.loadOnce.Do(func() {
		// The first caller's deadline still bounds it: waits for throttling must not outlive every caller.
		listCtx, cancel := context.WithoutCancel(ctx), context.CancelFunc(func() {})
		if deadline, ok := ctx.Deadline(); ok {
			listCtx, cancel = context.WithDeadline(listCtx, deadline)
		}
		go func() {
			defer close(s.loaded)
			defer cancel()
			devices, err := s.API.ListDevices(listCtx, DeviceFilter{})
			if err != nil {
				return
			}
			listing := make(map[string]Device, len(devices))
			for _, d := range devices {
				listing[foldKey(d.ID)] = d
			}
			s.listing = listing
		}()
	})
	select {
	case <-s.loaded:
		return s.listing, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *sharedReads) CreateDevice(ctx context.Context, d Device, assignToUserID string) (*Device, error) {
	s.mu.Lock()
	s.wrote = true // before the POST: a lost response may hide a token it created
	s.mu.Unlock()
	created, err := s.API.CreateDevice(ctx, d, assignToUserID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	kept := *created
	kept.SecretKey = "" // Graph never returns the seed; never keep one in memory either
	s.created[foldKey(created.ID)] = kept
	s.mu.Unlock()
	return created, nil
}

// write marks deviceID written, then sends the write. The mark stays even when the write fails: a failed write
// may still have been applied (a lost response), so only Graph knows the device's state.
func (s *sharedReads) write(deviceID string, send func() error) error {
	s.mu.Lock()
	s.written[foldKey(deviceID)] = true
	s.wrote = true
	delete(s.created, foldKey(deviceID))
	s.mu.Unlock()
	return send()
}

func (s *sharedReads) UpdateDevice(ctx context.Context, id string, u DeviceUpdate) error {
	return s.write(id, func() error { return s.API.UpdateDevice(ctx, id, u) })
}

func (s *sharedReads) DeleteDevice(ctx context.Context, id string) error {
	return s.write(id, func() error { return s.API.DeleteDevice(ctx, id) })
}

func (s *sharedReads) AssignDevice(ctx context.Context, user, deviceID string) error {
	return s.write(deviceID, func() error { return s.API.AssignDevice(ctx, user, deviceID) })
}

func (s *sharedReads) ActivateMethod(ctx context.Context, user, deviceID, code, displayName string) error {
	return s.write(deviceID, func() error { return s.API.ActivateMethod(ctx, user, deviceID, code, displayName) })
}

func (s *sharedReads) DeactivateMethod(ctx context.Context, user, deviceID string) error {
	return s.write(deviceID, func() error { return s.API.DeactivateMethod(ctx, user, deviceID) })
}

func (s *sharedReads) AssignAndActivate(ctx context.Context, user, deviceID, code, displayName string) error {
	return s.write(deviceID, func() error { return s.API.AssignAndActivate(ctx, user, deviceID, code, displayName) })
}

func (s *sharedReads) UnassignDevice(ctx context.Context, user, deviceID string) error {
	return s.write(deviceID, func() error { return s.API.UnassignDevice(ctx, user, deviceID) })
}

// GetUser remembers users by object id and UPN: the provider never writes users, and one user often holds
// several tokens. Errors are not remembered.
func (s *sharedReads) GetUser(ctx context.Context, idOrUPN string) (*User, error) {
	s.mu.Lock()
	u, ok := s.users[foldKey(idOrUPN)]
	s.mu.Unlock()
	if ok {
		return &u, nil
	}
	got, err := s.API.GetUser(ctx, idOrUPN)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, k := range []string{got.ID, got.UserPrincipalName, idOrUPN} {
		s.users[foldKey(k)] = *got
	}
	s.mu.Unlock()
	u = *got
	return &u, nil
}

// cloneDevice copies d so that callers never share the pointers held by the wrapper.
func cloneDevice(d Device) *Device {
	if d.AssignedTo != nil {
		a := *d.AssignedTo
		d.AssignedTo = &a
	}
	if d.LastUsedDateTime != nil {
		t := *d.LastUsedDateTime
		d.LastUsedDateTime = &t
	}
	return &d
}
