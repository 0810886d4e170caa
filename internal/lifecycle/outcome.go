package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

// Microsoft documents neither the status nor the code Graph answers when it refuses a write to a token (a wrong
// verification code, an assigned token, a token another user holds, a user's token limit), nor whether a write
// answered with a 5xx or not at all was applied. So after any answer to a write that is not a success, the engine
// reads the token and decides from its status and holder what happened and what to do next; Graph's code and
// message only refine the error. converge is that one place.

// maxWriteAttempts bounds how often converge sends a write while the token does not show what it should.
const maxWriteAttempts = 5

// converge sends first and, while Graph's answer is not a success, reads the token (fresh, waiting out
// read-after-write lag) and asks next what to send now. It ends when a write succeeds, when the token shows done
// (the write was applied although its answer said otherwise), or when next gives up with an error. before is the
// token as read before the write (nil if not read): a refused write that changed nothing is then told apart from
// one Graph shows late. It returns the token as last read (nil when none was read or Graph does not show it).
func (e *Engine) converge(ctx context.Context, client graph.API, tokenID string, before *graph.Device, first func() error,
	done func(*graph.Device) bool, next func(d *graph.Device, err error) (func() error, error)) (*graph.Device, error) {
	err := first()
	var d *graph.Device
	for attempt := 1; err != nil; attempt++ {
		if !graph.IsOutcomeUnknown(err) && !graph.IsRefused(err) {
			return d, err // throttled until the timeout, or the timeout itself: nothing to learn from the token
		}
		e.log(ctx, LevelWarn, "A hardware token write was not answered with a success; reading the token to see what happened",
			map[string]any{"token_id": tokenID, "error": err.Error()})
		var readErr error
		if d, readErr = e.observe(ctx, client, tokenID, before, done, graph.IsOutcomeUnknown(err)); readErr != nil {
			return d, &ReadFailedError{Err: err, ReadErr: readErr}
		}
		if done(d) {
			return d, nil
		}
		if attempt == maxWriteAttempts {
			return d, err
		}
		send, stop := next(d, err)
		if stop != nil {
			return d, stop
		}
		before, err = d, send()
	}
	return d, nil
}

// ReadFailedError is a write Graph did not answer with a success, after which reading the token (to learn what
// Graph applied) failed too. Err is the write's answer, ReadErr the read's.
type ReadFailedError struct{ Err, ReadErr error }

func (e *ReadFailedError) Error() string {
	return fmt.Sprintf("%v; reading the token afterwards failed too: %v", e.Err, e.ReadErr)
}

func (e *ReadFailedError) Unwrap() []error { return []error{e.Err, e.ReadErr} }

// observe reads the token after a failed write until it shows done or differs from before, for up to the
// consistency window. When before is nil and the write was refused, one read tells all: a refusal changes nothing.
// The token returned is nil when Graph did not show it.
func (e *Engine) observe(ctx context.Context, client graph.API, tokenID string, before *graph.Device, done func(*graph.Device) bool,
	unknown bool) (*graph.Device, error) {
	until := e.Now().Add(e.Window)
	if before == nil && !unknown {
		until = time.Time{}
	}
	var d *graph.Device
	_, err := e.poll(ctx, until, func() (bool, error) {
		got, err := client.GetDevice(graph.WithFreshReads(ctx), tokenID)
		switch {
		case graph.IsNotFound(err):
			d = nil
		case err != nil:
			return false, err
		default:
			d = got
		}
		return done(d) || before != nil && changed(before, d), nil
	})
	return d, err
}

// changed reports whether Graph shows the token held, released or in another status than before. A token Graph
// does not show (404) has not changed: a token created moments ago reads as 404 until Graph shows it, so only a
// 404 that lasts the whole window means the token is gone.
func changed(before, d *graph.Device) bool {
	return d != nil && (holdingOf(d, "") != holdingOf(before, "") || d.Status != before.Status)
}

// holding is who holds a token, as far as one user is concerned.
type holding int

const (
	tokenGone        holding = iota // Graph does not show the token
	tokenAvailable                  // nobody holds it
	tokenHeld                       // the user holds it (the empty user: somebody does)
	tokenHeldByOther                // another user holds it
)

