package lifecycle_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

// stepStart is the start of the 30-second TOTP step holding t.
func stepStart(t time.Time) time.Time { return time.Unix(t.Unix()/30*30, 0) }

// TestActivateNextStep: Graph (here accepting the current step only) rejects a code whose step rolled over while it
// was on its way; the engine sends the next step's code, once. A code rejected within its step is a wrong seed or
// setting: no second code is sent, and the error carries the token as Graph shows it.
func TestActivateNextStep(t *testing.T) {
	t.Run("rolled over", func(t *testing.T) {
		e := newEnv(t, emulator.Options{ActivationWindowSteps: -1})
		user := e.user(t)
		token := e.addToken(t, user.ID)
		// The first code comes from the step before Graph's: the step rolled over in between.
		e.clock.nows = []time.Time{stepStart(time.Now()).Add(-5 * time.Second)}
		a := lifecycle.Assignment{UserID: user.ID, TokenID: token.ID, Activate: true, Seed: lifecycle.StaticSeed(e.seedOf(t, token.ID))}
		d, err := e.engine.Activate(e.ctx(t), e.client, a, token)
		if err != nil || d.Status != graph.StatusActivated {
			t.Fatalf("got %+v, %v; want the token activated", d, err)
		}
		if n := e.requests(reqActivate); n != 2 {
			t.Errorf("sent %d activations, want 2", n)
		}
		if got, _ := e.srv.Device(token.ID); got.Status != emulator.StatusActivated {
			t.Errorf("the emulator shows status %q", got.Status)
		}
	})
	t.Run("rejected within the step", func(t *testing.T) {
		e := newEnv(t, emulator.Options{ActivationWindowSteps: -1})
		user := e.user(t)
		token := e.addToken(t, user.ID)
		// Mid-step, ten minutes ago, for every reading of the clock: the code is wrong and the step never rolls over.
		old := stepStart(time.Now()).Add(-10*time.Minute + 10*time.Second)
		e.clock.nows = []time.Time{old, old, old}
		a := lifecycle.Assignment{UserID: user.ID, TokenID: token.ID, Activate: true, Seed: lifecycle.StaticSeed(e.seedOf(t, token.ID))}
		_, err := e.engine.Activate(e.ctx(t), e.client, a, token)
		var rejected *lifecycle.CodeRejectedError
		if !errors.As(err, &rejected) || rejected.Status != graph.StatusFailedActivation || rejected.Token == nil || rejected.Token.ID != token.ID {
			t.Fatalf("got %v; want a *CodeRejectedError with the token, status failedActivation", err)
		}
		var ge *graph.Error
		if !errors.As(err, &ge) || ge.RequestID == "" {
			t.Errorf("the error does not carry Graph's answer and request-id: %v", err)
		}
		if n := e.requests(reqActivate); n != 1 {
			t.Errorf("sent %d activations, want 1", n)
		}
	})
}

