package graph

import (
	"errors"
	"fmt"
	"net/http"
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
