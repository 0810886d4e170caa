package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
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

// DeleteUser deletes a directory user (object id or UPN), as an admin does in the portal. The tokens the user held
// return to the inventory as available: the user's methods go with the account (a GUESS, see CONTRACT.md §4).
func (s *Server) DeleteUser(user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.findUserLocked(user)
	if !ok {
		return fmt.Errorf("emulator: user %q does not exist", user)
	}
	delete(s.users, u.ID)
	for id, rec := range s.devices {
		if rec.cur != nil && rec.cur.AssignedToID == u.ID {
			d := *rec.cur
			_ = unassign(&d, nil, User{})
			s.putLocked(id, &d)
		}
	}
	return nil
}

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

// faultsJSON is Faults on the control surface, durations in milliseconds.
type faultsJSON struct {
	ThrottleRate      float64 `json:"throttle_rate"`
	RetryAfterMS      float64 `json:"retry_after_ms"`
	UnavailableRate   float64 `json:"unavailable_rate"`
	LostWriteRate     float64 `json:"lost_write_rate"`
	FailedWriteRate   float64 `json:"failed_write_rate"`
	VisibilityDelayMS float64 `json:"visibility_delay_ms"`
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// controlMux is the test-only HTTP surface for scripts that run the emulator as a separate process. It needs no
// token and answers loopback clients only.
func (s *Server) controlMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_emulator/users", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		users := make([]User, 0, len(s.users))
		for _, u := range s.users {
			users = append(users, u)
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, users)
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
	mux.HandleFunc("GET /_emulator/devices", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Devices())
	})
	mux.HandleFunc("POST /_emulator/devices/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		var err error
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
		var in faultsJSON
		if !decodeControl(w, r, &in) {
			return
		}
		s.SetFaults(Faults{
			ThrottleRate:    in.ThrottleRate,
			RetryAfter:      ms(in.RetryAfterMS),
			UnavailableRate: in.UnavailableRate,
			LostWriteRate:   in.LostWriteRate,
			FailedWriteRate: in.FailedWriteRate,
			VisibilityDelay: ms(in.VisibilityDelayMS),
		})
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
			controlError(w, http.StatusForbidden, "the control surface answers loopback clients only")
			return
		}
		mux.ServeHTTP(w, r)
	})
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
