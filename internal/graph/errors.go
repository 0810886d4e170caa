package graph

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Error is a failed Graph call: HTTP status, Graph's error code and message, and the request-id to quote to support.
// Message is Graph's text, replaced by a note when it quotes part of a seed or code the call sent.
type Error struct {
	Operation  string // what was attempted, e.g. "create hardware OATH device"
	StatusCode int
	Code       string
	Message    string
	RequestID  string
	// Cloud is the national cloud the client is configured for ("usgovernment", "china"); "" for the global service.
	Cloud string
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
	if quotesSecret(e.Message, r.secrets) {
		e.Message = withheldMessage
	}
	if quotesSecret(e.Code, r.secrets) {
		e.Code = ""
	}
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

// secretRun is the shortest part of a sent secret that counts as quoting it: a message holding 8 characters of a
// seed in a row gives away 40 of its bits. A verification code (6 digits) is shorter: it counts whole.
const secretRun = 8

// withheldMessage replaces Graph's message when it quotes a secret of the request.
const withheldMessage = "(Graph's message is not shown: it quoted part of the seed or verification code that was sent)"

// quotesSecret reports whether s holds, in any letter case, a run of secretRun characters of one of the values we
// sent (secret key, verification code), or the whole value when it is shorter. Graph may echo a request's values,
// in full or cut, in its message; such a message is dropped rather than patched.
func quotesSecret(s string, secrets []string) bool {
	if s == "" || len(secrets) == 0 {
		return false
	}
	s = strings.ToLower(s)
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		secret = strings.ToLower(secret)
		n := min(secretRun, len(secret))
		for i := 0; i+n <= len(secret); i++ {
			if strings.Contains(s, secret[i:i+n]) {
				return true
			}
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
