package provider

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// Shared by the token and assignment resources: their timeouts, the polling that waits for Microsoft Graph to show
// a write, and the private-state note of when the provider last wrote a resource.

// Default timeouts; a `timeouts` block overrides them. Each bounds every retry, wait and poll of the operation.
const (
	defaultCreateTimeout = 10 * time.Minute
	defaultReadTimeout   = 5 * time.Minute
	defaultUpdateTimeout = 10 * time.Minute
	defaultDeleteTimeout = 10 * time.Minute
)

// timeoutsBlock is the `timeouts` block of a resource whose operations all call Graph.
func timeoutsBlock(ctx context.Context) schema.Block {
	block, _ := timeouts.Block(ctx, timeouts.Opts{
		Create: true, Read: true, Update: true, Delete: true,
		CreateDescription: "How long creating may take, retries and waits for Microsoft Graph included (a duration such as `30s` or `2h45m`). Default `10m`.",
		ReadDescription:   "How long a refresh may take, retries and waits for Microsoft Graph included. Default `5m`.",
		UpdateDescription: "How long an update may take, retries and waits for Microsoft Graph included. Default `10m`.",
		DeleteDescription: "How long destroying may take, including waiting until Microsoft Graph no longer shows the object. Default `10m`.",
	}).(schema.SingleNestedBlock)
	block.MarkdownDescription = "Bounds each operation, including retries of throttled calls and waits for Microsoft Graph to show a write."
	return block
}

// withTimeout bounds ctx by the configured timeout (or def); parsing problems go to diags.
func withTimeout(ctx context.Context, timeout func(context.Context, time.Duration) (time.Duration, diag.Diagnostics),
	def time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	d, ds := timeout(ctx, def)
	diags.Append(ds...)
	return context.WithTimeout(ctx, d)
}

// consistencyWindow is how long Microsoft Graph may go on showing the earlier state of a token after a write
// (a new token may read as 404, an assignment as absent). Within it, a read that contradicts a write the provider
// made is read again before it counts as drift, and a write answered with anything but a success is looked for
// before it is repeated. The emulator's fault suite delays visibility by 2 s.
const consistencyWindow = 5 * time.Second

const (
	pollInterval    = 200 * time.Millisecond
	pollMaxInterval = 2 * time.Second
)

// poll calls check until it reports done or fails. Between calls it waits with exponential backoff (and jitter),
// from pollInterval up to pollMaxInterval. It gives up, returning false and no error, when the next call would come
// after until (so a past or zero until means one call), and with ctx's error when ctx ends first.
func poll(ctx context.Context, until time.Time, check func() (bool, error)) (bool, error) {
	for interval := pollInterval; ; interval = min(2*interval, pollMaxInterval) {
		if done, err := check(); done || err != nil {
			return done, err
		}
		wait := interval + rand.N(interval/4)
		if time.Now().Add(wait).After(until) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// confirm polls check until it reports done, for as long as the operation's timeout (ctx's deadline) allows.
func confirm(ctx context.Context, check func() (bool, error)) error {
	deadline, _ := ctx.Deadline()
	done, err := poll(ctx, deadline, check)
	if err == nil && !done {
		err = context.DeadlineExceeded
	}
	return err
}

// readDevice reads a token, reading again until settled accepts it or until passes: Graph may still show the state
// from before the provider's last write. Only the first read may be answered from a shared inventory listing. A
// token Graph does not show is returned as nil, without error. settled may be nil: any token Graph shows is accepted.
func readDevice(ctx context.Context, client graph.API, id string, until time.Time, settled func(*graph.Device) bool) (*graph.Device, error) {
	var device *graph.Device
	read := ctx
	_, err := poll(ctx, until, func() (bool, error) {
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

// tokenGoneOr is a check for confirm: done once Graph no longer shows token id, or shows it as done accepts (nil
// accepts nothing).
func tokenGoneOr(ctx context.Context, client graph.API, id string, done func(*graph.Device) bool) func() (bool, error) {
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

// privateLastWrite is the private-state key for when the provider last wrote the resource.
const privateLastWrite = "last_write"

// privateState is what the framework's private state offers to resources' requests and responses.
type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// recordWrite notes now as the time of the resource's last write, so reads can tell a write Graph does not show
// yet from drift.
func recordWrite(ctx context.Context, private privateState, diags *diag.Diagnostics) {
	at, _ := json.Marshal(time.Now().UTC()) // a time always marshals
	diags.Append(private.SetKey(ctx, privateLastWrite, at)...)
}

// settledBy is when Graph shows the resource's last write for sure: the consistency window after it. For a resource
// the provider never wrote (imported, or written by an older version) it is the zero time: settled already.
func settledBy(ctx context.Context, private privateState) time.Time {
	raw, diags := private.GetKey(ctx, privateLastWrite)
	var at time.Time
	if diags.HasError() || len(raw) == 0 || json.Unmarshal(raw, &at) != nil {
		return time.Time{}
	}
	return at.Add(consistencyWindow)
}
