package emulator

import (
	"maps"
	"net/http"
	"strconv"
	"time"
)

// SetFaults replaces the fault-injection settings; the zero value switches every fault off.
func (s *Server) SetFaults(f Faults) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.faults = f
}

// SetLatency sets the delay added to every Graph call from now on. Concurrent calls wait concurrently.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Requests counts Graph calls by "METHOD /beta/path/template" (ids shown as {id} and {user}) and token calls
// under "POST /{tenant}/oauth2/v2.0/token". Faulted calls count too: they reached the service.
func (s *Server) Requests() map[string]int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return maps.Clone(s.requests)
}

// ResetRequests zeroes the request and injected-fault counts.
func (s *Server) ResetRequests() {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	clear(s.requests)
	clear(s.injected)
}

// FaultsInjected counts injected faults by kind: "429", "503", "lost", "failed", "applied-503" and "applied-reset".
func (s *Server) FaultsInjected() map[string]int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return maps.Clone(s.injected)
}

func (s *Server) count(key string) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.requests[key]++
}

// injectFault draws a throttling or unavailability fault; for one, it sets Retry-After and returns the error.
func (s *Server) injectFault(w http.ResponseWriter) error {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	var err *apiError
	switch {
	case s.drawLocked(s.faults.ThrottleRate):
		s.injected["429"]++
		err = newError(http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.")
	case s.drawLocked(s.faults.UnavailableRate):
		s.injected["503"]++
		err = newError(http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later.")
	default:
		return nil
	}
	w.Header().Set("Retry-After", strconv.FormatFloat(s.retryAfterLocked().Seconds(), 'f', -1, 64))
	return err
}

func (s *Server) retryAfter() time.Duration {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.retryAfterLocked()
}

func (s *Server) retryAfterLocked() time.Duration {
	if s.faults.RetryAfter <= 0 {
		return time.Second
	}
	return s.faults.RetryAfter
}

// writeFault draws what happens to a write: "lost" (performed, answered 504), "applied-503" (performed, answered
// 503), "applied-reset" (performed, connection reset), "failed" (not performed, answered 500) or "". A client sees a
// 5xx or no answer either way and cannot tell which.
func (s *Server) writeFault() string {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	var kind string
	switch {
	case s.drawLocked(s.faults.LostWriteRate):
		kind = "lost"
	case s.drawLocked(s.faults.AppliedThen503Rate):
		kind = "applied-503"
	case s.drawLocked(s.faults.AppliedThenResetRate):
		kind = "applied-reset"
	case s.drawLocked(s.faults.FailedWriteRate):
		kind = "failed"
	default:
		return ""
	}
	s.injected[kind]++
	return kind
}

func (s *Server) drawLocked(rate float64) bool {
	return rate > 0 && s.rng.Float64() < rate
}

func (s *Server) visibilityDelay() time.Duration {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.faults.VisibilityDelay
}

// record is one device's history: the current truth, and what Graph reads show until a write becomes visible.
type record struct {
	cur       *Device // nil once deleted; never mutated in place, so prev can share it
	prev      *Device // shown until visibleAt; nil reads as absent
	visibleAt time.Time
}

func (r *record) view(now time.Time) *Device {
	if now.Before(r.visibleAt) {
		return r.prev
	}
	return r.cur
}

// putLocked stores d as device id's new truth (nil deletes it). Under a visibility delay, reads keep showing
// the last visible version until the delay after the latest write has passed.
func (s *Server) putLocked(id string, d *Device) {
	now := time.Now()
	rec := s.devices[id]
	if rec == nil {
		rec = &record{}
		s.devices[id] = rec
	}
	if delay := s.visibilityDelay(); delay > 0 {
		if !now.Before(rec.visibleAt) {
			rec.prev = rec.cur
		}
		rec.visibleAt = now.Add(delay)
	}
	rec.cur = d
	if d == nil && !now.Before(rec.visibleAt) {
		delete(s.devices, id)
	}
}