// TestEnsureAssignment covers each starting point of an assignment: an available token is assigned and activated
// in one call; a held, deactivated one is activated; a held, activated one with Deactivate is deactivated; a token
// another user holds is reported, naming the holder, before any write; and the seed is asked for only to activate.
func TestEnsureAssignment(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	ctx := e.ctx(t)
	user, other := e.user(t), e.user(t)
	seedCalls := 0
	seedOf := func(id string) func() (string, error) {
		return func() (string, error) { seedCalls++; return e.seedOf(t, id), nil }
	}

	available := e.addToken(t, "")
	a := lifecycle.Assignment{UserID: user.ID, TokenID: available.ID, Activate: true, Seed: seedOf(available.ID)}
	if d, err := e.engine.EnsureAssignment(ctx, e.client, a, available); err != nil || d.Status != graph.StatusActivated || !lifecycle.HeldBy(d, user.ID) {
		t.Fatalf("got %+v, %v; want the token assigned and activated", d, err)
	}
	if n, m := e.requests(reqAssignAndActivate), e.requests(reqAssign); n != 1 || m != 0 {
		t.Errorf("sent %d assignAndActivate and %d assign calls, want 1 and 0", n, m)
	}

	// Deactivated since: activated again. The token is read first (nil: not from a listing).
	if err := e.srv.Deactivate(available.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := e.engine.EnsureAssignment(ctx, e.client, a, nil); err != nil || d.Status != graph.StatusActivated {
		t.Fatalf("got %+v, %v; want the token activated again", d, err)
	}
	a.Activate, a.Deactivate = false, true
	if d, err := e.engine.EnsureAssignment(ctx, e.client, a, e.device(t, available.ID)); err != nil || d.Status != graph.StatusAssigned {
		t.Fatalf("got %+v, %v; want the token deactivated", d, err)
	}
	if got, _ := e.srv.Device(available.ID); got.Status != emulator.StatusAssigned || got.AssignedToID != user.ID {
		t.Errorf("the emulator shows %q held by %q", got.Status, got.AssignedToID)
	}
	if seedCalls != 2 {
		t.Errorf("the seed was asked for %d times, want 2 (one per activation)", seedCalls)
	}

	held := e.addToken(t, other.ID)
	e.srv.ResetRequests()
	a = lifecycle.Assignment{UserID: user.ID, TokenID: held.ID, Activate: true, Seed: seedOf(held.ID)}
	_, err := e.engine.EnsureAssignment(ctx, e.client, a, held)
	var oe *lifecycle.OutcomeError
	if !errors.As(err, &oe) || oe.Kind != lifecycle.OutcomeHeldByOther || oe.HolderID != other.ID ||
		!strings.Contains(oe.Holder, other.UserPrincipalName) {
		t.Fatalf("got %v; want an *OutcomeError naming %s", err, other.UserPrincipalName)
	}
	if n := e.requests(reqAssignAndActivate) + e.requests(reqAssign); n != 0 || seedCalls != 2 {
		t.Errorf("sent %d assignments and asked for the seed; want no write and no seed", n)
	}

	if _, err := e.engine.EnsureAssignment(ctx, e.client, lifecycle.Assignment{UserID: user.ID, TokenID: "00000000-0000-4000-8000-00000000dead"}, nil); !errors.Is(err, lifecycle.ErrTokenNotFound) {
		t.Errorf("got %v for a token Graph does not show, want ErrTokenNotFound", err)
	}
}

// TestAssignOutcomeUnknown: writes Graph applied but answered with a 5xx or a reset connection are adopted from
// what Graph shows, not sent again; writes it did not apply are sent again, a bounded number of times.
func TestAssignOutcomeUnknown(t *testing.T) {
	for _, c := range []struct {
		name        string
		faults      emulator.Faults
		wantWrites  int
		wantUnknown bool
	}{
		{"applied, then 503", emulator.Faults{AppliedThen503Rate: 1}, 1, false},
		{"applied, then reset", emulator.Faults{AppliedThenResetRate: 1}, 1, false},
		{"answer lost", emulator.Faults{LostWriteRate: 1}, 1, false},
		{"never applied", emulator.Faults{FailedWriteRate: 1}, 5, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{})
			user := e.user(t)
			token := e.addToken(t, "")
			a := lifecycle.Assignment{UserID: user.ID, TokenID: token.ID, Activate: true, Seed: lifecycle.StaticSeed(e.seedOf(t, token.ID))}
			e.srv.SetFaults(c.faults)
			d, err := e.engine.Assign(e.ctx(t), e.client, a, token)
			e.srv.SetFaults(emulator.Faults{})
			if n := e.requests(reqAssignAndActivate); n != c.wantWrites {
				t.Errorf("sent %d assignAndActivate calls, want %d", n, c.wantWrites)
			}
			got, _ := e.srv.Device(token.ID)
			if c.wantUnknown {
				if !graph.IsOutcomeUnknown(err) || got.AssignedToID != "" {
					t.Errorf("got %v with the token held by %q; want the last unknown outcome, the token available", err, got.AssignedToID)
				}
				return
			}
			if err != nil || d.Status != graph.StatusActivated || got.Status != emulator.StatusActivated || got.AssignedToID != user.ID {
				t.Errorf("got %+v, %v (emulator: %q by %q); want the applied write adopted", d, err, got.Status, got.AssignedToID)
			}
		})
	}
}

