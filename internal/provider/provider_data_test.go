package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

// TestGraphErrorDetailNamesAFailedRead: when reading the token after a failed write fails too, the diagnostic says
// so, beside Graph's answer to the write: without it, the write's 503 would read as the whole story.
func TestGraphErrorDetailNamesAFailedRead(t *testing.T) {
	write := &graph.Error{Operation: "assign and activate hardware OATH device", StatusCode: 503, Code: "serviceNotAvailable",
		Message: "The service is temporarily unavailable.", RequestID: "write-request"}
	err := &lifecycle.ReadFailedError{Err: write, ReadErr: context.DeadlineExceeded}
	detail := graphErrorDetail("assign token t to user u", permUserMethods, err)
	for _, want := range []string{"HTTP 503", "write-request", "failed too: " + context.DeadlineExceeded.Error()} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, detail)
		}
	}
}
