package emulator

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

const methodType = "#microsoft.graph.hardwareOathAuthenticationMethod"

// AddUser adds or replaces a directory user: an empty ID is generated (or taken from an existing user with the
// same UPN) and an empty UserType means "Member".
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		if old, ok := s.findUserLocked(u.UserPrincipalName); ok {
			u.ID = old.ID
		} else {
			u.ID = newGUID()
		}
	}
	setDefault(&u.UserType, "Member")
	s.users[u.ID] = u
	return u
}

// User finds a user by object id or by UPN (case-insensitive).
func (s *Server) User(idOrUPN string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.findUserLocked(idOrUPN)
}

func (s *Server) findUserLocked(idOrUPN string) (User, bool) {
	if idOrUPN == "" {
		return User{}, false
	}
	for _, u := range s.users {
		if strings.EqualFold(u.ID, idOrUPN) || strings.EqualFold(u.UserPrincipalName, idOrUPN) {
			return u, true
		}
	}
	return User{}, false
}

// pathUserLocked is the user named in the request path.
func (s *Server) pathUserLocked(c *call) (User, error) {
	ref := c.r.PathValue("user")
	if u, ok := s.findUserLocked(ref); ok {
		return u, nil
	}
	return User{}, newError(http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", ref)
}

func (s *Server) getUser(c *call) {
	s.withPathUser(c, func(u User) {
		// $select is accepted; these five properties are all the emulator knows.
		c.reply(http.StatusOK, map[string]any{
			"accountEnabled":    !u.AccountDisabled,
			"@odata.context":    s.url + "/beta/$metadata#users/$entity",
			"id":                u.ID,
			"userPrincipalName": u.UserPrincipalName,
			"displayName":       nullable(u.DisplayName),
			"userType":          u.UserType,
		})
	})
}

// withPathUser runs f, under the state lock, with the user the path names; an unknown user fails the call.
func (s *Server) withPathUser(c *call, f func(User)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.pathUserLocked(c)
	if err != nil {
		c.fail(err)
		return
	}
	f(u)
}

// checkAssignableLocked applies the per-user rules: no guests, at most MaxTokensPerUser tokens (pending more
// are about to be assigned in the same request).
func (s *Server) checkAssignableLocked(u User, pending int) error {
	if strings.EqualFold(u.UserType, "Guest") {
		return invalidRequest("Hardware OATH tokens can't be assigned to guest users.")
	}
	held := pending
	for _, rec := range s.devices {
		if rec.cur != nil && rec.cur.AssignedToID == u.ID {
			held++
		}
	}
	if held >= s.opts.MaxTokensPerUser {
		return refuse(s.variants.TokenLimit, "The user already has the maximum of %d hardware OATH tokens.", s.opts.MaxTokensPerUser)
	}
	return nil
}

// assignLocked assigns d to u: it must be available, or assigned to u already (then nothing changes).
func (s *Server) assignLocked(d *Device, u User) error {
	switch d.AssignedToID {
	case u.ID:
		return nil
	case "":
	default:
		return refuse(s.variants.AssignTaken, "The hardware OATH token is assigned to another user.")
	}
	if err := s.checkAssignableLocked(u, 0); err != nil {
		return err
	}
	d.assignTo(u.ID)
	return nil
}

// assignTo records the device as assigned to user id, now.
func (d *Device) assignTo(userID string) {
	d.AssignedToID, d.AssignedAt, d.Status = userID, time.Now(), StatusAssigned
}

// markActivated records a successful activation, which is also a use of the token.
func (d *Device) markActivated() {
	d.Status, d.LastUsed = StatusActivated, time.Now()
}

// activateLocked checks code against the seed; a wrong code leaves the token failedActivation, still assigned.
func (s *Server) activateLocked(d *Device, code, displayName string) error {
	if !s.verify(*d, code) {
		d.Status = StatusFailedActivation
		return refuse(s.variants.WrongCode, "The verification code is invalid or has expired.")
	}
	d.markActivated()
	if displayName != "" {
		d.DisplayName = displayName
	}
	return nil
}

// verify accepts codes from the current time step and ActivationWindowSteps steps either side.
func (s *Server) verify(d Device, code string) bool {
	now := time.Now()
	w := max(s.opts.ActivationWindowSteps, 0)
	for i := -w; i <= w; i++ {
		want, err := d.Code(now.Add(time.Duration(i*d.TimeIntervalInSeconds) * time.Second))
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return true
		}
	}
	return false
}