// TestAssignRefused: a write Graph refuses is explained by the token as Graph shows it afterwards, never by the
// refusal's code: another user took the token since it was read (the holder is named), or the user holds the
// most tokens allowed (the token is unchanged, and Graph's message hints at a limit, whatever the status and code).
func TestAssignRefused(t *testing.T) {
	for _, v := range []emulator.Variants{
		{AssignTaken: emulator.Answer{Status: http.StatusConflict, Code: "conflict"}, TokenLimit: emulator.Answer{Status: http.StatusBadRequest, Code: "quotaLimitReached"}},
		{AssignTaken: emulator.Answer{Status: http.StatusBadRequest, Code: "badRequest"}, TokenLimit: emulator.Answer{Status: http.StatusForbidden, Code: "accessDenied"}},
	} {
		t.Run(v.AssignTaken.Code+"/"+v.TokenLimit.Code, func(t *testing.T) {
			e := newEnv(t, emulator.Options{Variants: v, MaxTokensPerUser: 1})
			ctx := e.ctx(t)
			user, other := e.user(t), e.user(t)

			token := e.addToken(t, "")
			stale := *token
			if err := e.srv.Assign(token.ID, other.ID); err != nil {
				t.Fatal(err)
			}
			_, err := e.engine.Assign(ctx, e.client, lifecycle.Assignment{UserID: user.ID, TokenID: token.ID}, &stale)
			var oe *lifecycle.OutcomeError
			var ge *graph.Error
			if !errors.As(err, &oe) || oe.Kind != lifecycle.OutcomeHeldByOther || !strings.Contains(oe.Holder, other.UserPrincipalName) ||
				!errors.As(err, &ge) || ge.RequestID == "" {
				t.Fatalf("got %v; want an *OutcomeError naming the holder and carrying Graph's answer", err)
			}

			e.addToken(t, user.ID) // the user's one token
			second := e.addToken(t, "")
			_, err = e.engine.Assign(ctx, e.client, lifecycle.Assignment{UserID: user.ID, TokenID: second.ID}, second)
			if !errors.As(err, &oe) || oe.Kind != lifecycle.OutcomeRefused || !oe.LimitHint() {
				t.Fatalf("got %v; want an *OutcomeError: refused, with the limit hint", err)
			}
			if got, _ := e.srv.Device(second.ID); got.AssignedToID != "" {
				t.Errorf("the token is held by %q", got.AssignedToID)
			}
		})
	}
}

// TestUnassign: the token is released whatever Graph answers, confirmed by reading it, and an unassignment whose
// answer was lost is not sent again.
func TestUnassign(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	user := e.user(t)
	token := e.addToken(t, user.ID)
	e.srv.SetFaults(emulator.Faults{LostWriteRate: 1})
	err := e.engine.Unassign(e.ctx(t), e.client, user.ID, token.ID)
	e.srv.SetFaults(emulator.Faults{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.srv.Device(token.ID); got.AssignedToID != "" || e.requests(reqUnassign) != 1 {
		t.Errorf("the token is held by %q after %d unassignments; want released after 1", got.AssignedToID, e.requests(reqUnassign))
	}
}

// TestConcurrentFleet drives many tokens at once through one engine, as a fleet does, under a mix of lost, failed
// and applied-then-503 writes and read-after-write lag: every token ends created once, assigned and activated, and
// removing them all leaves an empty inventory. Real clock: the codes must match Graph's time.
func TestConcurrentFleet(t *testing.T) {
	const n = 20
	e := newEnv(t, emulator.Options{})
	e.engine = lifecycle.New()
	e.engine.Window = time.Second
	ctx := e.ctx(t)
	users := make([]emulator.User, n)
	wants := make([]graph.Device, n)
	for i := range n {
		users[i], wants[i] = e.user(t), wantToken(t)
	}
	e.srv.SetFaults(emulator.Faults{LostWriteRate: 0.15, FailedWriteRate: 0.15, AppliedThen503Rate: 0.15, VisibilityDelay: 300 * time.Millisecond})
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			want := wants[i]
			d, _, err := e.engine.EnsureToken(ctx, e.client, want, nil, lifecycle.StaticSeed(want.SecretKey))
			if err != nil {
				errs[i] = err
				return
			}
			ids[i] = d.ID
			_, errs[i] = e.engine.EnsureAssignment(ctx, e.client, lifecycle.Assignment{UserID: users[i].ID, TokenID: d.ID,
				Activate: true, Seed: lifecycle.StaticSeed(want.SecretKey)}, d)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("token %s: %v", wants[i].SerialNumber, errs[i])
		}
		got := e.srv.DevicesBySerial(wants[i].SerialNumber)
		if len(got) != 1 || got[0].Status != emulator.StatusActivated || got[0].AssignedToID != users[i].ID {
			t.Fatalf("token %s: the emulator holds %+v; want one token, activated for its user", wants[i].SerialNumber, got)
		}
	}
	// A token read right after its own activation may still read as unassigned, and Graph refuses to delete an
	// assigned token: nothing to read in that refusal. Removal comes later, as in an apply.
	time.Sleep(300 * time.Millisecond)
	for i := range n {
		wg.Go(func() { errs[i] = e.engine.Remove(ctx, e.client, ids[i]) })
	}
	wg.Wait()
	e.srv.SetFaults(emulator.Faults{})
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("remove token %s: %v", wants[i].SerialNumber, errs[i])
		}
	}
	if left := e.srv.Devices(); len(left) != 0 {
		t.Errorf("the inventory holds %d tokens after removing all", len(left))
	}
	if f := e.srv.FaultsInjected(); f["lost"]+f["failed"]+f["applied-503"] == 0 {
		t.Errorf("no fault was injected: %v", f)
	}
}
