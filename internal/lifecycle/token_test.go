package lifecycle_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

// TestEnsureTokenAfterLostCreate: after a create whose answer was lost, the token with the serial number is
// adopted when it is the one to create, reported when it is another, and the create is sent again (a bounded
// number of times) when none shows up. The emulator loses answers after the write ("lost") or fails writes before
// it ("failed"): the engine cannot tell which. The waits of the look-ups cost no real time.
func TestEnsureTokenAfterLostCreate(t *testing.T) {
	for _, c := range []struct {
		name        string
		faults      emulator.Faults
		other       bool // another token with the serial number exists already
		wantAction  lifecycle.TokenAction
		wantTaken   bool
		wantCreates int
	}{
		{name: "adopts the token it created", faults: emulator.Faults{LostWriteRate: 1}, wantAction: lifecycle.TokenAdopted, wantCreates: 1},
		{name: "adopts its token beside another", faults: emulator.Faults{LostWriteRate: 1}, other: true, wantAction: lifecycle.TokenAdopted, wantCreates: 1},
		{name: "refuses another token", faults: emulator.Faults{FailedWriteRate: 1}, other: true, wantTaken: true, wantCreates: 1},
		{name: "creates again when none shows up", faults: emulator.Faults{FailedWriteRate: 1}, wantCreates: 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{})
			want := wantToken(t)
			if c.other {
				if _, err := e.srv.AddDevice(emulator.Device{SerialNumber: want.SerialNumber, Manufacturer: "Token2", Model: "C301",
					SecretKey: newSeed(t), TimeIntervalInSeconds: 30}); err != nil {
					t.Fatal(err)
				}
			}
			e.srv.SetFaults(c.faults)
			seed, seedCalls := want.SecretKey, 0
			want.SecretKey = ""
			d, action, err := e.engine.EnsureToken(e.ctx(t), e.client, want, nil, func() (string, error) { seedCalls++; return seed, nil })
			e.srv.SetFaults(emulator.Faults{})

			if got := e.requests(reqCreate); got != c.wantCreates || seedCalls != 1 {
				t.Errorf("sent %d creates with %d seed look-ups, want %d and 1", got, seedCalls, c.wantCreates)
			}
			var taken *lifecycle.SerialTakenError
			switch {
			case c.wantAction == lifecycle.TokenAdopted:
				if err != nil || action != lifecycle.TokenAdopted || d == nil || d.Model != want.Model {
					t.Fatalf("got %+v, %v, %v; want the token it created adopted", d, action, err)
				}
				if n, wantN := len(e.srv.DevicesBySerial(want.SerialNumber)), map[bool]int{false: 1, true: 2}[c.other]; n != wantN {
					t.Errorf("the emulator holds %d tokens with the serial number, want %d", n, wantN)
				}
			case c.wantTaken:
				if !errors.As(err, &taken) || len(taken.Found) != 1 || taken.Found[0].Model != "C301" {
					t.Fatalf("got %+v, %v; want a *SerialTakenError naming the other token", d, err)
				}
				if taken.Want.SecretKey != "" || strings.Contains(err.Error(), seed) {
					t.Errorf("the error carries the seed")
				}
			default:
				if !graph.IsOutcomeUnknown(err) {
					t.Errorf("got %v, want the failed answer's error after the last attempt", err)
				}
				if n := len(e.srv.DevicesBySerial(want.SerialNumber)); n != 0 {
					t.Errorf("the emulator holds %d tokens with the serial number, want none", n)
				}
				// Each of the 5 look-ups polls until its next read would fall outside the window: it waits at least
				// the window less one poll interval (at most 2.5 s), on the engine's clock only.
				if slept, _ := e.clock.total(); slept < 5*(lifecycle.DefaultWindow-2500*time.Millisecond) {
					t.Errorf("the look-ups waited %v on the engine's clock, want most of a window after each of the 5 creates", slept)
				}
			}
		})
	}
}