// Code is the device's 6-digit TOTP code at t, for tests that play the user reading the token.
func (d Device) Code(t time.Time) (string, error) {
	alg := otp.AlgorithmSHA1
	if d.HashFunction == HashSHA256 {
		alg = otp.AlgorithmSHA256
	}
	// The library pads and upper-cases, but padding already present would be doubled.
	return totp.GenerateCodeCustom(strings.TrimRight(d.SecretKey, "="), t, totp.ValidateOpts{
		Period:    uint(d.TimeIntervalInSeconds),
		Digits:    otp.DigitsSix,
		Algorithm: alg,
	})
}

func (s *Server) methodJSON(d Device) map[string]any {
	return map[string]any{
		"@odata.type":      methodType,
		"id":               d.ID,
		"createdDateTime":  timeJSON(d.AssignedAt),
		"lastUsedDateTime": timeJSON(d.LastUsed),
		"device":           s.deviceJSON(d, nil),
	}
}

func (s *Server) listMethods(c *call) {
	s.withPathUser(c, func(u User) {
		items := []map[string]any{}
		for _, d := range s.visibleLocked() {
			if d.AssignedToID == u.ID {
				items = append(items, s.methodJSON(d))
			}
		}
		c.reply(http.StatusOK, map[string]any{
			"@odata.context": fmt.Sprintf("%s/beta/$metadata#users('%s')/authentication/hardwareOathMethods", s.url, u.ID),
			"value":          items,
		})
	})
}

func (s *Server) getMethod(c *call) {
	s.withPathUser(c, func(u User) {
		d, err := userMethod(s.visibleDeviceLocked, c.r.PathValue("id"), u)
		if err != nil {
			c.fail(err)
			return
		}
		m := s.methodJSON(d)
		m["@odata.context"] = fmt.Sprintf("%s/beta/$metadata#users('%s')/authentication/hardwareOathMethods/$entity", s.url, u.ID)
		c.reply(http.StatusOK, m)
	})
}

// userMethod looks device id up and answers 404 unless user u holds it: a method is a device assigned to the user.
func userMethod(lookup func(string) (Device, error), id string, u User) (Device, error) {
	d, err := lookup(id)
	if err == nil && d.AssignedToID != u.ID {
		err = newError(http.StatusNotFound, "itemNotFound", "Hardware OATH method '%s' was not found for this user.", d.ID)
	}
	return d, err
}

// methodRequest holds an action body's members by name; "device" holds device.id.
type methodRequest map[string]string

// parseMethodRequest reads the members named in props, all of which are required except displayName.
func parseMethodRequest(b body, props ...string) (methodRequest, error) {
	if err := b.check(props...); err != nil {
		return nil, err
	}
	req := methodRequest{}
	for _, p := range props {
		var err error
		if p == "device" {
			req[p], err = b.objectID(p)
		} else {
			req[p], err = b.string(p)
		}
		if err != nil {
			return nil, err
		}
		if req[p] == "" && p != "displayName" {
			return nil, invalidRequest("Property '%s' is required.", strings.Replace(p, "device", "device.id", 1))
		}
	}
	return req, nil
}

