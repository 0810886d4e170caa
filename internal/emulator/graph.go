package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	devicesPath = "/beta/directory/authenticationMethodDevices/hardwareOathDevices"
	methodsPath = "/beta/users/{user}/authentication/hardwareOathMethods"
	policyPath  = "/beta/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/hardwareOath"
)

// Permission sets from CONTRACT.md (Permissions): any one permission of a set authorises the call.
var (
	readDevices  = []string{PermPolicyReadAll, PermPolicyReadWriteAuthMethod}
	writeDevices = []string{PermPolicyReadWriteAuthMethod}
	readMethods  = []string{PermUserAuthMethodReadAll, PermUserAuthMethodReadWriteAll}
	writeMethods = []string{PermUserAuthMethodReadWriteAll}
	readPolicy   = []string{PermPolicyReadAuthMethod, PermPolicyReadWriteAuthMethod}
	writePolicy  = []string{PermPolicyReadWriteAuthMethod}
	readUsers    = []string{PermUserReadAll, PermUserReadWriteAll, PermDirectoryReadAll, PermDirectoryReadWriteAll}
)

func (s *Server) graphMux() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h func(*call), perms []string) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serveGraph(w, r, h, perms) })
	}
	route("GET "+devicesPath, s.listDevices, readDevices)
	route("GET "+devicesPath+"/$count", s.countDevices, readDevices)
	route("POST "+devicesPath, s.createDevice, writeDevices)
	route("PATCH "+devicesPath, s.createDevices, writeDevices)
	route("GET "+devicesPath+"/{id}", s.getDevice, readDevices)
	route("PATCH "+devicesPath+"/{id}", s.updateDevice, writeDevices)
	route("DELETE "+devicesPath+"/{id}", s.deleteDevice, writeDevices)

	route("GET /beta/users/{user}", s.getUser, readUsers)
	route("GET "+methodsPath, s.listMethods, readMethods)
	route("POST "+methodsPath, s.assignMethod, writeMethods)
	route("POST "+methodsPath+"/assignAndActivate", s.assignAndActivate, writeMethods)
	route("POST "+methodsPath+"/assignAndActivateBySerialNumber", s.assignAndActivateBySerial, writeMethods)
	route("GET "+methodsPath+"/{id}", s.getMethod, readMethods)
	route("DELETE "+methodsPath+"/{id}", s.unassignMethod, writeMethods)
	route("POST "+methodsPath+"/{id}/activate", s.activateMethod, writeMethods)
	route("POST "+methodsPath+"/{id}/deactivate", s.deactivateMethod, writeMethods)

	route("GET "+policyPath, s.getPolicy, readPolicy)
	route("PATCH "+policyPath, s.updatePolicy, writePolicy)
	route("DELETE "+policyPath, s.resetPolicy, writePolicy)

	mux.HandleFunc("/beta/", func(w http.ResponseWriter, r *http.Request) {
		s.count(r.Method + " " + r.URL.Path)
		s.newCall(w, r).fail(badRequest("Resource not found for the segment '%s'.", lastSegment(r.URL.Path)))
	})
	// Graph path segments are case-insensitive; clients in the wild spell the policy "HardwareOath".
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.URL.Path, policyPath) {
			r.URL.Path = policyPath
		}
		mux.ServeHTTP(w, r)
	})
}

// serveGraph runs what every Graph call shares: counting, bearer check, latency, injected faults and the
// permission check, in that order; then the handler.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request, h func(*call), perms []string) {
	s.count(r.Pattern)
	c := s.newCall(w, r)
	roles, err := s.authenticate(r)
	if err != nil {
		c.fail(err)
		return
	}
	c.roles = roles
	sleep(r.Context(), time.Duration(s.latency.Load()))
	if err := s.injectFault(w); err != nil {
		c.fail(err)
		return
	}
	if !c.require(perms...) {
		return
	}
	if r.Method != http.MethodGet {
		kind := s.writeFault()
		if kind != "" && kind != "failed" {
			lost := *c
			lost.w = discard{header: http.Header{}}
			h(&lost)
		}
		switch kind {
		case "lost":
			c.fail(newError(http.StatusGatewayTimeout, "gatewayTimeout", "The operation timed out."))
			return
		case "applied-503":
			w.Header().Set("Retry-After", strconv.FormatFloat(s.retryAfter().Seconds(), 'f', -1, 64))
			c.fail(newError(http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later."))
			return
		case "applied-reset":
			panic(http.ErrAbortHandler) // the server drops the connection without an answer
		case "failed":
			c.fail(newError(http.StatusInternalServerError, "generalException", "An unexpected error occurred."))
			return
		}
	}
	h(c)
}

// discard is a ResponseWriter whose response is lost on the way back.
type discard struct{ header http.Header }

func (d discard) Header() http.Header       { return d.header }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

func lastSegment(path string) string {
	return path[strings.LastIndex(path, "/")+1:]
}
