package lifecycle

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// DefaultWindow is how long Microsoft Graph may go on showing the earlier state of a token after a write (a new
// token may read as 404, an assignment as absent). The emulator's fault suite delays visibility by 2 s.
const DefaultWindow = 5 * time.Second

// Clock is the engine's time: Now for codes and windows, Sleep for every wait.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or returns ctx's error when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

// RealClock is the wall clock.
func RealClock() Clock { return realClock{} }

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d): // collected once fired or dropped (Go 1.23), no Stop needed
	}
	return nil
}

// Level is a log message's severity.
type Level int

// Log levels.
const (
	LevelInfo Level = iota
	LevelWarn
)

// Logger receives the engine's log messages; fields never hold a seed or a code.
type Logger func(ctx context.Context, level Level, msg string, fields map[string]any)

// Engine runs token lifecycle operations. It holds no state of its own: one Engine serves concurrent operations.
type Engine struct {
	Clock  Clock         // the time; New sets RealClock
	Window time.Duration // the consistency window; New sets DefaultWindow
	Log    Logger        // nil: silent
}

// New returns an Engine on the real clock with the default consistency window.
func New() *Engine { return &Engine{Clock: RealClock(), Window: DefaultWindow} }

// Now is the engine clock's time.
func (e *Engine) Now() time.Time { return e.Clock.Now() }

// SettledBy is when Graph shows a write made at lastWrite for sure: the consistency window after it. The zero
// time (a token never written by the provider) is settled already: it returns the zero time.
func (e *Engine) SettledBy(lastWrite time.Time) time.Time {
	if lastWrite.IsZero() {
		return time.Time{}
	}
	return lastWrite.Add(e.Window)
}

func (e *Engine) log(ctx context.Context, level Level, msg string, fields map[string]any) {
	if e.Log != nil {
		e.Log(ctx, level, msg, fields)
	}
}

const (
	pollInterval    = 200 * time.Millisecond
	pollMaxInterval = 2 * time.Second
)

// poll calls check until it reports done or fails. Between calls it waits with exponential backoff (and jitter),
// from pollInterval up to pollMaxInterval. It gives up, returning false and no error, when the next call would come
// after until (so a past or zero until means one call), and with ctx's error when ctx ends first.
func (e *Engine) poll(ctx context.Context, until time.Time, check func() (bool, error)) (bool, error) {
	for interval := pollInterval; ; interval = min(2*interval, pollMaxInterval) {
		if done, err := check(); done || err != nil {
			return done, err
		}
		wait := interval + rand.N(interval/4)
		if e.Now().Add(wait).After(until) {
			return false, nil
		}
		if err := e.Clock.Sleep(ctx, wait); err != nil {
			return false, err
		}
	}
}

// confirm polls check until it reports done, for as long as ctx's deadline allows (on the engine's clock).
func (e *Engine) confirm(ctx context.Context, check func() (bool, error)) error {
	deadline, ok := ctx.Deadline()
	if ok {
		deadline = e.Now().Add(time.Until(deadline))
	} else {
		deadline = e.Now().Add(10 * time.Minute) // the Graph client's own bound without a deadline
	}
	done, err := e.poll(ctx, deadline, check)
	if err == nil && !done {
		err = context.DeadlineExceeded
	}
	return err
}

// goneOr is a check for confirm: done once Graph no longer shows token id, or shows it as done accepts (nil
// accepts nothing).
func goneOr(ctx context.Context, client graph.API, id string, done func(*graph.Device) bool) func() (bool, error) {
	return func() (bool, error) {
		d, err := client.GetDevice(graph.WithFreshReads(ctx), id)
		switch {
		case graph.IsNotFound(err):
			return true, nil
		case err != nil:
			return false, err
		}
		return done != nil && done(d), nil
	}
}
