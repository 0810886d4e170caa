package emulator

import (
	"compress/gzip"
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running emulator. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	url    string
	ownCA  bool // CAFile was created by Start and is removed by Close
	http   *http.Server
	closed atomic.Bool

	stopped  chan struct{} // closed by POST /_emulator/shutdown
	stopOnce sync.Once

	latency atomic.Int64 // time.Duration added to every Graph call

	mu        sync.Mutex // guards the tenant state below
	users     map[string]User
	devices   map[string]*record
	policy    Policy
	tokens    map[string]issuedToken
	perms     []string
	federated func(assertion string) bool
	variants  Variants // answers to cases Microsoft does not document

	fmu      sync.Mutex // guards fault injection and statistics; never held while taking mu
	faults   Faults
	rng      *rand.Rand
	requests map[string]int
	injected map[string]int
}

// Start listens on opts.Addr and serves HTTPS until Close.
func Start(opts Options) (*Server, error) {
	opts = withDefaults(opts)
	caPEM, tlsConfig, err := newTLS()
	if err != nil {
		return nil, fmt.Errorf("emulator: generating certificates: %w", err)
	}
	s := &Server{
		users:    map[string]User{},
		devices:  map[string]*record{},
		policy:   defaultPolicy(),
		tokens:   map[string]issuedToken{},
		perms:    slices.Clone(DefaultAppPermissions),
		variants: withDefaultAnswers(opts.Variants),
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed)),
		requests: map[string]int{},
		injected: map[string]int{},
		stopped:  make(chan struct{}),
	}
	s.latency.Store(int64(opts.Latency))
	if opts.CAFile == "" {
		f, err := os.CreateTemp("", "graph-emulator-ca-*.pem")
		if err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		f.Close()
		opts.CAFile, s.ownCA = f.Name(), true
	}
	if err := os.WriteFile(opts.CAFile, caPEM, 0o644); err != nil {
		return nil, fmt.Errorf("emulator: writing CA file: %w", err)
	}
	s.opts = opts // before any failure below: removeCA reads the CA file's path from it
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		s.removeCA()
		return nil, fmt.Errorf("emulator: %w", err)
	}
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		_ = ln.Close()
		s.removeCA()
		return nil, fmt.Errorf("emulator: %s is not a TCP address", ln.Addr())
	}
	s.url = "https://" + loopbackHostPort(addr)
	s.http = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // clients that don't trust the CA would spam handshake errors
	}
	// Serve returns http.ErrServerClosed once Close has been called; nothing else ends it.
	go func() { _ = s.http.Serve(tls.NewListener(ln, tlsConfig)) }()
	return s, nil
}

func withDefaults(o Options) Options {
	setDefault(&o.Addr, "127.0.0.1:0")
	setDefault(&o.TenantID, DefaultTenantID)
	setDefault(&o.ClientID, DefaultClientID)
	setDefault(&o.ClientSecret, DefaultClientSecret)
	setDefault(&o.PageSize, 100)
	setDefault(&o.MaxPageSize, maxTop)
	setDefault(&o.MaxTokensPerUser, 5)
	setDefault(&o.ActivationWindowSteps, 1)
	setDefault(&o.Seed, 1)
	o.PageSize = min(o.PageSize, o.MaxPageSize)
	return o
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// loopbackHostPort names a wildcard listener by its IPv4 loopback address, which the certificate covers.
func loopbackHostPort(a *net.TCPAddr) string {
	ip := a.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
}

// URL is the server root, used both as the Graph endpoint (clients append /beta) and as the authority host.
func (s *Server) URL() string { return s.url }

// CAFile is the path of the PEM CA certificate that signed the server's certificate.
func (s *Server) CAFile() string { return s.opts.CAFile }

// Options returns the effective options, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Close stops the server at once, dropping in-flight calls, and removes a CA file that Start created.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	err := s.http.Close()
	s.removeCA()
	return err
}

func (s *Server) removeCA() {
	if s.ownCA {
		os.Remove(s.opts.CAFile)
	}
}

