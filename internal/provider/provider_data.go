package provider

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

// configuredData unwraps the provider data that Configure hands to resources, data sources and ephemeral resources.
// It returns nil before the provider is configured (Terraform calls Configure on them early, with no data).
func configuredData(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", data))
		return nil
	}
	return pd
}

// serialClaims holds the serial numbers that creates of one configured provider (one Terraform command) have
// claimed. Graph accepts two tokens with one serial number, and at plan time a resource cannot see the others, so
// this is where two resources with the same serial number are caught, before the second token is created.
type serialClaims struct {
	mu      sync.Mutex
	claimed map[string]bool
}

// claim reports whether serial (compared case-insensitively) was still free, claiming it.
func (c *serialClaims) claim(serial string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(serial)
	if c.claimed[key] {
		return false
	}
	if c.claimed == nil {
		c.claimed = map[string]bool{}
	}
	c.claimed[key] = true
	return true
}

// permission is the least Graph application permission and the least Entra role CONTRACT.md lists for a call;
// globalOnly marks the token APIs Microsoft documents for the global service only.
type permission struct {
	graphPermission, role string
	globalOnly            bool
}

var (
	permInventoryRead  = permission{"Policy.Read.All", "Global Reader or Authentication Policy Administrator", true}
	permInventoryWrite = permission{"Policy.ReadWrite.AuthenticationMethod", "Authentication Policy Administrator", true}
	permUserMethods    = permission{"UserAuthenticationMethod.ReadWrite.All", "Authentication Administrator (Privileged Authentication Administrator for admin users)", true}
	permUserRead       = permission{"User.Read.All", "Directory Readers", false}
	permPolicyRead     = permission{"Policy.Read.AuthenticationMethod", "Global Reader or Authentication Policy Administrator", false}
	permPolicyWrite    = permission{"Policy.ReadWrite.AuthenticationMethod", "Authentication Policy Administrator", false}
)

// addGraphError adds an error diagnostic for a failed Graph call: what was attempted, what the user can do, and
// Graph's error code and request-id. summary names the failed action, e.g. "Unable to Create Hardware Token".
func addGraphError(diags *diag.Diagnostics, summary, attempted string, perm permission, err error) {
	diags.AddError(summary, graphErrorDetail(attempted, perm, err))
}

func graphErrorDetail(attempted string, perm permission, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The provider tried to %s.\n\n", attempted)
	var ge *graph.Error
	if !errors.As(err, &ge) {
		fmt.Fprintf(&b, "Error: %s", err)
		return b.String()
	}
	if perm.globalOnly && ge.Cloud != "" && ge.StatusCode < http.StatusInternalServerError && !graph.IsThrottled(err) {
		b.WriteString(cloudRefusalDetail(ge.Cloud))
	}
	var outcome *lifecycle.OutcomeError
	var rejected *lifecycle.CodeRejectedError
	switch {
	case graph.IsForbidden(err) && (!errors.As(err, &outcome) && !errors.As(err, &rejected) || deniedAccess(ge)):
		// A 403 that left the token unchanged may be a refusal of the write rather than a missing permission: only
		// Graph's authorization codes say it is the latter.
		fmt.Fprintf(&b, "Microsoft Graph refused the call for lack of permission. Grant the application the %s permission "+
			"(application permission, with admin consent), or sign in as a user holding the %s role.\n\n", perm.graphPermission, perm.role)
	case graph.IsThrottled(err):
		b.WriteString("Microsoft Graph kept throttling the call until the operation's timeout. Run the apply again later, " +
			"lower -parallelism, or raise the resource's timeouts.\n\n")
	}
	fmt.Fprintf(&b, "Graph answered HTTP %d with error code %q: %s\nrequest-id: %s", ge.StatusCode, ge.Code, ge.Message, ge.RequestID)
	var readFailed *lifecycle.ReadFailedError
	if errors.As(err, &readFailed) {
		fmt.Fprintf(&b, "\n\nReading the token afterwards, to learn whether Graph applied the call, failed too: %s", readFailed.ReadErr)
	}
	return b.String()
}

// deniedAccess reports Graph's answer to a caller without the permission or role (graph-api.md §7.1).
func deniedAccess(ge *graph.Error) bool {
	hint := strings.ToLower(ge.Code + " " + ge.Message)
	return strings.Contains(hint, "authorization") || strings.Contains(hint, "privileges") || strings.Contains(hint, "permission")
}
