package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Out-of-band control, as an admin in the portal would act: no permission checks and no Graph rules beyond
// what the change itself needs.

// Assign (re)assigns a device to a user (object id or UPN); the status becomes assigned.
func (s *Server) Assign(deviceID, user string) error {
	s.mu.Lock()
	u, ok := s.findUserLocked(user)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("emulator: user %q does not exist", user)
	}
	return s.editDevice(deviceID, func(d *Device) error {
		d.assignTo(u.ID)
		return nil
	})
}

// Activate marks an assigned device activated, as if the user had entered a good code.
func (s *Server) Activate(deviceID string) error {
	return s.editDevice(deviceID, func(d *Device) error {
		if d.AssignedToID == "" {
			return errors.New("emulator: the device is not assigned")
		}
		d.markActivated()
		return nil
	})
}

// Deactivate puts a device back to assigned.
func (s *Server) Deactivate(deviceID string) error {
	return s.editDevice(deviceID, func(d *Device) error {
		if d.AssignedToID == "" {
			return errors.New("emulator: the device is not assigned")
		}
		d.Status = StatusAssigned
		return nil
	})
}

// Unassign returns a device to the inventory: available, assigned to nobody.
func (s *Server) Unassign(deviceID string) error {
	return s.editDevice(deviceID, func(d *Device) error { return unassign(d, nil, User{}) })
}

// DeleteUser deletes a directory user, as an admin in the portal would. Its tokens go back to the inventory,
// available (a guess: Microsoft does not say what becomes of a deleted user's hardware OATH methods).
func (s *Server) DeleteUser(idOrUPN string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.findUserLocked(idOrUPN)
	if !ok {
		return fmt.Errorf("emulator: user %q does not exist", idOrUPN)
	}
	delete(s.users, u.ID)
	for id, rec := range s.devices {
		if rec.cur != nil && rec.cur.AssignedToID == u.ID {
			d := *rec.cur
			_ = unassign(&d, methodRequest{}, User{}) // never fails
			s.putLocked(id, &d)
		}
	}
	return nil
}

// Users returns every directory user, sorted by UPN.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	users := slices.Collect(maps.Values(s.users))
	slices.SortFunc(users, func(a, b User) int { return strings.Compare(a.UserPrincipalName, b.UserPrincipalName) })
	return users
}

// AppPermissions returns the application permissions granted to tokens issued from now on.
func (s *Server) AppPermissions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.perms)
}

// Stopped is closed when a control client asks the emulator to stop (POST /_emulator/shutdown); the process that
// runs the server decides what stopping means.
func (s *Server) Stopped() <-chan struct{} { return s.stopped }

