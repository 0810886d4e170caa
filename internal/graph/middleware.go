package graph

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// middlewares is the HTTP pipeline, outermost first. It is spelled out instead of taken from
// GetDefaultMiddlewaresWithOptions because kiota builds that list from a map (so in random order), and kiota's
// RetryHandler truncates fractional Retry-After values and replays a POST after a 504.
func middlewares(maxRetries int, logger func(context.Context, RequestLog)) []khttp.Middleware {
	retry := retryHandler{maxRetries: maxRetries, gate: &throttleGate{}}
	return []khttp.Middleware{
		msgraphcore.NewGraphTelemetryHandler(&msgraphcore.GraphClientOptions{}), // one client-request-id per call
		khttp.NewUserAgentHandler(),
		khttp.NewParametersNameDecodingHandler(), // %24filter -> $filter
		khttp.NewRedirectHandler(),
		khttp.NewCompressionHandler(),
		retry,
		observeHandler{logger: logger},
	}
}

const (
	retryAttemptHeader = "Retry-Attempt"
	baseBackoff        = time.Second
	maxBackoff         = 30 * time.Second
	// maxThrottleWait bounds how long a call without a deadline waits out throttling; the provider's resources
	// always have one (their timeouts).
	maxThrottleWait = 10 * time.Minute
)

// retryHandler is the single place that decides on retries, by what Graph documents:
//   - 429 means Graph did not process the call (throttling docs), so every method, writes included, is sent again
//     after Retry-After (or a backoff), for as long as the context's deadline allows: throttling never ends a call
//     early, and it does not count against maxRetries.
//   - For reads (GET), which are safe to repeat whatever happened, a 503 with Retry-After is throttling too; other
//     5xx answers, a 503 without Retry-After and transport errors are retried up to maxRetries times.
//   - Any other answer to a write (POST, PATCH, DELETE) goes back to the caller: nothing documents that a 5xx or a
//     lost connection means the write was not applied, so the caller looks at Graph before writing again.
//
// No wait ever outlasts the request's context deadline (the resource's timeout): the call then ends with the last
// answer instead.
type retryHandler struct {
	maxRetries int
	gate       *throttleGate // shared by every call of one Client
}

func (h retryHandler) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(maxThrottleWait)
	}
	retries := 0            // retries of answers other than throttling
	var last *http.Response // Graph's latest answer worth retrying, kept in memory
	for attempt := 1; ; attempt++ {
		if err := h.gate.wait(ctx); err != nil {
			return lastOr(ctx, last, nil, err)
		}
		try := withBody(req.Clone(ctx), body)
		if attempt > 1 {
			try.Header.Set(retryAttemptHeader, strconv.Itoa(attempt-1))
		}
		resp, err := p.Next(try, i)
		if err != nil && ctx.Err() != nil && isRead(req) {
			return lastOr(ctx, last, resp, err) // the deadline cut this read short: Graph's last answer says why
		}
		kind := retryKind(req, resp, err)
		if kind == retryOther {
			retries++
			if retries > h.maxRetries {
				kind = retryNone
			}
		}
		if kind == retryNone || ctx.Err() != nil {
			return keepBody(resp), err
		}
		delay, ok := retryAfter(headerOf(resp))
		if !ok {
			delay = backoff(attempt)
		}
		if time.Until(deadline) <= delay {
			return keepBody(resp), err // Graph's own answer explains the failure better than a wait cut short
		}
		if resp != nil {
			last = keepBody(resp)
		}
		if kind == retryThrottled {
			h.gate.closeFor(delay) // this call and every other one wait at the gate
			continue
		}
		if err := sleep(ctx, delay); err != nil {
			return lastOr(ctx, last, nil, err)
		}
	}
}

// lastOr hands back Graph's last answer, when there was one, instead of a failure of the caller's deadline.
func lastOr(ctx context.Context, last, resp *http.Response, err error) (*http.Response, error) {
	if last != nil {
		if ex, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
			ex.status, ex.requestID = last.StatusCode, last.Header.Get("request-id")
		}
		return last, nil
	}
	return resp, err
}

// maxKeptBody bounds how much of an answer is kept in memory; Graph's error bodies are a few hundred bytes.
const maxKeptBody = 1 << 20

