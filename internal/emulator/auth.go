package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

const (
	tokenLifetime       = 3599 * time.Second
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	tokenPattern        = "POST /{tenant}/oauth2/v2.0/token"
)

type issuedToken struct {
	roles   map[string]bool
	expires time.Time
}

// SetAppPermissions sets the application permissions (roles) granted to tokens issued from now on; tokens
// already issued keep theirs, as in Entra. With no arguments, tokens carry no permission at all.
func (s *Server) SetAppPermissions(perms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perms = slices.Clone(perms)
}

// SetFederatedAssertions installs the check for federated (OIDC workload identity) client assertions: any
// client_assertion without an x5t or x5t#S256 header is accepted when valid returns true. Nil rejects them all.
func (s *Server) SetFederatedAssertions(valid func(assertion string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.federated = valid
}

func (s *Server) entraMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.openIDConfiguration)
	mux.HandleFunc(tokenPattern, s.token)
	// MSAL asks for instance metadata unless instance discovery is disabled; answer with this host only.
	mux.HandleFunc("GET /common/discovery/instance", func(w http.ResponseWriter, r *http.Request) {
		s.count(r.Pattern)
		host := strings.TrimPrefix(s.url, "https://")
		writeJSON(w, http.StatusOK, map[string]any{
			"tenant_discovery_endpoint": s.url + "/" + s.opts.TenantID + "/v2.0/.well-known/openid-configuration",
			"api-version":               "1.1",
			"metadata":                  []any{map[string]any{"preferred_network": host, "preferred_cache": host, "aliases": []string{host}}},
		})
	})
	return mux
}

func (s *Server) openIDConfiguration(w http.ResponseWriter, r *http.Request) {
	s.count(r.Pattern)
	tenant := r.PathValue("tenant")
	if tenant != s.opts.TenantID {
		entraError(w, http.StatusBadRequest, "invalid_tenant", 90002, "Tenant '%s' not found.", tenant)
		return
	}
	base := s.url + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base + "/v2.0",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"tenant_region_scope":                   "WW",
	})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.count(tokenPattern)
	tenant := r.PathValue("tenant")
	if tenant != s.opts.TenantID {
		entraError(w, http.StatusBadRequest, "invalid_request", 90002, "Tenant '%s' not found.", tenant)
		return
	}
	if err := r.ParseForm(); err != nil {
		entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain a form.")
		return
	}
	form := r.PostForm
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		entraError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.", gt)
		return
	}
	if id := form.Get("client_id"); id != s.opts.ClientID {
		entraError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			"Application with identifier '%s' was not found in the directory '%s'.", id, tenant)
		return
	}
	if !s.graphScopeOnly(form.Get("scope"), r.Host) {
		entraError(w, http.StatusBadRequest, "invalid_scope", 1002012,
			"The provided value for scope is not valid. Client credential flows must request %s only.", s.Scope())
		return
	}
	if code, msg := s.authenticateClient(form.Get("client_secret"), form.Get("client_assertion_type"),
		form.Get("client_assertion"), s.url+"/"+tenant+"/oauth2/v2.0/token"); code != 0 {
		entraError(w, http.StatusUnauthorized, "invalid_client", code, "%s", msg)
		return
	}

	access := newGUID() + newGUID() // opaque: Graph callers must not parse access tokens
	s.mu.Lock()
	roles := map[string]bool{}
	for _, p := range s.perms {
		roles[p] = true
	}
	s.tokens[access] = issuedToken{roles: roles, expires: time.Now().Add(tokenLifetime)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     int(tokenLifetime.Seconds()),
		"ext_expires_in": int(tokenLifetime.Seconds()),
		"access_token":   access,
	})
}

// Scope is the token scope of the emulated Graph: its own root, as a client derives it from the Graph host it calls.
// The emulator grants no token for https://graph.microsoft.com, so a client that would send such a token elsewhere
// fails against it.
func (s *Server) Scope() string { return s.url + "/.default" }

// graphScopeOnly accepts the emulated Graph's .default scope (by the emulator's URL or by the host the client
// reached it at), alongside the OIDC scopes MSAL always appends.
func (s *Server) graphScopeOnly(scope, host string) bool {
	n := 0
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "profile", "offline_access":
		case s.Scope(), "https://" + host + "/.default":
			n++
		default:
			return false
		}
	}
	return n == 1
}

// authenticateClient checks the client secret or assertion; on failure it returns an AADSTS code and message.
func (s *Server) authenticateClient(secret, assertionType, assertion, audience string) (int, string) {
	switch {
	case secret != "":
		if subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) != 1 {
			return 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."
		}
		return 0, ""
	case assertion != "":
		if assertionType != clientAssertionType {
			return 700023, "Invalid client_assertion_type; expected " + clientAssertionType + "."
		}
		return s.checkAssertion(assertion, audience)
	}
	return 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
}