// TestEnsureToken: an unassigned token that differs is updated in place, an assigned one is left for replacement
// without a write, and one that is as wanted costs nothing.
func TestEnsureToken(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	ctx := e.ctx(t)
	noSeed := func() (string, error) { t.Fatal("the seed was asked for without a create"); return "", nil }

	available := e.addToken(t, "")
	want := *available
	want.Model, want.DisplayName = "C302-ii", "Front desk"
	d, action, err := e.engine.EnsureToken(ctx, e.client, want, available, noSeed)
	if err != nil || action != lifecycle.TokenUpdated || d.Model != "C302-ii" {
		t.Fatalf("got %+v, %v, %v; want the token updated", d, action, err)
	}
	if got, _ := e.srv.Device(available.ID); got.Model != "C302-ii" || got.DisplayName != "Front desk" {
		t.Errorf("the emulator shows model %q, display name %q", got.Model, got.DisplayName)
	}

	e.srv.ResetRequests()
	if _, action, err := e.engine.EnsureToken(ctx, e.client, want, e.device(t, available.ID), noSeed); err != nil || action != lifecycle.TokenUnchanged {
		t.Errorf("got %v, %v; want nothing to do", action, err)
	}

	held := e.addToken(t, e.user(t).ID)
	want = *held
	want.HashFunction = graph.HashSHA256
	e.srv.ResetRequests()
	if _, action, err := e.engine.EnsureToken(ctx, e.client, want, held, noSeed); err != nil || action != lifecycle.TokenReplaceNeeded {
		t.Errorf("got %v, %v; want TokenReplaceNeeded", action, err)
	}
	if n := e.requests(reqUpdate); n != 0 {
		t.Errorf("sent %d updates, want none", n)
	}
}

// TestRemoveUnassignsFirst: a token Graph shows assigned is unassigned, then deleted, whatever Graph answers to the
// delete of an assigned token; an unassigned one costs one delete and its confirming read.
func TestRemoveUnassignsFirst(t *testing.T) {
	for _, answer := range []emulator.Answer{{Status: http.StatusBadRequest, Code: "invalidRequest"}, {Status: http.StatusConflict, Code: "conflict"},
		{Status: http.StatusForbidden, Code: "accessDenied"}} {
		v := emulator.Variants{DeleteAssigned: answer}
		t.Run(answer.Code, func(t *testing.T) {
			e := newEnv(t, emulator.Options{Variants: v})
			held := e.addToken(t, e.user(t).ID)
			if err := e.engine.Remove(e.ctx(t), e.client, held.ID); err != nil {
				t.Fatal(err)
			}
			if _, ok := e.srv.Device(held.ID); ok {
				t.Fatal("the token is still in the inventory")
			}
			if d, u := e.requests(reqDelete), e.requests(reqUnassign); d != 2 || u != 1 {
				t.Errorf("sent %d deletes and %d unassignments, want 2 and 1", d, u)
			}

			available := e.addToken(t, "")
			e.srv.ResetRequests()
			if err := e.engine.Remove(e.ctx(t), e.client, available.ID); err != nil {
				t.Fatal(err)
			}
			if d, u, g := e.requests(reqDelete), e.requests(reqUnassign), e.requests(reqGetDevice); d != 1 || u != 0 || g != 1 {
				t.Errorf("sent %d deletes, %d unassignments, %d reads; want 1, 0, 1", d, u, g)
			}
		})
	}
}

// TestRemoveAfterLostDelete: a delete Graph applied but answered with a 503 is confirmed by reading, not sent again.
func TestRemoveAfterLostDelete(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	token := e.addToken(t, "")
	e.srv.SetFaults(emulator.Faults{AppliedThen503Rate: 1})
	err := e.engine.Remove(e.ctx(t), e.client, token.ID)
	e.srv.SetFaults(emulator.Faults{})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.requests(reqDelete); n != 1 {
		t.Errorf("sent %d deletes, want 1", n)
	}
}
