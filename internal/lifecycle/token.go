package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// maxCreateAttempts bounds how often a create whose outcome was unknown is sent again after no token showed up.
const maxCreateAttempts = 5

// maxRefusalLag bounds how long a create that Graph refused after an earlier attempt waits for the earlier
// attempt's token to show up (within the context's deadline).
const maxRefusalLag = time.Minute

// InInventory returns the tokens the inventory holds with serial number serial, so that a caller can refuse to
// create a second one. It answers from the command's shared listing when client shares reads (a page per 999
// tokens for the whole command), and reads each match again, fresh: the listing may predate the command's own deletes.
func (e *Engine) InInventory(ctx context.Context, client graph.API, serial string) ([]graph.Device, error) {
	listed, err := client.DevicesBySerial(ctx, serial)
	if err != nil {
		return nil, &LookupError{Err: err}
	}
	var found []graph.Device
	for _, d := range listed {
		current, err := client.GetDevice(graph.WithFreshReads(ctx), d.ID)
		switch {
		case graph.IsNotFound(err):
			continue // deleted since the listing, by this command's replacement for instance
		case err != nil:
			return nil, &LookupError{ID: d.ID, Err: err}
		}
		if current.SerialNumber == serial {
			found = append(found, *current)
		}
	}
	return found, nil
}

// CreateToken creates want (SecretKey set). Any answer that is not a success may hide a token Graph created: after
// an unknown outcome (a 5xx, a reset connection) it looks the serial number up before sending the create again,
// and adopts the token the lost create made instead of creating a second one; after a refusal that follows an
// earlier attempt (Graph may refuse a second token with the serial number), it waits for the earlier attempt's
// token to show up. Errors: *SerialTakenError, *LookupError, or Graph's answer.
func (e *Engine) CreateToken(ctx context.Context, client graph.API, want graph.Device) (*graph.Device, error) {
	d, _, err := e.createToken(ctx, client, want)
	return d, err
}

// createToken is CreateToken that also reports whether the token was adopted from a lost create.
func (e *Engine) createToken(ctx context.Context, client graph.API, want graph.Device) (*graph.Device, bool, error) {
	for attempt := 1; ; attempt++ {
		d, err := client.CreateDevice(ctx, want, "")
		var until time.Time
		switch {
		case err == nil:
			return d, false, nil
		case graph.IsOutcomeUnknown(err):
			until = e.Now().Add(e.Window)
		case attempt > 1 && graph.IsRefused(err):
			until = e.Now().Add(maxRefusalLag)
		default:
			return nil, false, err
		}
		e.log(ctx, LevelWarn, "Creating a hardware token was not answered with a success; looking the token up by serial number",
			map[string]any{"serial_number": want.SerialNumber, "error": err.Error()})
		found, ferr := e.findBySerial(ctx, client, want, until)
		if ferr != nil || found != nil {
			return found, found != nil, ferr
		}
		if graph.IsRefused(err) || attempt == maxCreateAttempts {
			return nil, false, err
		}
	}
}

// findBySerial looks for a token with want's serial number until one with want's manufacturer, model, time
// interval and hash function shows up or until passes (the inventory list may not show a new token yet). It returns
// nil when none shows up, and a *SerialTakenError when tokens have the serial number but none is want.
func (e *Engine) findBySerial(ctx context.Context, client graph.API, want graph.Device, until time.Time) (*graph.Device, error) {
	var found []graph.Device
	var match *graph.Device
	_, err := e.poll(ctx, until, func() (bool, error) {
		var err error
		found, err = client.ListDevices(ctx, graph.DeviceFilter{SerialNumber: want.SerialNumber})
		for i, d := range found {
			if SameKind(d, want) {
				match = &found[i]
			}
		}
		return match != nil, err
	})
	switch {
	case err != nil:
		return nil, &LookupError{Err: err}
	case match != nil:
		e.log(ctx, LevelInfo, "Adopting the hardware token an earlier attempt created", map[string]any{"id": match.ID, "serial_number": match.SerialNumber})
		return match, nil
	case len(found) > 0:
		want.SecretKey = ""
		return nil, &SerialTakenError{Want: want, Found: found}
	}
	return nil, nil
}

// SameKind reports whether d has want's manufacturer, model, time interval and hash function, as a token created
// from want would.
func SameKind(d, want graph.Device) bool {
	return d.Manufacturer == want.Manufacturer && d.Model == want.Model &&
		d.TimeIntervalInSeconds == want.TimeIntervalInSeconds && strings.EqualFold(d.HashFunction, want.HashFunction)
}

// LookupError is a failed look-up of a serial number: before a create (ID: the token being read again, if any),
// or after a create Graph did not answer with a success, which may then have created the token.
type LookupError struct {
	ID  string
	Err error
}

func (e *LookupError) Error() string {
	return "look up the hardware token by serial number: " + e.Err.Error()
}

func (e *LookupError) Unwrap() error { return e.Err }

// SerialTakenError: after a create Graph did not answer with a success, the inventory holds tokens with the
// serial number, and none of them is the one to create (Want, without its seed).
type SerialTakenError struct {
	Want  graph.Device
	Found []graph.Device
}

func (e *SerialTakenError) Error() string {
	return fmt.Sprintf("%d other hardware tokens have serial number %q", len(e.Found), e.Want.SerialNumber)
}

