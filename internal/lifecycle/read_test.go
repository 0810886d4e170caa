package lifecycle_test

import (
	"testing"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

// TestReadConsistencyWindow: within the consistency window after a write, a read that disagrees with the write is
// read again (fresh) until Graph shows it; once the window has passed, the first read is the truth (drift). The
// window is measured on the engine's clock, so a one-minute window costs no real time.
func TestReadConsistencyWindow(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.engine.Window = time.Minute
	user := e.user(t)
	heldByUser := func(d *graph.Device) bool { return lifecycle.HeldBy(d, user.ID) }

	t.Run("shown late", func(t *testing.T) {
		token := e.addToken(t, "")
		e.srv.ResetRequests()
		// Graph shows the assignment the provider made once the engine has waited a second time.
		waits := 0
		e.clock.onSleep = func() {
			if waits++; waits == 2 {
				if err := e.srv.Assign(token.ID, user.ID); err != nil {
					t.Error(err)
				}
			}
		}
		t.Cleanup(func() { e.clock.onSleep = nil })
		d, err := e.engine.Read(e.ctx(t), e.client, token.ID, e.engine.SettledBy(e.engine.Now()), heldByUser)
		if err != nil || !heldByUser(d) {
			t.Fatalf("got %+v, %v; want the token as the write left it", d, err)
		}
		if n := e.requests(reqGetDevice); n != 3 {
			t.Errorf("read the token %d times, want 3", n)
		}
	})

	t.Run("drift after the window", func(t *testing.T) {
		token := e.addToken(t, "")
		e.srv.ResetRequests()
		_, sleepsBefore := e.clock.total()
		start := time.Now()
		d, err := e.engine.Read(e.ctx(t), e.client, token.ID, e.engine.SettledBy(e.engine.Now()), heldByUser)
		if err != nil || d == nil || heldByUser(d) {
			t.Fatalf("got %+v, %v; want the token as Graph shows it once the window has passed", d, err)
		}
		_, sleeps := e.clock.total()
		if n := e.requests(reqGetDevice); n < 20 || sleeps-sleepsBefore != n-1 {
			t.Errorf("read the token %d times with %d waits; want a read after each wait, through a minute of polling", n, sleeps-sleepsBefore)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("a minute's window took %v of real time", took)
		}

		// Written long ago (or never by the provider): one read, no wait.
		e.srv.ResetRequests()
		if d, err := e.engine.Read(e.ctx(t), e.client, token.ID, e.engine.SettledBy(time.Time{}), heldByUser); err != nil || d == nil ||
			e.requests(reqGetDevice) != 1 {
			t.Errorf("got %+v, %v after %d reads; want the token after one read", d, err, e.requests(reqGetDevice))
		}
	})

	t.Run("new token shown late", func(t *testing.T) {
		const id = "00000000-0000-4000-8000-0000000000a1"
		waits := 0
		e.clock.onSleep = func() {
			if waits++; waits == 1 {
				w := wantToken(t)
				d, err := e.srv.AddDevice(emulator.Device{ID: id, SerialNumber: w.SerialNumber, Manufacturer: w.Manufacturer,
					Model: w.Model, SecretKey: w.SecretKey, TimeIntervalInSeconds: 30})
				if err != nil || d.ID != id {
					t.Errorf("add token %s: %v", id, err)
				}
			}
		}
		t.Cleanup(func() { e.clock.onSleep = nil })
		d, err := e.engine.ReadNew(e.ctx(t), e.client, id)
		if err != nil || d == nil || d.ID != id {
			t.Fatalf("got %+v, %v; want the token once Graph shows it", d, err)
		}
		e.clock.onSleep = nil
		if d, err := e.engine.ReadNew(e.ctx(t), e.client, "00000000-0000-4000-8000-0000000000a2"); err != nil || d != nil {
			t.Errorf("got %+v, %v for a token Graph never shows; want nil, nil", d, err)
		}
	})

	t.Run("observe from a listing", func(t *testing.T) {
		token := e.addToken(t, user.ID)
		inv, err := lifecycle.List(e.ctx(t), e.client, graph.DeviceFilter{SerialNumber: token.SerialNumber})
		if err != nil || len(inv.BySerial(token.SerialNumber)) != 1 || inv.ByID(token.ID) == nil {
			t.Fatalf("List: %v; want the token by serial number and by id", err)
		}
		e.srv.ResetRequests()
		listed := inv.ByID(token.ID)
		if d, err := e.engine.Observe(e.ctx(t), e.client, listed, token.ID, e.engine.SettledBy(e.engine.Now()), heldByUser); err != nil ||
			d != listed || e.requests(reqGetDevice) != 0 {
			t.Errorf("got %+v, %v after %d reads; want the listed token, no read", d, err, e.requests(reqGetDevice))
		}
		// The listing predates a write Graph shows now: read again, fresh.
		other := e.user(t)
		if err := e.srv.Assign(token.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		heldByOther := func(d *graph.Device) bool { return lifecycle.HeldBy(d, other.ID) }
		if d, err := e.engine.Observe(e.ctx(t), e.client, listed, token.ID, e.engine.SettledBy(e.engine.Now()), heldByOther); err != nil ||
			!heldByOther(d) || e.requests(reqGetDevice) != 1 {
			t.Errorf("got %+v, %v after %d reads; want the token as Graph shows it after one read", d, err, e.requests(reqGetDevice))
		}
	})
}
