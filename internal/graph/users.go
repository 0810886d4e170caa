package graph

import (
	"context"

	abs "github.com/microsoft/kiota-abstractions-go"
)

// GetUser reads a user by object id or user principal name (the URL template escapes '@', '#' and the like).
func (c *Client) GetUser(ctx context.Context, idOrUPN string) (*User, error) {
	return fetch[User](ctx, c, call{
		op:     "read user",
		method: abs.GET,
		path:   "/users/{user}{?%24select}",
		params: map[string]string{"user": idOrUPN},
		query:  map[string]string{"%24select": "id,userPrincipalName,displayName,userType,accountEnabled"},
	})
}