// checkAssertion verifies a client assertion JWT: signed by a registered certificate when it names one by
// thumbprint, else accepted by the federated hook.
func (s *Server) checkAssertion(assertion, audience string) (int, string) {
	const malformed = 50027
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return malformed, "Invalid JWT token. The token is malformed."
	}
	var header struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud string  `json:"aud"`
		Iss string  `json:"iss"`
		Sub string  `json:"sub"`
		Exp float64 `json:"exp"`
		Nbf float64 `json:"nbf"`
	}
	if decodeSegment(parts[0], &header) != nil || decodeSegment(parts[1], &claims) != nil {
		return malformed, "Invalid JWT token. The token is malformed."
	}
	if header.X5t == "" && header.X5tS256 == "" {
		s.mu.Lock()
		federated := s.federated
		s.mu.Unlock()
		if federated == nil || !federated(assertion) {
			return 700213, "No matching federated identity record found for the presented assertion."
		}
		return 0, ""
	}
	cert := s.certificateFor(header.X5t, header.X5tS256)
	if cert == nil {
		return 700027, "The certificate with the presented thumbprint is not registered on application '" + s.opts.ClientID + "'."
	}
	if code, msg := verifySignature(cert, header.Alg, parts); code != 0 {
		return code, msg
	}
	now := float64(time.Now().Unix())
	const skew = 300
	switch {
	case claims.Aud != audience:
		return 700016, fmt.Sprintf("The client assertion audience must be %s.", audience)
	case claims.Iss != s.opts.ClientID || claims.Sub != s.opts.ClientID:
		return 700021, "The client assertion's iss and sub claims must both be the client id."
	case claims.Exp == 0 || claims.Exp < now-skew || claims.Nbf > now+skew:
		return 700024, "Client assertion is not within its valid time range."
	}
	return 0, ""
}

// certificateFor finds the registered certificate named by either thumbprint (MSAL sends them in standard
// Base64; RFC 7515 says Base64url, so both are accepted).
func (s *Server) certificateFor(x5t, x5tS256 string) *x509.Certificate {
	for _, c := range s.opts.ClientCertificates {
		sha1Sum, sha256Sum := sha1.Sum(c.Raw), sha256.Sum256(c.Raw)
		if thumbprintIs(x5t, sha1Sum[:]) || thumbprintIs(x5tS256, sha256Sum[:]) {
			return c
		}
	}
	return nil
}

func thumbprintIs(header string, sum []byte) bool {
	if header == "" {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(header); err == nil && subtle.ConstantTimeCompare(b, sum) == 1 {
			return true
		}
	}
	return false
}

func verifySignature(cert *x509.Certificate, alg string, parts []string) (int, string) {
	const badSignature = 700027
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return badSignature, "Only RSA certificates are supported for client assertions."
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return badSignature, "Client assertion failed signature validation."
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch alg {
	case "RS256":
		err = rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig)
	case "PS256":
		err = rsa.VerifyPSS(key, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	default:
		return badSignature, fmt.Sprintf("Client assertion algorithm '%s' is not supported; use RS256 or PS256.", alg)
	}
	if err != nil {
		return badSignature, "Client assertion failed signature validation."
	}
	return 0, ""
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// entraError writes an AADSTS error the way the v2.0 token endpoint does.
func entraError(w http.ResponseWriter, status int, code string, aadsts int, format string, args ...any) {
	id := newGUID()
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: ", aadsts) + fmt.Sprintf(format, args...) + " Trace ID: " + id,
		"error_codes":       []int{aadsts},
		"timestamp":         time.Now().UTC().Format("2006-01-02 15:04:05Z"),
		"trace_id":          id,
		"correlation_id":    newGUID(),
		"error_uri":         "https://login.microsoftonline.com/error?code=" + fmt.Sprint(aadsts),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// An encoding error means the client went away; there is no one left to tell.
	_ = json.NewEncoder(w).Encode(v)
}

// authenticate resolves the bearer token of a Graph call to its roles.
func (s *Server) authenticate(r *http.Request) (map[string]bool, error) {
	unauthenticated := func(msg string) error {
		return newError(http.StatusUnauthorized, "InvalidAuthenticationToken", "%s", msg)
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if tok == "" {
		return nil, unauthenticated("Access token is empty.")
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, unauthenticated("Access token is not a bearer token.")
	}
	s.mu.Lock()
	t, ok := s.tokens[tok]
	s.mu.Unlock()
	switch {
	case !ok:
		return nil, unauthenticated("Access token validation failure. Invalid audience.")
	case time.Now().After(t.expires):
		return nil, unauthenticated("Lifetime validation failed, the token is expired.")
	}
	return t.roles, nil
}
