package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

// tokenClaims holds, for one configured provider (one Terraform command), which user each planned assignment
// gives its token. Terraform plans every assignment of a configuration in one provider process, so two resources
// that assign one token meet here at plan time (and, when token_id was unknown then, at the apply's final plan,
// before either writes). A resource cannot see the others' addresses; Terraform adds the failing one's address to
// the diagnostic.
type tokenClaims struct {
	mu     sync.Mutex
	claims map[string]tokenClaim // by token id, folded
}

// tokenClaim is a user as an assignment configures it: key identifies the claim (the configured user_id or
// user_principal_name, folded), label names the user in messages.
type tokenClaim struct{ key, label string }

// claim records c for token and returns the other claim when a different user holds it already. The same resource
// may be planned twice in one command (Terraform plans a replacement's create separately), so a claim by the same
// configured user is the same claim.
func (c *tokenClaims) claim(token string, cl tokenClaim) (other tokenClaim, conflict bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.claims == nil {
		c.claims = map[string]tokenClaim{}
	}
	key := strings.ToLower(token)
	if prev, ok := c.claims[key]; ok && prev.key != cl.key {
		return prev, true
	}
	c.claims[key] = cl
	return tokenClaim{}, false
}

// claimToken records that this assignment gives token (a known id) to the user in cl, and fails the plan when
// another assignment in the configuration gives the same token to another user.
func (r *hardwareTokenAssignmentResource) claimToken(ctx context.Context, diags *diag.Diagnostics, token, serial string, cl tokenClaim) {
	other, conflict := r.claims.claim(token, cl)
	if !conflict {
		return
	}
	if serial == "" {
		serial = "unknown"
		if d, err := r.client.GetDevice(ctx, token); err == nil {
			serial = d.SerialNumber
		}
	}
	// A claim configured by object id is named by user principal name too.
	for _, c := range []*tokenClaim{&cl, &other} {
		if guidPattern.MatchString(c.label) {
			c.label = lifecycle.UserLabel(ctx, r.client, c.label)
		}
	}
	diags.AddAttributeError(path.Root("token_id"), "Hardware Token Assigned Twice",
		fmt.Sprintf("Two entraoath_hardware_token_assignment resources in this configuration assign the hardware token %s "+
			"(serial number %s): this one to %s, and another one to %s. A token can be assigned to only one user, so the "+
			"apply would unassign one of them or fail. Remove one of the two resources (or point it at another token).",
			token, serial, cl.label, other.label))
}