// handler splits the three surfaces: Graph (/beta), the test control surface (/_emulator) and Entra (the rest).
func (s *Server) handler() http.Handler {
	graph, control, entra := s.graphMux(), s.controlMux(), s.entraMux()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		switch first {
		case "beta":
			graph.ServeHTTP(w, r)
		case "_emulator":
			control.ServeHTTP(w, r)
		default:
			entra.ServeHTTP(w, r)
		}
	})
}

// apiError is a Graph error: the status and the OData error code and message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "invalidRequest", format, args...)
}

func badRequest(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "BadRequest", format, args...)
}

// call is one Graph request being answered.
type call struct {
	w         http.ResponseWriter
	r         *http.Request
	requestID string
	roles     map[string]bool
}

func (s *Server) newCall(w http.ResponseWriter, r *http.Request) *call {
	c := &call{w: w, r: r, requestID: newGUID()}
	w.Header().Set("request-id", c.requestID)
	if id := r.Header.Get("client-request-id"); id != "" {
		w.Header().Set("client-request-id", id)
	}
	return c
}

func (c *call) reply(status int, v any) { writeJSON(c.w, status, v) }

func (c *call) noContent() { c.w.WriteHeader(http.StatusNoContent) }

// fail writes err in Graph's error shape. Messages are ours and never contain request data such as secrets.
func (c *call) fail(err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = newError(http.StatusInternalServerError, "generalException", "An internal server error occurred.")
	}
	c.reply(e.status, map[string]any{"error": map[string]any{
		"code":    e.code,
		"message": e.message,
		"innerError": map[string]string{
			"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        c.requestID,
			"client-request-id": c.r.Header.Get("client-request-id"),
		},
	}})
}

// require fails the call with 403 unless the token holds one of perms.
func (c *call) require(perms ...string) bool {
	for _, p := range perms {
		if c.roles[p] {
			return true
		}
	}
	c.fail(newError(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
	return false
}

const maxBodyBytes = 4 << 20

// body decodes the request's JSON object, gunzipping it when the client compressed it (kiota does).
func (c *call) body() (body, bool) {
	var rd io.Reader = c.r.Body
	if strings.EqualFold(c.r.Header.Get("Content-Encoding"), "gzip") {
		gz, err := gzip.NewReader(rd)
		if err != nil {
			c.fail(badRequest("The gzip request body could not be decoded."))
			return nil, false
		}
		defer gz.Close()
		rd = gz
	}
	var b body
	// The decoder's own error could quote the body, which may hold a secret: use a fixed message.
	if err := json.NewDecoder(io.LimitReader(rd, maxBodyBytes)).Decode(&b); err != nil || b == nil {
		c.fail(badRequest("The request body must be a JSON object."))
		return nil, false
	}
	return b, true
}

// body is a decoded JSON object whose members are parsed on demand.
type body map[string]json.RawMessage

// check rejects members other than allowed ones; OData annotations ("@...") are always tolerated.
func (b body) check(allowed ...string) error {
	for k := range b {
		if !strings.HasPrefix(k, "@") && !slices.Contains(allowed, k) {
			return badRequest("Property '%s' does not exist or cannot be set in this request.", k)
		}
	}
	return nil
}

// string returns member k as a string; "" when absent or null.
func (b body) string(k string) (string, error) {
	raw, ok := b[k]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", badRequest("Property '%s' must be a string.", k)
	}
	return v, nil
}

// object returns member k as an object; nil when absent or null.
func (b body) object(k string) (body, error) {
	raw, ok := b[k]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var v body
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, badRequest("Property '%s' must be an object.", k)
	}
	return v, nil
}

// objectID returns the "id" member of object member k, as in {"device":{"id":"…"}}.
func (b body) objectID(k string) (string, error) {
	o, err := b.object(k)
	if err != nil || o == nil {
		return "", err
	}
	return o.string("id")
}

func newGUID() string {
	var b [16]byte
	crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// sleep waits d unless the client goes away first.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