func holdingOf(d *graph.Device, userID string) holding {
	switch {
	case d == nil:
		return tokenGone
	case d.AssignedTo == nil || d.AssignedTo.ID == "":
		return tokenAvailable
	case userID == "" || strings.EqualFold(d.AssignedTo.ID, userID):
		return tokenHeld
	}
	return tokenHeldByOther
}

// Outcome is what Graph showed of a token after a write it did not answer with a success.
type Outcome int

// Outcomes of an *OutcomeError.
const (
	// OutcomeGone: Graph no longer shows the token (deleted while written, or never shown).
	OutcomeGone Outcome = iota + 1
	// OutcomeHeldByOther: another user holds the token; OutcomeError.Holder names them.
	OutcomeHeldByOther
	// OutcomeRefused: Graph refused the write and the token is unchanged.
	OutcomeRefused
)

// OutcomeError is a failed write explained by what Graph showed of the token afterwards. Err is Graph's last
// answer (usually a *graph.Error), nil when the engine found the outcome before writing.
type OutcomeError struct {
	Kind     Outcome
	HolderID string // OutcomeHeldByOther: the holder's object id
	Holder   string // OutcomeHeldByOther: the holder as UserLabel names them
	Err      error
}

func (e *OutcomeError) Error() string {
	if e.Err != nil {
		return e.Shown() + ": " + e.Err.Error()
	}
	return e.Shown()
}

// Shown says what Graph showed of the token, as a clause for messages.
func (e *OutcomeError) Shown() string {
	switch e.Kind {
	case OutcomeGone:
		return "Graph no longer shows the token"
	case OutcomeHeldByOther:
		return "the token is assigned to user " + e.Holder
	}
	return "Graph refused the call and the token is unchanged"
}

func (e *OutcomeError) Unwrap() error { return e.Err }

// LimitHint reports a refusal whose code or message speaks of a limit: likely the user's token limit (five
// hardware OATH tokens and authenticator apps combined).
func (e *OutcomeError) LimitHint() bool {
	var ge *graph.Error
	if e.Kind != OutcomeRefused || !errors.As(e.Err, &ge) {
		return false
	}
	hint := strings.ToLower(ge.Code + " " + ge.Message)
	return strings.Contains(hint, "quota") || strings.Contains(hint, "limit") || strings.Contains(hint, "maximum")
}

func errGone(err error) error { return &OutcomeError{Kind: OutcomeGone, Err: err} }

func errRefused(err error) error { return &OutcomeError{Kind: OutcomeRefused, Err: err} }

// errHeldByOther names the user who holds d, by user principal name when Graph knows it.
func errHeldByOther(ctx context.Context, client graph.API, d *graph.Device, err error) error {
	return &OutcomeError{Kind: OutcomeHeldByOther, HolderID: d.AssignedTo.ID, Holder: UserLabel(ctx, client, d.AssignedTo.ID), Err: err}
}

// CodeRejectedError: after an activation with a code computed from the seed, the token is assigned to the user but
// not activated, also after the one retry with the next TOTP step's code where that was worth it.
type CodeRejectedError struct {
	Token  *graph.Device // the token as read after the rejection: its settings were used for the code
	Status string        // the token's effective status then
	Err    error         // Graph's answer to the last activation
}

func (e *CodeRejectedError) Error() string {
	return "Graph rejected the verification code: " + e.Err.Error()
}

func (e *CodeRejectedError) Unwrap() error { return e.Err }

// activationStepMargin: a code computed this close to the end of its TOTP step may be stale when Graph checks it.
const activationStepMargin = 2 * time.Second

// verifier computes verification codes when they are sent, never earlier, so a saved plan carries none.
type verifier struct {
	seed    string
	device  *graph.Device // period and hash function
	clock   Clock
	sentAt  time.Time // when the last code was computed
	retried bool
}

func (v *verifier) period() int64 { return int64(v.device.TimeIntervalInSeconds) }

func (v *verifier) code() (string, error) {
	v.sentAt = v.clock.Now()
	code, err := totp.Code(v.seed, v.sentAt, v.period(), v.device.HashFunction)
	if err != nil {
		return "", fmt.Errorf("compute the verification code: %w", err)
	}
	return code, nil
}

