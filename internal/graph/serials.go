package graph

import "context"

// DevicesBySerial returns the inventory's tokens with serial number serial (Graph does not stop two tokens from
// sharing one), with one filtered listing.
func (c *Client) DevicesBySerial(ctx context.Context, serial string) ([]Device, error) {
	return c.ListDevices(ctx, DeviceFilter{SerialNumber: serial})
}

// DevicesBySerial answers from the command's shared inventory listing, so that checking every token of an apply
// costs the listing's pages, not a request per token. The listing may predate writes of this command: a caller
// that acts on a match asks with WithFreshReads, which goes to Graph.
func (s *sharedReads) DevicesBySerial(ctx context.Context, serial string) ([]Device, error) {
	if ReadsFresh(ctx) {
		return s.API.DevicesBySerial(ctx, serial)
	}
	listing, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	if listing == nil { // the listing failed: ask Graph for this serial number alone
		return s.API.DevicesBySerial(ctx, serial)
	}
	return matching(listing, DeviceFilter{SerialNumber: serial}), nil
}
