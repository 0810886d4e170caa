package lifecycle

import (
	"context"
	"testing"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

// TestChanged: a 404 right after a write is read-after-write lag, not a change (a new token reads as 404 for a while).
func TestChanged(t *testing.T) {
	available := &graph.Device{Status: graph.StatusAvailable}
	held := &graph.Device{Status: graph.StatusAssigned, AssignedTo: &graph.Identity{ID: "u"}}
	failed := &graph.Device{Status: graph.StatusFailedActivation, AssignedTo: &graph.Identity{ID: "u"}}
	for _, c := range []struct {
		name      string
		before, d *graph.Device
		want      bool
	}{
		{"not shown yet", available, nil, false},
		{"unchanged", available, available, false},
		{"assigned", available, held, true},
		{"activation failed", held, failed, true},
	} {
		if got := changed(c.before, c.d); got != c.want {
			t.Errorf("%s: changed = %v, want %v", c.name, got, c.want)
		}
	}
}

// scriptedClock answers Now from a list and records what it was asked to wait.
type scriptedClock struct {
	nows  []time.Time
	slept time.Duration
}

func (c *scriptedClock) Now() time.Time {
	t := c.nows[0]
	c.nows = c.nows[1:]
	return t
}

func (c *scriptedClock) Sleep(_ context.Context, d time.Duration) error {
	c.slept += d
	return nil
}

// TestVerifierNextStep: after Graph rejected a code, one more code is worth sending only when the TOTP step rolled
// over since the code was computed, or the code was computed near the step's end; and only once, after waiting for
// the next step to begin.
func TestVerifierNextStep(t *testing.T) {
	const seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	device := &graph.Device{TimeIntervalInSeconds: 30, HashFunction: graph.HashSHA1}
	boundary := time.Unix(1_800_000_000, 0) // a multiple of 30 seconds
	for _, tc := range []struct {
		name      string
		sent, now time.Time
		wantRetry bool
		wantWait  time.Duration
	}{
		{"rejected within the step", boundary.Add(-10 * time.Second), boundary.Add(-9 * time.Second), false, 0},
		{"rejected after rollover", boundary.Add(-5 * time.Second), boundary.Add(time.Second), true, 0},
		{"rejected near the step end", boundary.Add(-time.Second), boundary.Add(-900 * time.Millisecond), true, 900 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &scriptedClock{nows: []time.Time{tc.sent, tc.now, tc.now.Add(time.Minute)}}
			v := &verifier{seed: seed, device: device, clock: clock}
			code, err := v.code()
			want, _ := totp.Code(seed, tc.sent, 30, graph.HashSHA1)
			if err != nil || code != want {
				t.Fatalf("code() = %q, %v; want the code of the time it was computed", code, err)
			}
			again, err := v.nextStep(context.Background())
			if err != nil || again != tc.wantRetry || clock.slept != tc.wantWait {
				t.Fatalf("nextStep() = %v, %v after waiting %v; want %v after %v", again, err, clock.slept, tc.wantRetry, tc.wantWait)
			}
			if again {
				if again, _ := v.nextStep(context.Background()); again {
					t.Fatal("nextStep() allowed a second retry")
				}
			}
		})
	}
}
