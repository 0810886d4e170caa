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
	// maxRetryDelay bounds one wait; a longer Retry-After is handed to the caller as the error instead.
	maxRetryDelay = 3 * time.Minute
)

// retryHandler is the single place that decides on retries. 429 and 503 mean Graph did not process the request,
// so every method is retried. A 504 or a transport error leaves a write's fate unknown: only methods that are safe
// to repeat are retried, and a POST is returned to its caller (the provider, e.g., looks the token up by serial).
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
	for attempt := 1; ; attempt++ {
		if err := h.gate.wait(ctx); err != nil {
			return nil, err
		}
		try := withBody(req.Clone(ctx), body)
		if attempt > 1 {
			try.Header.Set(retryAttemptHeader, strconv.Itoa(attempt-1))
		}
		resp, err := p.Next(try, i)
		delay, throttled, again := h.retryDelay(req, resp, err, attempt)
		if again && !fitsDeadline(ctx, delay) {
			again = false // Graph's own answer explains the failure better than a wait cut short
		}
		if !again {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		if throttled {
			h.gate.closeFor(delay) // this call and every other one wait at the gate
			continue
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// retryDelay says whether to retry and after how long; throttled means Graph asked every caller to back off.
func (h retryHandler) retryDelay(req *http.Request, resp *http.Response, err error, attempt int) (delay time.Duration, throttled, again bool) {
	if attempt > h.maxRetries || req.Context().Err() != nil {
		return 0, false, false
	}
	replayable := req.Method != http.MethodPost
	var certErr *tls.CertificateVerificationError
	switch {
	case err != nil:
		return backoff(attempt), false, replayable && !errors.As(err, &certErr)
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusServiceUnavailable:
		throttled = true
	case resp.StatusCode == http.StatusGatewayTimeout && replayable:
	default:
		return 0, false, false
	}
	delay, ok := retryAfter(resp.Header)
	if !ok {
		delay = backoff(attempt)
	}
	return delay, throttled, delay <= maxRetryDelay
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
