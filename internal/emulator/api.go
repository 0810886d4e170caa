// Package emulator is a stateful HTTPS fake of Microsoft Graph's hardware OATH endpoints and of the Entra ID token
// endpoint, faithful to ../shared/graph-api.md (section 13 where the docs are silent). Tests, the demo and the
// benchmarks run the provider's production auth and HTTP path against it.
package emulator

import "time"

// Options configures a Server. Zero values take the defaults noted.
type Options struct {
	Addr         string // listen address; default "127.0.0.1:0"
	CAFile       string // where the generated CA certificate (PEM) is written; default a file in os.TempDir()
	TenantID     string // default DefaultTenantID
	ClientID     string // default DefaultClientID
	ClientSecret string // default DefaultClientSecret
	// Latency is added to every Graph call (not to token calls), to model the real service.
	Latency time.Duration
	// PageSize is the default and maximum $top of the device list; default 100.
	PageSize int
	// MaxTokensPerUser is how many hardware OATH methods one user may hold; default 5.
	MaxTokensPerUser int
}

// Default credentials of an emulated tenant.
const (
	DefaultTenantID     = "00000000-0000-4000-8000-000000000001"
	DefaultClientID     = "00000000-0000-4000-8000-000000000002"
	DefaultClientSecret = "emulator-client-secret"
)

// User is a directory user.
type User struct {
	ID                string // object id (GUID); generated when empty
	UserPrincipalName string
	DisplayName       string
	UserType          string // "Member" (default) or "Guest"
}

// Device is the emulator's view of an inventory token, secret included (tests use it to compute codes).
type Device struct {
	ID                    string
	DisplayName           string
	SerialNumber          string
	Manufacturer          string
	Model                 string
	SecretKey             string
	TimeIntervalInSeconds int
	HashFunction          string
	Status                string
	AssignedToID          string // "" when unassigned
	AssignedAt            time.Time
}

// Faults switches on fault injection for Graph calls (never for the token endpoint). Rates are 0..1.
type Faults struct {
	ThrottleRate    float64       // answer 429 TooManyRequests with Retry-After
	RetryAfter      time.Duration // Retry-After sent with 429/503 (fractional seconds allowed); default 1s
	UnavailableRate float64       // answer 503 serviceNotAvailable with Retry-After
	LostWriteRate   float64       // perform a write, then answer 504 as if the response was lost
	// VisibilityDelay: after a write, reads keep showing the previous state (404 for a new device) this long.
	VisibilityDelay time.Duration
}
