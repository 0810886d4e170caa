package graph

import (
	"context"

	abs "github.com/microsoft/kiota-abstractions-go"
)

const policyPath = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/hardwareOath"

// GetPolicy reads the hardware OATH authentication method configuration.
func (c *Client) GetPolicy(ctx context.Context) (*Policy, error) {
	return fetch[Policy](ctx, c, call{op: "read hardware OATH policy", method: abs.GET, path: policyPath})
}

// UpdatePolicy replaces state and targets with those of p.
func (c *Client) UpdatePolicy(ctx context.Context, p Policy) error {
	return c.do(ctx, call{op: "update hardware OATH policy", method: abs.PATCH, path: policyPath, body: &p})
}

// ResetPolicy restores Graph's defaults.
func (c *Client) ResetPolicy(ctx context.Context) error {
	return c.do(ctx, call{op: "reset hardware OATH policy", method: abs.DELETE, path: policyPath})
}