// UpdateToken sends u to token id (Graph updates only unassigned tokens) and, when Graph does not answer with a
// success, reads the token to see whether the update was applied, sending it again after an unknown outcome.
func (e *Engine) UpdateToken(ctx context.Context, client graph.API, id string, u graph.DeviceUpdate) error {
	send := func() error { return client.UpdateDevice(ctx, id, u) }
	_, err := e.converge(ctx, client, id, nil, send, func(d *graph.Device) bool { return d != nil && shows(d, u) }, resendIfUnknown(send))
	return err
}

// shows reports whether d carries every field u sets.
func shows(d *graph.Device, u graph.DeviceUpdate) bool {
	eq := func(p *string, v string) bool { return p == nil || *p == v }
	return eq(u.DisplayName, d.DisplayName) && eq(u.Manufacturer, d.Manufacturer) && eq(u.Model, d.Model) &&
		eq(u.HashFunction, d.HashFunction) && (u.TimeIntervalInSeconds == nil || *u.TimeIntervalInSeconds == d.TimeIntervalInSeconds)
}

// TokenUpdate is the update that makes current look like want (display name, manufacturer, model, time interval,
// hash function), and whether one is needed.
func TokenUpdate(want, current graph.Device) (graph.DeviceUpdate, bool) {
	var u graph.DeviceUpdate
	str := func(w, c string) *string {
		if w == c {
			return nil
		}
		return &w
	}
	u.DisplayName, u.Manufacturer, u.Model = str(want.DisplayName, current.DisplayName), str(want.Manufacturer, current.Manufacturer),
		str(want.Model, current.Model)
	u.HashFunction = str(want.HashFunction, current.HashFunction)
	if want.TimeIntervalInSeconds != current.TimeIntervalInSeconds {
		u.TimeIntervalInSeconds = &want.TimeIntervalInSeconds
	}
	return u, u != graph.DeviceUpdate{}
}

// TokenAction is what EnsureToken did.
type TokenAction int

// Token actions.
const (
	TokenUnchanged     TokenAction = iota // the token was as wanted
	TokenCreated                          // created
	TokenAdopted                          // created by an attempt whose answer was lost, and adopted
	TokenUpdated                          // updated in place
	TokenReplaceNeeded                    // differs but is assigned, which Graph cannot update: nothing was written
)

// EnsureToken makes the inventory hold want. current is the token as a listing showed it (nil: the inventory holds
// no token with want's serial number). A missing token is created with the seed from seed, which is called only
// then; an unassigned token that differs is updated; an assigned one that differs is left as it is
// (TokenReplaceNeeded: unassign and Remove it, then ensure it again). It returns the token as now known.
func (e *Engine) EnsureToken(ctx context.Context, client graph.API, want graph.Device, current *graph.Device,
	seed func() (string, error)) (*graph.Device, TokenAction, error) {
	if current == nil {
		s, err := seed()
		if err != nil {
			return nil, TokenUnchanged, err
		}
		want.SecretKey = s
		d, adopted, err := e.createToken(ctx, client, want)
		if adopted {
			return d, TokenAdopted, err
		}
		return d, TokenCreated, err
	}
	u, differs := TokenUpdate(want, *current)
	switch {
	case !differs:
		return current, TokenUnchanged, nil
	case holdingOf(current, "") != tokenAvailable:
		return current, TokenReplaceNeeded, nil
	}
	if err := e.UpdateToken(ctx, client, current.ID, u); err != nil {
		return current, TokenUnchanged, err
	}
	d := *current
	d.DisplayName, d.Manufacturer, d.Model = want.DisplayName, want.Manufacturer, want.Model
	d.TimeIntervalInSeconds, d.HashFunction = want.TimeIntervalInSeconds, want.HashFunction
	return &d, TokenUpdated, nil
}

// Remove deletes token id, unassigning it first when Graph shows it assigned (whoever holds it), and returns once
// Graph no longer shows it, so that a token created again with the serial number never meets the old one. The
// delete is sent first: that saves a read when the token is unassigned already. A failure to see the token gone
// is an *UnconfirmedError.
func (e *Engine) Remove(ctx context.Context, client graph.API, id string) error {
	send := func() error { return client.DeleteDevice(ctx, id) }
	_, err := e.converge(ctx, client, id, nil, send, func(d *graph.Device) bool { return d == nil }, func(d *graph.Device, err error) (func() error, error) {
		if holdingOf(d, "") == tokenHeld {
			return func() error { return e.unassignThenDelete(ctx, client, d) }, nil
		}
		return resendIfUnknown(send)(d, err)
	})
	if err != nil {
		return err
	}
	if err := e.confirm(ctx, goneOr(ctx, client, id, nil)); err != nil {
		return &UnconfirmedError{Err: err}
	}
	return nil
}

// unassignThenDelete unassigns d from its holder, waits until Graph shows it unassigned, and deletes it.
func (e *Engine) unassignThenDelete(ctx context.Context, client graph.API, d *graph.Device) error {
	e.log(ctx, LevelInfo, "Unassigning the hardware token before deleting it", map[string]any{"id": d.ID})
	if err := client.UnassignDevice(ctx, d.AssignedTo.ID, d.ID); err != nil {
		return err
	}
	if err := e.confirm(ctx, goneOr(ctx, client, d.ID, func(d *graph.Device) bool { return holdingOf(d, "") == tokenAvailable })); err != nil {
		return err
	}
	return client.DeleteDevice(ctx, d.ID)
}

// UnconfirmedError: Graph accepted the write, but did not show its effect before the context's deadline.
type UnconfirmedError struct{ Err error }

func (e *UnconfirmedError) Error() string {
	return "wait until Graph shows the write: " + e.Err.Error()
}

func (e *UnconfirmedError) Unwrap() error { return e.Err }