// methodAction runs one user-method write: it parses the body (when props are given), resolves the user and
// the device, applies act to a copy, stores the copy whatever act returned (a failed activation is recorded),
// and answers with success status ok.
func (s *Server) methodAction(c *call, ok int, props []string,
	pick func(methodRequest, User) (Device, error), act func(*Device, methodRequest, User) error) {
	var req methodRequest
	if len(props) > 0 {
		b, valid := c.body()
		if !valid {
			return
		}
		var err error
		if req, err = parseMethodRequest(b, props...); err != nil {
			c.fail(err)
			return
		}
	}
	s.withPathUser(c, func(u User) {
		d, err := pick(req, u)
		if err != nil {
			c.fail(err)
			return
		}
		before := d
		err = act(&d, req, u)
		if d != before {
			s.putLocked(d.ID, &d)
		}
		switch {
		case err != nil:
			c.fail(err)
		case ok == http.StatusCreated:
			c.reply(ok, map[string]any{"@odata.type": methodType, "id": d.ID, "createdDateTime": timeJSON(d.AssignedAt)})
		default:
			c.noContent()
		}
	})
}

// byBodyID picks the device the body names; byPathID the user's method named in the path.
func (s *Server) byBodyID(req methodRequest, _ User) (Device, error) {
	return s.deviceLocked(req["device"])
}

func (s *Server) byPathID(c *call) func(methodRequest, User) (Device, error) {
	return func(_ methodRequest, u User) (Device, error) {
		return userMethod(s.deviceLocked, c.r.PathValue("id"), u)
	}
}

// bySerial picks the one device with the body's serial number that this user may activate.
func (s *Server) bySerial(req methodRequest, u User) (Device, error) {
	var mine, taken []Device
	for _, rec := range s.devices {
		if d := rec.cur; d != nil && d.SerialNumber == req["serialNumber"] {
			if d.AssignedToID == "" || d.AssignedToID == u.ID {
				mine = append(mine, *d)
			} else {
				taken = append(taken, *d)
			}
		}
	}
	switch {
	case len(mine) == 1:
		return mine[0], nil
	case len(mine) > 1:
		return Device{}, newError(http.StatusConflict, "conflict", "More than one hardware OATH token has serial number '%s'.", req["serialNumber"])
	case len(taken) > 0:
		return Device{}, refuse(s.variants.AssignTaken, "The hardware OATH token is assigned to another user.")
	}
	return Device{}, newError(http.StatusNotFound, "itemNotFound", "No hardware OATH token has serial number '%s'.", req["serialNumber"])
}

func (s *Server) assign(d *Device, _ methodRequest, u User) error { return s.assignLocked(d, u) }

func (s *Server) activate(d *Device, req methodRequest, _ User) error {
	return s.activateLocked(d, req["verificationCode"], req["displayName"])
}

func (s *Server) assignActivate(d *Device, req methodRequest, u User) error {
	before := *d
	if err := s.assignLocked(d, u); err != nil {
		return err
	}
	err := s.activateLocked(d, req["verificationCode"], req["displayName"])
	if err != nil && s.variants.RollBackFailedActivation {
		*d = before
	}
	return err
}

func (s *Server) assignMethod(c *call) {
	s.methodAction(c, http.StatusCreated, []string{"device"}, s.byBodyID, s.assign)
}

func (s *Server) activateMethod(c *call) {
	s.methodAction(c, http.StatusNoContent, []string{"verificationCode", "displayName"}, s.byPathID(c), s.activate)
}

func (s *Server) deactivateMethod(c *call) {
	s.methodAction(c, http.StatusNoContent, nil, s.byPathID(c), deactivate)
}

func (s *Server) unassignMethod(c *call) {
	s.methodAction(c, http.StatusNoContent, nil, s.byPathID(c), unassign)
}

func (s *Server) assignAndActivate(c *call) {
	s.methodAction(c, http.StatusNoContent, []string{"device", "verificationCode", "displayName"}, s.byBodyID, s.assignActivate)
}

func (s *Server) assignAndActivateBySerial(c *call) {
	s.methodAction(c, http.StatusNoContent, []string{"serialNumber", "verificationCode", "displayName"}, s.bySerial, s.assignActivate)
}

func deactivate(d *Device, _ methodRequest, _ User) error {
	d.Status = StatusAssigned
	return nil
}

func unassign(d *Device, _ methodRequest, _ User) error {
	d.Status, d.AssignedToID, d.AssignedAt = StatusAvailable, "", time.Time{}
	return nil
}
