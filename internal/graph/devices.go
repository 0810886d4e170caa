package graph

import (
	"context"
	"fmt"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"
)

const (
	devicesPath = "/directory/authenticationMethodDevices/hardwareOathDevices"
	devicePath  = devicesPath + "/{id}"
	// devicePageSize asks for the largest page directory collections accept: Graph refuses a $top above 999.
	devicePageSize = "999"
)

// ListDevices lists the tenant's inventory, following every @odata.nextLink.
func (c *Client) ListDevices(ctx context.Context, filter DeviceFilter) ([]Device, error) {
	query := map[string]string{"%24top": devicePageSize}
	if f := filter.expression(); f != "" {
		query["%24filter"] = f
	}
	return listAll[Device](ctx, c, call{
		op:     "list hardware OATH devices",
		method: abs.GET,
		path:   devicesPath + "{?%24filter,%24top}",
		query:  query,
	})
}

// expression is the $filter for f: eq terms joined by "and", with single quotes doubled as OData requires.
func (f DeviceFilter) expression() string {
	var terms []string
	for _, t := range []struct{ property, value string }{
		{"serialNumber", f.SerialNumber},
		{"status", f.Status},
		{"manufacturer", f.Manufacturer},
		{"model", f.Model},
		{"assignedTo/id", f.AssignedToID},
	} {
		if t.value != "" {
			terms = append(terms, fmt.Sprintf("%s eq '%s'", t.property, strings.ReplaceAll(t.value, "'", "''")))
		}
	}
	return strings.Join(terms, " and ")
}

// GetDevice reads one device; a missing one is an *Error for which IsNotFound holds.
func (c *Client) GetDevice(ctx context.Context, id string) (*Device, error) {
	return fetch[Device](ctx, c, call{
		op:     "read hardware OATH device",
		method: abs.GET,
		path:   devicePath,
		params: map[string]string{"id": id},
	})
}

// CreateDevice creates d (SecretKey required) and, when assignToUserID is set, assigns it to that user object id
// in the same request. The POST is never retried after a 504 or a transport error: it may have been applied.
func (c *Client) CreateDevice(ctx context.Context, d Device, assignToUserID string) (*Device, error) {
	body := deviceCreate{Device: &d}
	if assignToUserID != "" {
		body.assignTo = &Identity{ID: assignToUserID}
	}
	return fetch[Device](ctx, c, call{
		op:      "create hardware OATH device",
		method:  abs.POST,
		path:    devicesPath,
		body:    body,
		secrets: []string{d.SecretKey},
	})
}

// UpdateDevice PATCHes the non-nil fields of u. Graph only allows it while the device is unassigned.
func (c *Client) UpdateDevice(ctx context.Context, id string, u DeviceUpdate) error {
	return c.do(ctx, call{
		op:     "update hardware OATH device",
		method: abs.PATCH,
		path:   devicePath,
		params: map[string]string{"id": id},
		body:   &u,
	})
}

// DeleteDevice removes an unassigned device from the inventory.
func (c *Client) DeleteDevice(ctx context.Context, id string) error {
	return c.do(ctx, call{
		op:     "delete hardware OATH device",
		method: abs.DELETE,
		path:   devicePath,
		params: map[string]string{"id": id},
	})
}
