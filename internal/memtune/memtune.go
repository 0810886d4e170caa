// Package memtune keeps the provider process's memory small at thousands of resources: request contexts released
// when a call returns (ReleasingServer) and the collector tuned for a small live heap (TuneGC). It wraps the
// protocol server and never imports the framework.
package memtune

import (
	"context"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// ReleasingServer wraps the framework's protocol server so that each call gets a request context that lets go of the
// request once the call returns.
//
// terraform-plugin-framework (v1.19) registers a cancel function for every call's context and drops them only on
// StopProvider, which Terraform sends at the end of a command; each kept function holds the whole request context:
// gRPC stream, loggers, values, about 10 kB. At 1,000 tokens a plan makes ~8,000 calls, and the provider held
// ~100 MB it no longer needed. Only the calls made once per resource are wrapped: the others are a handful per
// command. TestFrameworkHoldsContextsUntilStop pins this to the framework version in go.mod.
func ReleasingServer(s tfprotov6.ProviderServer) tfprotov6.ProviderServer { return releasingServer{s} }

type releasingServer struct {
	tfprotov6.ProviderServer
}

func (s releasingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return call(ctx, req, s.ProviderServer.ValidateResourceConfig)
}

func (s releasingServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return call(ctx, req, s.ProviderServer.UpgradeResourceState)
}

func (s releasingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return call(ctx, req, s.ProviderServer.ReadResource)
}

func (s releasingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return call(ctx, req, s.ProviderServer.PlanResourceChange)
}

func (s releasingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return call(ctx, req, s.ProviderServer.ApplyResourceChange)
}

func (s releasingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return call(ctx, req, s.ProviderServer.ImportResourceState)
}

func (s releasingServer) CallFunction(ctx context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return call(ctx, req, s.ProviderServer.CallFunction)
}

func call[Req, Resp any](ctx context.Context, req Req, f func(context.Context, Req) (Resp, error)) (Resp, error) {
	rc := &releasableContext{}
	rc.ctx.Store(&ctx)
	defer rc.release()
	return f(rc, req)
}

// releasableContext is ctx until release, then a canceled context holding nothing. A goroutine that outlives the
// call (the shared inventory listing runs detached from its first caller) keeps working; it loses only the
// request's log fields.
type releasableContext struct {
	ctx atomic.Pointer[context.Context]
}

var releasedContext = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func (c *releasableContext) release() { c.ctx.Store(&releasedContext) }

func (c *releasableContext) current() context.Context    { return *c.ctx.Load() }
func (c *releasableContext) Deadline() (time.Time, bool) { return c.current().Deadline() }
func (c *releasableContext) Done() <-chan struct{}       { return c.current().Done() }
func (c *releasableContext) Err() error                  { return c.current().Err() }
func (c *releasableContext) Value(key any) any           { return c.current().Value(key) }

// TuneGC trades memory for CPU. With requests released (ReleasingServer) the live heap stays near 10 MB even at
// thousands of resources, while every call allocates afresh: collecting at 11× the live heap rather than 2× spares
// most of the CPU a plan spent on garbage collection (peak RSS about 105 MB at 1,000 tokens). The memory limit only
// bounds a larger live heap, where it collects sooner; it is far above the live heap, because a limit near it would
// make the collector run without pause: an entraoath_hardware_token_fleet of 10,000 tokens holds some 250 MB live
// during a plan, and a 256 MiB limit had the collector take 97 s of CPU in that plan. GOGC and GOMEMLIMIT in the environment still win.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// The collector settings TuneGC applies.
const (
	gcPercent   = 1000
	memoryLimit = 448 << 20
)