// nextStep is called when Graph rejected the last code. If the TOTP step rolled over since the code was computed,
// or it was computed near the step's end, and no code was retried yet, it waits for the next step and reports
// true: the next code is worth one more try. Otherwise the seed or the token's settings are wrong.
func (v *verifier) nextStep(ctx context.Context) (bool, error) {
	p := v.period()
	step := func(t time.Time) int64 { return t.Unix() / p }
	t1 := v.clock.Now()
	if v.retried || step(t1) == step(v.sentAt) && !nearStepEnd(v.sentAt, p) {
		return false, nil
	}
	v.retried = true
	next := time.Unix((step(v.sentAt)+1)*p, 0)
	if wait := next.Sub(t1); wait > 0 {
		if err := v.clock.Sleep(ctx, wait); err != nil {
			return false, err
		}
	}
	return true, nil
}

func nearStepEnd(t time.Time, period int64) bool {
	end := time.Unix((t.Unix()/period+1)*period, 0)
	return end.Sub(t) <= activationStepMargin
}

// assignmentWrite assigns a token to a user and, with a verifier, activates it; it knows what to send next after
// a failed write, from what Graph shows of the token.
type assignmentWrite struct {
	client      graph.API
	userID      string
	tokenID     string
	code        *verifier // nil: assign only
	displayName string
	plainAssign bool // assignAndActivate was refused on an available token, so assign and activate were sent apart
}

func (w *assignmentWrite) done(d *graph.Device) bool {
	return holdingOf(d, w.userID) == tokenHeld && (w.code == nil || d.Status == graph.StatusActivated)
}

// assign sends the first write for an available token: assignAndActivate, or a plain assignment.
func (w *assignmentWrite) assign(ctx context.Context) func() error {
	return func() error {
		if w.code == nil || w.plainAssign {
			if err := w.client.AssignDevice(ctx, w.userID, w.tokenID); err != nil || w.code == nil {
				return err
			}
			return w.activate(ctx)()
		}
		code, err := w.code.code()
		if err != nil {
			return err
		}
		return w.client.AssignAndActivate(ctx, w.userID, w.tokenID, code, w.displayName)
	}
}

// activate activates the token the user holds already.
func (w *assignmentWrite) activate(ctx context.Context) func() error {
	return func() error {
		code, err := w.code.code()
		if err != nil {
			return err
		}
		return w.client.ActivateMethod(ctx, w.userID, w.tokenID, code, w.displayName)
	}
}

// next decides after a failed assignment or activation, from the token as Graph shows it.
func (w *assignmentWrite) next(ctx context.Context) func(*graph.Device, error) (func() error, error) {
	return func(d *graph.Device, err error) (func() error, error) {
		switch holdingOf(d, w.userID) {
		case tokenGone:
			return nil, errGone(err)
		case tokenHeldByOther:
			return nil, errHeldByOther(ctx, w.client, d, err)
		case tokenHeld: // and not activated, or done would have said so
			if graph.IsOutcomeUnknown(err) && d.Status != graph.StatusFailedActivation {
				return w.activate(ctx), nil // the activation was not applied
			}
			again, serr := w.code.nextStep(ctx)
			if serr != nil || !again {
				return nil, errors.Join(serr, &CodeRejectedError{Token: d, Status: EffectiveStatus(d), Err: err})
			}
			return w.activate(ctx), nil
		}
		// Available: the write was not applied, or was undone.
		switch {
		case graph.IsOutcomeUnknown(err):
		case w.code != nil && !w.plainAssign:
			// A refused assignAndActivate may be a wrong code that Graph rolled back, or a refused assignment: sent
			// apart, the assignment and the activation each show which.
			w.plainAssign = true
		default:
			return nil, errRefused(err)
		}
		return w.assign(ctx), nil
	}
}

// resendIfUnknown is a next for writes with nothing to decide: the same write again when its outcome was unknown
// and the token does not show it, Graph's refusal otherwise.
func resendIfUnknown(send func() error) func(*graph.Device, error) (func() error, error) {
	return func(_ *graph.Device, err error) (func() error, error) {
		if graph.IsOutcomeUnknown(err) {
			return send, nil
		}
		return nil, errRefused(err)
	}
}
