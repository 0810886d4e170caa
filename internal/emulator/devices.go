package emulator

import (
	"bytes"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

const (
	deviceType = "#microsoft.graph.hardwareOathTokenAuthenticationMethodDevice"
	maxSecret  = 128
)

// secretPattern is canonical Base32 as Microsoft's samples send it: upper case, no '=' padding. Entra's upload page
// also allows lower case; the emulator is stricter so that a client that does not normalise seeds fails here.
var secretPattern = regexp.MustCompile(`^[A-Z2-7]+$`)

// writable maps the device properties a client may send to where they are stored.
func writable(d *Device, prop string) any {
	switch prop {
	case "displayName":
		return &d.DisplayName
	case "serialNumber":
		return &d.SerialNumber
	case "manufacturer":
		return &d.Manufacturer
	case "model":
		return &d.Model
	case "secretKey":
		return &d.SecretKey
	case "timeIntervalInSeconds":
		return &d.TimeIntervalInSeconds
	case "hashFunction":
		return &d.HashFunction
	}
	return nil
}

var (
	createProps = []string{"displayName", "serialNumber", "manufacturer", "model", "secretKey", "timeIntervalInSeconds", "hashFunction"}
	updateProps = []string{"displayName", "manufacturer", "model", "timeIntervalInSeconds", "hashFunction"}
)

// applyProps copies the body's props onto d; validation of the result is validateDevice's job.
func applyProps(b body, d *Device, props []string) error {
	for _, p := range props {
		raw, ok := b[p]
		if !ok {
			continue
		}
		var err error
		switch dst := writable(d, p).(type) {
		case *string:
			*dst = ""
			if string(raw) != "null" {
				err = json.Unmarshal(raw, dst)
			}
		case *int:
			// The documented bulk example sends "30": accept a quoted number too.
			err = json.Unmarshal(bytes.Trim(raw, `"`), dst)
		}
		if err != nil {
			return badRequest("Property '%s' has an invalid value.", p)
		}
	}
	return nil
}

// validateDevice checks a device as Graph's create does. Messages never quote the secret.
func validateDevice(d Device) error {
	for _, f := range []struct{ name, value string }{
		{"serialNumber", d.SerialNumber}, {"manufacturer", d.Manufacturer}, {"model", d.Model}, {"secretKey", d.SecretKey},
	} {
		if strings.TrimSpace(f.value) == "" {
			return invalidRequest("Property '%s' is required.", f.name)
		}
	}
	if len(d.SecretKey) > maxSecret || !secretPattern.MatchString(d.SecretKey) || decodeSecret(d.SecretKey) != nil {
		return invalidRequest("Property 'secretKey' must be Base32 (A-Z, 2-7, no '=' padding), at most %d characters.", maxSecret)
	}
	switch {
	case d.TimeIntervalInSeconds == 0:
		return invalidRequest("Property 'timeIntervalInSeconds' is required.")
	case d.TimeIntervalInSeconds != 30 && d.TimeIntervalInSeconds != 60:
		return invalidRequest("Property 'timeIntervalInSeconds' must be 30 or 60.")
	case d.HashFunction != HashSHA1 && d.HashFunction != HashSHA256:
		return invalidRequest("Property 'hashFunction' must be '%s' or '%s'.", HashSHA1, HashSHA256)
	}
	return nil
}

func decodeSecret(secret string) error {
	_, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	return err
}

// newDevice parses a create body (single POST or one bulk item): the device and the assignTo user, if any.
func newDevice(b body) (Device, string, error) {
	d := Device{ID: newGUID(), HashFunction: HashSHA1, Status: StatusAvailable}
	if err := b.check(append(createProps, "assignTo")...); err != nil {
		return d, "", err
	}
	if err := applyProps(b, &d, createProps); err != nil {
		return d, "", err
	}
	if err := validateDevice(d); err != nil {
		return d, "", err
	}
	assignTo, err := b.objectID("assignTo")
	return d, assignTo, err
}

// createLocked stores new devices, assigning those with an assignTo user; all or none are created.
func (s *Server) createLocked(devs []Device, assignTo []string) ([]Device, error) {
	if s.variants.RefuseDuplicateSerial {
		for _, d := range devs {
			if s.serialTakenLocked(d.SerialNumber) {
				return nil, newError(http.StatusConflict, "conflict", "A hardware OATH token with serial number '%s' already exists.", d.SerialNumber)
			}
		}
	}
	pending := map[string]int{} // assignments earlier in this batch count against the quota
	for i, who := range assignTo {
		if who == "" {
			continue
		}
		u, ok := s.findUserLocked(who)
		if !ok {
			return nil, invalidRequest("The assignTo user '%s' does not exist.", who)
		}
		if err := s.checkAssignableLocked(u, pending[u.ID]); err != nil {
			return nil, err
		}
		pending[u.ID]++
		devs[i].assignTo(u.ID)
	}
	for _, d := range devs {
		s.putLocked(d.ID, &d)
	}
	return devs, nil
}

// serialTakenLocked reports whether a device (as it truly is) has serial.
func (s *Server) serialTakenLocked(serial string) bool {
	for _, rec := range s.devices {
		if rec.cur != nil && rec.cur.SerialNumber == serial {
			return true
		}
	}
	return false
}

// deviceJSON renders a device as Graph does: secretKey always null; sel (nil for all) limits the properties.
func (s *Server) deviceJSON(d Device, sel map[string]bool) map[string]any {
	var assignedTo any
	if d.AssignedToID != "" {
		assignedTo = map[string]any{"id": d.AssignedToID, "displayName": nullable(s.users[d.AssignedToID].DisplayName)}
	}
	m := map[string]any{
		"id":                    d.ID,
		"displayName":           nullable(d.DisplayName),
		"serialNumber":          d.SerialNumber,
		"manufacturer":          d.Manufacturer,
		"model":                 d.Model,
		"secretKey":             nil,
		"timeIntervalInSeconds": d.TimeIntervalInSeconds,
		"hashFunction":          d.HashFunction,
		"status":                d.Status,
		"assignedTo":            assignedTo,
		"lastUsedDateTime":      timeJSON(d.LastUsed),
	}
	if sel != nil {
		maps.DeleteFunc(m, func(k string, _ any) bool { return k != "id" && !sel[k] })
	}
	return m
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) devicesContext(suffix string) string {
	return s.url + "/beta/$metadata#directory/authenticationMethodDevices/hardwareOathDevices" + suffix
}

// visibleLocked returns the devices Graph reads show now, ordered by id; it forgets deletions that became
// visible.
func (s *Server) visibleLocked() []Device {
	now := time.Now()
	var out []Device
	for id, rec := range s.devices {
		if rec.cur == nil && !now.Before(rec.visibleAt) {
			delete(s.devices, id)
		}
		if d := rec.view(now); d != nil {
			out = append(out, *d)
		}
	}
	slices.SortFunc(out, func(a, b Device) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// visibleDeviceLocked is one device as Graph reads show it now.
func (s *Server) visibleDeviceLocked(id string) (Device, error) {
	if rec := s.devices[id]; rec != nil {
		if d := rec.view(time.Now()); d != nil {
			return *d, nil
		}
	}
	return Device{}, deviceNotFound(id)
}

// deviceLocked is the current truth about a device, which writes act on.
func (s *Server) deviceLocked(id string) (Device, error) {
	if rec := s.devices[id]; rec != nil && rec.cur != nil {
		return *rec.cur, nil
	}
	return Device{}, deviceNotFound(id)
}

func deviceNotFound(id string) error {
	return newError(http.StatusNotFound, "itemNotFound", "Hardware OATH token '%s' was not found.", id)
}

var errAssigned = invalidRequest("The hardware OATH token is assigned to a user; unassign it first.")

func (s *Server) listDevices(c *call) {
	q := c.r.URL.Query()
	match, err := parseFilter(q.Get("$filter"))
	if err != nil {
		c.fail(err)
		return
	}
	sel, err := parseSelect(q.Get("$select"))
	if err != nil {
		c.fail(err)
		return
	}
	top, err := s.pageSize(q.Get("$top"))
	if err != nil {
		c.fail(err)
		return
	}
	after, err := parseSkipToken(q.Get("$skiptoken"))
	if err != nil {
		c.fail(err)
		return
	}
	odataContext := s.devicesContext("")
	if sel != nil {
		odataContext = s.devicesContext("(" + q.Get("$select") + ")")
	}
	page := map[string]any{"@odata.context": odataContext}
	items := []map[string]any{}
	s.mu.Lock()
	for _, d := range s.visibleLocked() {
		if d.ID <= after || !match(d) {
			continue
		}
		if len(items) == top {
			last, _ := items[top-1]["id"].(string) // deviceJSON always sets it
			page["@odata.nextLink"] = s.nextLink(c.r.URL, last)
			break
		}
		items = append(items, s.deviceJSON(d, sel))
	}
	s.mu.Unlock()
	page["value"] = items
	c.reply(http.StatusOK, page)
}

func (s *Server) countDevices(c *call) {
	match, err := parseFilter(c.r.URL.Query().Get("$filter"))
	if err != nil {
		c.fail(err)
		return
	}
	n := 0
	s.mu.Lock()
	for _, d := range s.visibleLocked() {
		if match(d) {
			n++
		}
	}
	s.mu.Unlock()
	c.w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(c.w, n)
}

func (s *Server) getDevice(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.visibleDeviceLocked(c.r.PathValue("id"))
	if err != nil {
		c.fail(err)
		return
	}
	m := s.deviceJSON(d, nil)
	m["@odata.context"] = s.devicesContext("/$entity")
	c.reply(http.StatusOK, m)
}

// requireAssign adds section 6's extra permission for create-and-assign.
func (c *call) requireAssign(assignTo []string) bool {
	if slices.ContainsFunc(assignTo, func(u string) bool { return u != "" }) {
		return c.require(writeMethods...)
	}
	return true
}

func (s *Server) createDevice(c *call) {
	b, ok := c.body()
	if !ok {
		return
	}
	d, assignTo, err := newDevice(b)
	if err != nil {
		c.fail(err)
		return
	}
	if !c.requireAssign([]string{assignTo}) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	created, err := s.createLocked([]Device{d}, []string{assignTo})
	if err != nil {
		c.fail(err)
		return
	}
	m := s.deviceJSON(created[0], nil)
	m["@odata.context"] = s.devicesContext("/$entity")
	m["@odata.type"] = deviceType
	c.reply(http.StatusCreated, m)
}

// createDevices is the bulk create: PATCH of the collection with an OData delta payload. It is atomic: one
// bad item fails the request, naming the item's @contentId.
func (s *Server) createDevices(c *call) {
	b, ok := c.body()
	if !ok {
		return
	}
	if err := b.check("value"); err != nil {
		c.fail(err)
		return
	}
	var items []body
	if err := json.Unmarshal(b["value"], &items); err != nil || len(items) == 0 {
		c.fail(badRequest("The delta payload needs a non-empty 'value' array."))
		return
	}
	devs := make([]Device, len(items))
	assignTo := make([]string, len(items))
	contentIDs := make([]json.RawMessage, len(items))
	for i, item := range items {
		var err error
		if devs[i], assignTo[i], err = newDevice(item); err != nil {
			if e := (*apiError)(nil); errors.As(err, &e) {
				err = newError(e.status, e.code, "Item %d (@contentId %s): %s", i, item["@contentId"], e.message)
			}
			c.fail(err)
			return
		}
		contentIDs[i] = item["@contentId"]
	}
	if !c.requireAssign(assignTo) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	created, err := s.createLocked(devs, assignTo)
	if err != nil {
		c.fail(err)
		return
	}
	out := make([]map[string]any, len(created))
	for i, d := range created {
		out[i] = s.deviceJSON(d, nil)
		if contentIDs[i] != nil {
			out[i]["@contentId"] = contentIDs[i]
		}
	}
	c.reply(http.StatusCreated, map[string]any{"@odata.context": s.devicesContext(""), "value": out})
}

func (s *Server) updateDevice(c *call) {
	b, ok := c.body()
	if !ok {
		return
	}
	if err := b.check(updateProps...); err != nil {
		c.fail(err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.deviceLocked(c.r.PathValue("id"))
	if err == nil {
		err = applyProps(b, &d, updateProps)
	}
	if err == nil {
		err = validateDevice(d)
	}
	if err == nil && d.Status != StatusAvailable {
		err = errAssigned
	}
	if err != nil {
		c.fail(err)
		return
	}
	s.putLocked(d.ID, &d)
	c.noContent()
}

func (s *Server) deleteDevice(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.deviceLocked(c.r.PathValue("id"))
	if err == nil && d.Status != StatusAvailable {
		err = refuse(s.variants.DeleteAssigned, "The hardware OATH token is assigned to a user; unassign it first.")
	}
	if err != nil {
		c.fail(err)
		return
	}
	s.putLocked(d.ID, nil)
	c.noContent()
}

// AddDevice creates a device directly, as an admin centre upload would: ID, status and hash function are
// filled in when empty; a device with AssignedToID is assigned to that user.
func (s *Server) AddDevice(d Device) (Device, error) {
	if d.ID == "" {
		d.ID = newGUID()
	}
	setDefault(&d.HashFunction, HashSHA1)
	if err := validateDevice(d); err != nil {
		return Device{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.AssignedToID != "" {
		u, ok := s.findUserLocked(d.AssignedToID)
		if !ok {
			return Device{}, fmt.Errorf("emulator: user %q does not exist", d.AssignedToID)
		}
		d.AssignedToID = u.ID
		setDefault(&d.Status, StatusAssigned)
		if d.AssignedAt.IsZero() {
			d.AssignedAt = time.Now()
		}
	}
	setDefault(&d.Status, StatusAvailable)
	s.putLocked(d.ID, &d)
	return d, nil
}

// Devices returns every device (the truth, not what delayed reads show), sorted by serial number.
func (s *Server) Devices() []Device {
	return s.devicesWhere(func(Device) bool { return true })
}

// DevicesBySerial returns all devices with the serial number; Graph does not prevent duplicates.
func (s *Server) DevicesBySerial(serial string) []Device {
	return s.devicesWhere(func(d Device) bool { return d.SerialNumber == serial })
}

func (s *Server) devicesWhere(keep func(Device) bool) []Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Device
	for _, rec := range s.devices {
		if rec.cur != nil && keep(*rec.cur) {
			out = append(out, *rec.cur)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].SerialNumber != out[j].SerialNumber {
			return out[i].SerialNumber < out[j].SerialNumber
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Device returns one device as it truly is.
func (s *Server) Device(id string) (Device, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.deviceLocked(id)
	return d, err == nil
}

// UpdateDevice edits a device out of band, without any validation.
func (s *Server) UpdateDevice(id string, f func(*Device)) error {
	return s.editDevice(id, func(d *Device) error { f(d); return nil })
}

// DeleteDevice deletes a device even if it is assigned.
func (s *Server) DeleteDevice(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.deviceLocked(id); err != nil {
		return err
	}
	s.putLocked(id, nil)
	return nil
}

// editDevice applies f to a copy of the device and stores it unless f fails.
func (s *Server) editDevice(id string, f func(*Device) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.deviceLocked(id)
	if err != nil {
		return err
	}
	if err := f(&d); err != nil {
		return err
	}
	d.ID = id
	s.putLocked(id, &d)
	return nil
}