// Reset starts a test afresh: devices go; the policy, app permissions and latency return to their defaults;
// faults are switched off and counts zeroed. Users and issued tokens stay.
func (s *Server) Reset() {
	s.mu.Lock()
	clear(s.devices)
	s.policy = defaultPolicy()
	s.perms = slices.Clone(DefaultAppPermissions)
	s.mu.Unlock()
	s.SetFaults(Faults{})
	s.SetLatency(s.opts.Latency)
	s.ResetRequests()
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// controlMux is the HTTP surface for scripts and cmd/graph-emulator, which run the emulator as a separate process.
// It needs no token and answers loopback clients only.
func (s *Server) controlMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_emulator/users", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Users())
	})
	mux.HandleFunc("POST /_emulator/users", func(w http.ResponseWriter, r *http.Request) {
		var in []User
		if !decodeControl(w, r, &in) {
			return
		}
		for i, u := range in {
			in[i] = s.AddUser(u)
		}
		writeJSON(w, http.StatusOK, in)
	})
	mux.HandleFunc("DELETE /_emulator/users/{user}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.DeleteUser(r.PathValue("user")); err != nil {
			controlError(w, http.StatusNotFound, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
	})
	mux.HandleFunc("GET /_emulator/devices", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Devices())
	})
	// The body is the CSV file; ?activate=true also activates the assigned rows.
	mux.HandleFunc("POST /_emulator/upload", func(w http.ResponseWriter, r *http.Request) {
		devs, err := s.Upload(r.Body, r.URL.Query().Get("activate") == "true")
		if err != nil {
			controlError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, devs)
	})
	// {id} is a device's object id or, as the portal shows tokens, its serial number.
	mux.HandleFunc("POST /_emulator/devices/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		id, err := s.deviceRef(r.PathValue("id"))
		if err != nil {
			controlError(w, http.StatusNotFound, err.Error())
			return
		}
		switch r.PathValue("action") {
		case "assign":
			var in struct{ User string }
			if !decodeControl(w, r, &in) {
				return
			}
			err = s.Assign(id, in.User)
		case "unassign":
			err = s.Unassign(id)
		case "activate":
			err = s.Activate(id)
		case "deactivate":
			err = s.Deactivate(id)
		case "delete":
			err = s.DeleteDevice(id)
		default:
			controlError(w, http.StatusNotFound, "unknown action")
			return
		}
		if err != nil {
			controlError(w, http.StatusBadRequest, err.Error())
			return
		}
		d, _ := s.Device(id)
		writeJSON(w, http.StatusOK, d)
	})
	mux.HandleFunc("PUT /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		var in FaultSwitches
		if !decodeControl(w, r, &in) {
			return
		}
		s.SetFaults(Faults{
			ThrottleRate:         in.ThrottleRate,
			RetryAfter:           ms(in.RetryAfterMS),
			UnavailableRate:      in.UnavailableRate,
			LostWriteRate:        in.LostWriteRate,
			FailedWriteRate:      in.FailedWriteRate,
			AppliedThen503Rate:   in.AppliedThen503,
			AppliedThenResetRate: in.AppliedThenReset,
			VisibilityDelay:      ms(in.VisibilityDelayMS),
		})
		writeJSON(w, http.StatusOK, in)
	})
	mux.HandleFunc("GET /_emulator/permissions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.AppPermissions())
	})
	mux.HandleFunc("PUT /_emulator/permissions", func(w http.ResponseWriter, r *http.Request) {
		var in []string
		if !decodeControl(w, r, &in) {
			return
		}
		s.SetAppPermissions(in...)
		writeJSON(w, http.StatusOK, in)
	})
	mux.HandleFunc("PUT /_emulator/latency", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			MS float64 `json:"ms"`
		}
		if !decodeControl(w, r, &in) {
			return
		}
		s.SetLatency(ms(in.MS))
		writeJSON(w, http.StatusOK, in)
	})
	mux.HandleFunc("GET /_emulator/requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"requests": s.Requests(), "faults": s.FaultsInjected()})
	})
	mux.HandleFunc("DELETE /_emulator/requests", func(w http.ResponseWriter, r *http.Request) {
		s.ResetRequests()
		writeJSON(w, http.StatusOK, map[string]any{})
	})
	mux.HandleFunc("POST /_emulator/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		writeJSON(w, http.StatusOK, map[string]any{})
	})
	mux.HandleFunc("POST /_emulator/shutdown", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{})
		http.NewResponseController(w).Flush() // before the owner closes the server
		s.stopOnce.Do(func() { close(s.stopped) })
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
			controlError(w, http.StatusForbidden, "the control surface answers loopback clients only")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// deviceRef resolves a device's object id or its serial number (which must then name one device) to its id.
func (s *Server) deviceRef(ref string) (string, error) {
	if _, ok := s.Device(ref); ok {
		return ref, nil
	}
	switch devs := s.DevicesBySerial(ref); len(devs) {
	case 0:
		return "", fmt.Errorf("emulator: no device has the id or serial number %q", ref)
	case 1:
		return devs[0].ID, nil
	default:
		return "", fmt.Errorf("emulator: %d devices have the serial number %q; name one by its id", len(devs), ref)
	}
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		controlError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// ControlClient returns an HTTP client for an emulator running in another process (graph-emulator), trusting only
// the emulator's CA certificate in caFile (EMULATOR_CA_FILE in the lines graph-emulator prints).
func ControlClient(caFile string) (*http.Client, error) {
	transport, err := TrustingTransport(caFile)
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: transport}, nil
}
