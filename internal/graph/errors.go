package graph

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Error is a failed Graph call: HTTP status, Graph's error code and message, and the request-id to quote to support.
// Message is Graph's text with anything that looks like a secret removed.
type Error struct {
	Operation  string // what was attempted, e.g. "create hardware OATH device"
	StatusCode int
	Code       string
	Message    string
	RequestID  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: HTTP %d, Graph error %q: %s (request-id %s)", e.Operation, e.StatusCode, e.Code, e.Message, e.RequestID)
}

func statusOf(err error) int {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.StatusCode
	}
	return 0
}

// IsNotFound reports a 404 from Graph.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsConflict reports a 409 from Graph.
func IsConflict(err error) bool { return statusOf(err) == http.StatusConflict }

// IsThrottled reports a 429 that outlived the retries.
func IsThrottled(err error) bool { return statusOf(err) == http.StatusTooManyRequests }

// IsForbidden reports a 403 (missing permission or role).
func IsForbidden(err error) bool { return statusOf(err) == http.StatusForbidden }

// IsOutcomeUnknown reports a failed write that Graph may nevertheless have applied: any 5xx answer (503
// included: nothing documents that it means "not processed") or none at all (connection reset, timeout). A 429
// means Graph did not process the call, a certificate error means nothing was sent, and a cancelled or expired
// context is the caller's own doing. Callers look at Graph before writing again.
func IsOutcomeUnknown(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	status := statusOf(err)
	if status == 0 {
		var certErr *tls.CertificateVerificationError
		return !errors.As(err, &certErr)
	}
	return status >= http.StatusInternalServerError
}

// IsRefused reports a 4xx answer other than 429: Graph refused the call. Microsoft documents no status or code for
// the refusals of these endpoints, so callers read the token to learn why, and use the code only in messages.
func IsRefused(err error) bool {
	status := statusOf(err)
	return status >= http.StatusBadRequest && status < http.StatusInternalServerError && status != http.StatusTooManyRequests
}

// fail turns what the adapter returned into an *Error when Graph answered, or wraps it with the operation when no
// answer arrived (transport error, cancelled context). ex supplies status and request-id when the body was unusable.
func (r call) fail(err error, ex *exchange) error {
	if ex.status < http.StatusBadRequest {
		return fmt.Errorf("%s: %w", r.op, err)
	}
	e := &Error{Operation: r.op, StatusCode: ex.status, RequestID: ex.requestID}
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil {
		main := oe.GetErrorEscaped()
		e.Code = deref(main.GetCode())
		e.Message = deref(main.GetMessage())
		if id := innerRequestID(main.GetInnerError()); id != "" {
			e.RequestID = id
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(e.StatusCode)
	}
	e.Code, e.Message = scrub(e.Code, r.secrets), scrub(e.Message, r.secrets)
	return e
}

// innerRequestID accepts both spellings Graph uses: innerError.request-id and innerError.requestId.
func innerRequestID(inner odataerrors.InnerErrorable) string {
	if inner == nil {
		return ""
	}
	if id := deref(inner.GetRequestId()); id != "" {
		return id
	}
	if id, ok := inner.GetAdditionalData()["requestId"].(*string); ok {
		return deref(id)
	}
	return ""
}

// scrub removes values we sent (secret key, verification code) in case Graph echoes the request in a message.
func scrub(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = regexp.MustCompile("(?i)"+regexp.QuoteMeta(secret)).ReplaceAllLiteralString(s, "[redacted]")
		}
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
