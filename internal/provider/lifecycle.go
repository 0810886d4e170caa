package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

// What the token and assignment resources need around the lifecycle engine (internal/lifecycle): their timeouts,
// the engine's log in Terraform's, the private-state note of when the provider last wrote a resource, and the
// wording of the engine's outcomes in diagnostics.

// Default timeouts of the per-token resources; a `timeouts` block overrides them. Each bounds every retry, wait and
// poll of the operation.
const (
	defaultCreateTimeout = 10 * time.Minute
	defaultReadTimeout   = 5 * time.Minute
	defaultUpdateTimeout = 10 * time.Minute
	defaultDeleteTimeout = 10 * time.Minute
)

// timeoutDefaults are a resource's default timeouts, as its `timeouts` block states them.
type timeoutDefaults struct{ create, read, update, delete time.Duration }

var tokenTimeouts = timeoutDefaults{defaultCreateTimeout, defaultReadTimeout, defaultUpdateTimeout, defaultDeleteTimeout}

// timeoutsBlock is the `timeouts` block of a resource whose operations all call Graph.
func timeoutsBlock(ctx context.Context, def timeoutDefaults) schema.SingleNestedBlock {
	minutes := func(d time.Duration) string { return fmt.Sprintf("Default `%dm`.", d/time.Minute) }
	block, _ := timeouts.Block(ctx, timeouts.Opts{
		Create: true, Read: true, Update: true, Delete: true,
		CreateDescription: "How long creating may take, retries and waits for Microsoft Graph included (a duration such as `30s` or `2h45m`). " + minutes(def.create),
		ReadDescription:   "How long a refresh may take, retries and waits for Microsoft Graph included. " + minutes(def.read),
		UpdateDescription: "How long an update may take, retries and waits for Microsoft Graph included. " + minutes(def.update),
		DeleteDescription: "How long destroying may take, including waiting until Microsoft Graph no longer shows the object. " + minutes(def.delete),
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

// newEngine is the lifecycle engine of one configured provider: real clock, default consistency window, logging
// to Terraform's log.
func newEngine() *lifecycle.Engine {
	e := lifecycle.New()
	e.Log = func(ctx context.Context, level lifecycle.Level, msg string, fields map[string]any) {
		if level == lifecycle.LevelWarn {
			tflog.Warn(ctx, msg, fields)
			return
		}
		tflog.Info(ctx, msg, fields)
	}
	return e
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

// lastWrite is when the provider last wrote the resource; the zero time for a resource it never wrote (imported,
// or written by an older version), which the engine counts as settled already.
func lastWrite(ctx context.Context, private privateState) time.Time {
	raw, diags := private.GetKey(ctx, privateLastWrite)
	var at time.Time
	if diags.HasError() || len(raw) == 0 || json.Unmarshal(raw, &at) != nil {
		return time.Time{}
	}
	return at
}

// describeOutcome appends what Graph showed of the token after a failed write, and the advice, to detail.
func describeOutcome(detail string, err error) string {
	var oe *lifecycle.OutcomeError
	if !errors.As(err, &oe) {
		return detail
	}
	var advice string
	switch {
	case oe.Kind == lifecycle.OutcomeGone:
		advice = "Check token_id; if the token was deleted, create it again."
	case oe.Kind == lifecycle.OutcomeHeldByOther:
		advice = "A token can be assigned to only one user: unassign it from that user first, or assign another token."
	case oe.LimitHint():
		advice = "Graph's answer points at the user's token limit: a user can hold at most five hardware OATH tokens " +
			"(hardware tokens and authenticator apps combined). Unassign one of the user's tokens first."
	}
	detail += "\n\nAfterwards Graph showed that " + oe.Shown() + "."
	if advice != "" {
		detail += " " + advice
	}
	return detail
}
