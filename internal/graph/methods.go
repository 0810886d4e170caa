package graph

import (
	"context"

	abs "github.com/microsoft/kiota-abstractions-go"
)

// A user's hardware OATH method has the same id as the inventory device, so deviceID addresses both.
const (
	methodsPath = "/users/{user}/authentication/hardwareOathMethods"
	methodPath  = methodsPath + "/{id}"
)

// ListMethods lists the hardware OATH methods of a user (object id or UPN).
func (c *Client) ListMethods(ctx context.Context, user string) ([]Method, error) {
	return listAll[Method](ctx, c, call{
		op:     "list the user's hardware OATH methods",
		method: abs.GET,
		path:   methodsPath,
		params: map[string]string{"user": user},
	})
}

// AssignDevice assigns an available inventory device to user without activating it.
func (c *Client) AssignDevice(ctx context.Context, user, deviceID string) error {
	return c.do(ctx, call{
		op:     "assign hardware OATH device",
		method: abs.POST,
		path:   methodsPath,
		params: map[string]string{"user": user},
		body:   &methodAction{deviceID: deviceID},
	})
}

// ActivateMethod activates an assigned device with a current code; displayName is optional.
func (c *Client) ActivateMethod(ctx context.Context, user, deviceID, code, displayName string) error {
	return c.do(ctx, call{
		op:      "activate hardware OATH method",
		method:  abs.POST,
		path:    methodPath + "/activate",
		params:  map[string]string{"user": user, "id": deviceID},
		body:    &methodAction{code: code, displayName: displayName},
		secrets: []string{code},
	})
}

// DeactivateMethod deactivates a method; the device stays assigned to the user.
func (c *Client) DeactivateMethod(ctx context.Context, user, deviceID string) error {
	return c.do(ctx, call{
		op:     "deactivate hardware OATH method",
		method: abs.POST,
		path:   methodPath + "/deactivate",
		params: map[string]string{"user": user, "id": deviceID},
	})
}

// AssignAndActivate assigns an available device to user and activates it in one call.
func (c *Client) AssignAndActivate(ctx context.Context, user, deviceID, code, displayName string) error {
	return c.do(ctx, call{
		op:      "assign and activate hardware OATH device",
		method:  abs.POST,
		path:    methodsPath + "/assignAndActivate",
		params:  map[string]string{"user": user},
		body:    &methodAction{deviceID: deviceID, code: code, displayName: displayName},
		secrets: []string{code},
	})
}

// UnassignDevice removes the method from the user; the device returns to the inventory as available.
func (c *Client) UnassignDevice(ctx context.Context, user, deviceID string) error {
	return c.do(ctx, call{
		op:     "unassign hardware OATH device",
		method: abs.DELETE,
		path:   methodPath,
		params: map[string]string{"user": user, "id": deviceID},
	})
}