// keepBody reads an error answer's body at once, so Graph's code and message survive the deadline expiring
// before kiota reads them.
func keepBody(resp *http.Response) *http.Response {
	if resp == nil || resp.StatusCode < http.StatusBadRequest {
		return resp
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxKeptBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

type retryClass int

const (
	retryNone      retryClass = iota
	retryThrottled            // Graph asked every caller to back off: retried until the deadline
	retryOther                // retried up to maxRetries times
)

// retryKind classifies one attempt's answer.
func retryKind(req *http.Request, resp *http.Response, err error) retryClass {
	read := isRead(req)
	var certErr *tls.CertificateVerificationError
	switch {
	case err != nil:
		if read && !errors.As(err, &certErr) {
			return retryOther
		}
		return retryNone
	case resp.StatusCode == http.StatusTooManyRequests:
		return retryThrottled
	case !read || resp.StatusCode < http.StatusInternalServerError:
		return retryNone
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		return retryThrottled
	}
	return retryOther
}

// isRead reports a call that is safe to repeat and changes nothing, whatever became of it. A write cut short may
// have reached Graph, so its outcome is unknown: an earlier 429 must not stand in for it.
func isRead(req *http.Request) bool {
	return req.Method == http.MethodGet || req.Method == http.MethodHead
}

func headerOf(resp *http.Response) http.Header {
	if resp == nil {
		return http.Header{}
	}
	return resp.Header
}

// throttleGate holds back every call of one Client while Graph's latest Retry-After runs: when the tenant is
// throttled, the provider's parallel resources then wait together instead of each spending its own retries on 429s.
type throttleGate struct {
	mu    sync.Mutex
	until time.Time
}

func (g *throttleGate) closeFor(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := time.Now().Add(d); until.After(g.until) {
		g.until = until
	}
}

// wait returns once the gate is open, plus up to 10% jitter so the waiting calls do not all arrive at once. A
// call whose deadline comes first goes ahead at once: its answer, not a wait cut short, then ends it.
func (g *throttleGate) wait(ctx context.Context) error {
	g.mu.Lock()
	d := time.Until(g.until)
	g.mu.Unlock()
	if d <= 0 {
		return nil
	}
	d += rand.N(d/10 + 1)
	if !fitsDeadline(ctx, d) {
		return nil
	}
	return sleep(ctx, d)
}

// fitsDeadline reports whether waiting d still leaves time before ctx's deadline.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

// retryAfter reads Retry-After as (possibly fractional, e.g. "2.128") seconds or as an HTTP date.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// backoff is exponential with up to 25% jitter, for answers without Retry-After; one wait is at most maxBackoff
// (plus jitter), so a raised max_retries waits longer in total rather than ever longer each time.
func backoff(attempt int) time.Duration {
	d := min(baseBackoff<<min(attempt-1, 30), maxBackoff)
	return d + rand.N(d/4+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

// withBody gives one attempt its own reader over the request body, so every attempt sends it whole.
func withBody(req *http.Request, body []byte) *http.Request {
	if len(body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
		return req
	}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.Body, _ = req.GetBody()
	req.ContentLength = int64(len(body))
	return req
}

// exchange is what the pipeline saw of one call's last attempt. Errors use it when kiota cannot parse an error
// body (a gateway's HTML page, say), so they still carry the status and request-id.
type exchange struct {
	pathTemplate string
	status       int
	requestID    string
}

type exchangeKey struct{}

func withExchange(ctx context.Context, urlTemplate string) (context.Context, *exchange) {
	path, _, _ := strings.Cut(urlTemplate, "{?")
	ex := &exchange{pathTemplate: path}
	return context.WithValue(ctx, exchangeKey{}, ex), ex
}

// observeHandler runs once per attempt: it fills the call's exchange and feeds Config.Logger.
type observeHandler struct {
	logger func(context.Context, RequestLog)
}

func (h observeHandler) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := p.Next(req, i)
	ex, ok := req.Context().Value(exchangeKey{}).(*exchange)
	if !ok {
		return resp, err
	}
	ex.status, ex.requestID = 0, ""
	if resp != nil {
		ex.status, ex.requestID = resp.StatusCode, resp.Header.Get("request-id")
	}
	if h.logger != nil {
		retries, _ := strconv.Atoi(req.Header.Get(retryAttemptHeader))
		h.logger(req.Context(), RequestLog{
			Method:       req.Method,
			PathTemplate: ex.pathTemplate,
			Attempt:      retries + 1,
			Status:       ex.status,
			RequestID:    ex.requestID,
			Duration:     time.Since(start),
		})
	}
	return resp, err
}
