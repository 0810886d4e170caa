package graph

import (
	"context"
	"errors"
)

// Client is a stub until the real client lands.
type Client struct{}

// New builds a Client.
func New(cfg Config) (*Client, error) { return &Client{}, nil }

var errTODO = errors.New("not implemented")

func (c *Client) ListDevices(ctx context.Context, filter DeviceFilter) ([]Device, error) {
	return nil, errTODO
}

func (c *Client) GetDevice(ctx context.Context, id string) (*Device, error) { return nil, errTODO }

func (c *Client) CreateDevice(ctx context.Context, d Device, assignToUserID string) (*Device, error) {
	return nil, errTODO
}

func (c *Client) UpdateDevice(ctx context.Context, id string, u DeviceUpdate) error { return errTODO }

func (c *Client) DeleteDevice(ctx context.Context, id string) error { return errTODO }

func (c *Client) GetUser(ctx context.Context, idOrUPN string) (*User, error) { return nil, errTODO }

func (c *Client) ListMethods(ctx context.Context, user string) ([]Method, error) { return nil, errTODO }

func (c *Client) AssignDevice(ctx context.Context, user, deviceID string) error { return errTODO }

func (c *Client) ActivateMethod(ctx context.Context, user, deviceID, code, displayName string) error {
	return errTODO
}

func (c *Client) DeactivateMethod(ctx context.Context, user, deviceID string) error { return errTODO }

func (c *Client) AssignAndActivate(ctx context.Context, user, deviceID, code, displayName string) error {
	return errTODO
}

func (c *Client) UnassignDevice(ctx context.Context, user, deviceID string) error { return errTODO }

func (c *Client) GetPolicy(ctx context.Context) (*Policy, error) { return nil, errTODO }

func (c *Client) UpdatePolicy(ctx context.Context, p Policy) error { return errTODO }

func (c *Client) ResetPolicy(ctx context.Context) error { return errTODO }
