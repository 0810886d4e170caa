package lifecycle

import (
	"context"
	"errors"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// Assignment is a token wanted in a user's hands.
type Assignment struct {
	UserID      string // the user's object id
	TokenID     string // the token's object id
	Activate    bool   // activate the token, with a code from Seed
	Deactivate  bool   // deactivate the token when it is activated (with Activate false)
	DisplayName string // sent with an activation
	// Seed supplies the token's Base32 seed. It is called at most once, only when the token needs activating, and
	// before any write for that activation.
	Seed func() (string, error)
}

// StaticSeed is a seed supplier for a seed known already.
func StaticSeed(seed string) func() (string, error) {
	return func() (string, error) { return seed, nil }
}

// ErrTokenNotFound: Graph does not show the token to assign, also after the consistency window.
var ErrTokenNotFound = errors.New("the hardware token is not in the inventory")

// Assign assigns token (as read before, unassigned) to a.UserID and, with a.Activate, activates it, with one
// assignAndActivate call. When Graph does not answer with a success it reads the token and finishes what is
// missing, adopting what Graph applied. It returns the token as it now stands; after an error, the token as last
// read (nil when none was read). A rejected code is a *CodeRejectedError, a token another user holds or a refusal
// an *OutcomeError.
func (e *Engine) Assign(ctx context.Context, client graph.API, a Assignment, token *graph.Device) (*graph.Device, error) {
	w := &assignmentWrite{client: client, userID: a.UserID, tokenID: token.ID, displayName: a.DisplayName}
	if a.Activate {
		v, err := e.verifier(a, token)
		if err != nil {
			return nil, err
		}
		w.code = v
	}
	d, err := e.converge(ctx, client, token.ID, token, w.assign(ctx), w.done, w.next(ctx))
	if err != nil {
		return d, err
	}
	return w.shownAs(token, d), nil
}

// Activate activates token (as read before), which a.UserID holds already, with a code from a.Seed; a code Graph
// rejects is sent once more on the next TOTP step when the step rolled over or was about to. Returns as Assign.
func (e *Engine) Activate(ctx context.Context, client graph.API, a Assignment, token *graph.Device) (*graph.Device, error) {
	v, err := e.verifier(a, token)
	if err != nil {
		return nil, err
	}
	w := &assignmentWrite{client: client, userID: a.UserID, tokenID: token.ID, displayName: a.DisplayName, code: v}
	d, err := e.converge(ctx, client, token.ID, token, w.activate(ctx), w.done, w.next(ctx))
	if err != nil {
		return d, err
	}
	return w.shownAs(token, d), nil
}

func (e *Engine) verifier(a Assignment, token *graph.Device) (*verifier, error) {
	if a.Seed == nil {
		return nil, errors.New("activating the token needs its seed")
	}
	seed, err := a.Seed()
	if err != nil {
		return nil, err
	}
	return &verifier{seed: seed, device: token, clock: e.Clock}, nil
}

// shownAs is the token after w succeeded: as last read when that read showed it done (a write Graph applied
// although its answer said otherwise), else as before with the holder and status the write gave it.
func (w *assignmentWrite) shownAs(before, read *graph.Device) *graph.Device {
	if read != nil && w.done(read) {
		return read
	}
	d := *before
	d.AssignedTo = &graph.Identity{ID: w.userID}
	d.Status = graph.StatusAssigned
	if w.code != nil {
		d.Status = graph.StatusActivated
	}
	return &d
}

// Deactivate deactivates the token userID holds (it stays assigned, status assigned), reading the token when Graph
// does not answer with a success.
func (e *Engine) Deactivate(ctx context.Context, client graph.API, userID, tokenID string) error {
	send := func() error { return client.DeactivateMethod(ctx, userID, tokenID) }
	_, err := e.converge(ctx, client, tokenID, nil, send, func(d *graph.Device) bool {
		return holdingOf(d, userID) != tokenHeld || d.Status != graph.StatusActivated
	}, resendIfUnknown(send))
	return err
}

// Unassign takes the token from userID and returns once Graph shows that the user no longer holds it (so that the
// token's delete, or a new assignment, never finds it still assigned). Whatever Graph answers, the token as Graph
// then shows it says whether the user still holds it. A failure to see it released is an *UnconfirmedError.
func (e *Engine) Unassign(ctx context.Context, client graph.API, userID, tokenID string) error {
	send := func() error { return client.UnassignDevice(ctx, userID, tokenID) }
	released := func(d *graph.Device) bool { return holdingOf(d, userID) != tokenHeld }
	if _, err := e.converge(ctx, client, tokenID, nil, send, released, resendIfUnknown(send)); err != nil {
		return err
	}
	if err := e.confirm(ctx, goneOr(ctx, client, tokenID, released)); err != nil {
		return &UnconfirmedError{Err: err}
	}
	return nil
}

// EnsureAssignment makes Graph show a: the token assigned to the user, activated when a.Activate (deactivated when
// a.Deactivate and activated). current is the token as a listing showed it (nil: read it, waiting out the
// consistency window for a token created moments ago). A token another user holds is an *OutcomeError
// (OutcomeHeldByOther) before any write; a token Graph does not show is ErrTokenNotFound. It returns the token as
// it now stands (after an error: as last read, nil when unknown).
func (e *Engine) EnsureAssignment(ctx context.Context, client graph.API, a Assignment, current *graph.Device) (*graph.Device, error) {
	if current == nil {
		d, err := e.ReadNew(ctx, client, a.TokenID)
		switch {
		case err != nil:
			return nil, err
		case d == nil:
			return nil, ErrTokenNotFound
		}
		current = d
	}
	switch holdingOf(current, a.UserID) {
	case tokenHeldByOther:
		return current, errHeldByOther(ctx, client, current, nil)
	case tokenAvailable:
		return e.Assign(ctx, client, a, current)
	}
	switch status := EffectiveStatus(current); {
	case a.Activate && status != graph.StatusActivated:
		return e.Activate(ctx, client, a, current)
	case a.Deactivate && !a.Activate && status == graph.StatusActivated:
		if err := e.Deactivate(ctx, client, a.UserID, current.ID); err != nil {
			return current, err
		}
		d := *current
		d.Status = graph.StatusAssigned
		return &d, nil
	}
	return current, nil
}
