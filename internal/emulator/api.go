// Package emulator is a stateful HTTPS fake of Microsoft Graph's hardware OATH endpoints and of the Entra ID token
// endpoint, faithful to CONTRACT.md in this directory (which marks where it guesses). Tests, the demo and the
// benchmarks run the provider's production auth and HTTP path against it.
package emulator

import (
	"crypto/x509"
	"time"
)

// Options configures a Server. Zero values take the defaults noted.
type Options struct {
	Addr         string // listen address; default "127.0.0.1:0"
	CAFile       string // where the generated CA certificate (PEM) is written; default a file in os.TempDir()
	TenantID     string // default DefaultTenantID
	ClientID     string // default DefaultClientID
	ClientSecret string // default DefaultClientSecret
	// ClientCertificates may sign client assertions (RS256 or PS256, matched by the x5t or x5t#S256 header).
	ClientCertificates []*x509.Certificate
	// Latency is added to every Graph call (not to token calls), to model the real service.
	Latency time.Duration
	// PageSize is the device list's page size when the request has no $top; default 100.
	PageSize int
	// MaxPageSize is the largest page served: a larger $top (up to 999, the most Graph accepts) is served in pages of
	// this size, as Graph may page below $top; default 999.
	MaxPageSize int
	// MaxTokensPerUser is how many hardware OATH methods one user may hold; default 5.
	MaxTokensPerUser int
	// ActivationWindowSteps is how many time steps before and after now a verification code may come from;
	// default 1, negative means the current step only.
	ActivationWindowSteps int
	// Seed seeds fault injection so runs are repeatable; default 1.
	Seed uint64
	// Variants answer the cases Microsoft does not document; the zero value keeps the historic answers.
	Variants Variants
}

// Default credentials of an emulated tenant.
const (
	DefaultTenantID     = "00000000-0000-4000-8000-000000000001"
	DefaultClientID     = "00000000-0000-4000-8000-000000000002"
	DefaultClientSecret = "emulator-client-secret"
)

// Application permissions (token roles) the emulator knows; DefaultAppPermissions are granted unless
// SetAppPermissions says otherwise.
const (
	PermPolicyReadAll              = "Policy.Read.All"
	PermPolicyReadAuthMethod       = "Policy.Read.AuthenticationMethod"
	PermPolicyReadWriteAuthMethod  = "Policy.ReadWrite.AuthenticationMethod"
	PermUserAuthMethodReadAll      = "UserAuthenticationMethod.Read.All"
	PermUserAuthMethodReadWriteAll = "UserAuthenticationMethod.ReadWrite.All"
	PermUserReadAll                = "User.Read.All"
	PermUserReadWriteAll           = "User.ReadWrite.All"
	PermDirectoryReadAll           = "Directory.Read.All"
	PermDirectoryReadWriteAll      = "Directory.ReadWrite.All"
)

// DefaultAppPermissions are what a correctly consented provider app holds.
var DefaultAppPermissions = []string{PermPolicyReadWriteAuthMethod, PermUserAuthMethodReadWriteAll, PermUserReadAll}

// User is a directory user.
type User struct {
	ID                string `json:"id"` // object id (GUID); generated when empty
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	UserType          string `json:"userType"` // "Member" (default) or "Guest"
	// AccountDisabled is Graph's accountEnabled = false (sign-in blocked); the zero value is an enabled account.
	AccountDisabled bool `json:"accountDisabled,omitempty"`
}

// Device is the emulator's view of an inventory token, secret included (tests use it to compute codes).
// The JSON form (control surface) leaves the secret out.
type Device struct {
	ID                    string    `json:"id"`
	DisplayName           string    `json:"displayName"`
	SerialNumber          string    `json:"serialNumber"`
	Manufacturer          string    `json:"manufacturer"`
	Model                 string    `json:"model"`
	SecretKey             string    `json:"-"`
	TimeIntervalInSeconds int       `json:"timeIntervalInSeconds"`
	HashFunction          string    `json:"hashFunction"`
	Status                string    `json:"status"`
	AssignedToID          string    `json:"assignedToId,omitempty"` // "" when unassigned
	AssignedAt            time.Time `json:"assignedAt,omitzero"`    // the method's createdDateTime
	LastUsed              time.Time `json:"lastUsed,omitzero"`      // last successful activation; lastUsedDateTime
}

// Faults switches on fault injection for Graph calls (never for the token endpoint). Rates are 0..1.
type Faults struct {
	ThrottleRate    float64       // answer 429 TooManyRequests with Retry-After
	RetryAfter      time.Duration // Retry-After sent with 429/503 (fractional seconds allowed); default 1s
	UnavailableRate float64       // answer 503 serviceNotAvailable with Retry-After
	LostWriteRate   float64       // perform a write, then answer 504 as if the response was lost
	FailedWriteRate float64       // answer a write 500 generalException without performing it
	// AppliedThen503Rate: perform a write, then answer 503 serviceNotAvailable with Retry-After, as a front end
	// may when the service behind it applied the write but did not answer in time.
	AppliedThen503Rate float64
	// AppliedThenResetRate: perform a write, then reset the connection without an answer.
	AppliedThenResetRate float64
	// VisibilityDelay: after a write, reads keep showing the previous state (404 for a new device) this long.
	VisibilityDelay time.Duration
}

// FaultSwitches are Faults as the control surface takes them (PUT /_emulator/faults), durations in milliseconds.
type FaultSwitches struct {
	ThrottleRate      float64 `json:"throttle_rate"`
	RetryAfterMS      float64 `json:"retry_after_ms"`
	UnavailableRate   float64 `json:"unavailable_rate"`
	LostWriteRate     float64 `json:"lost_write_rate"`
	FailedWriteRate   float64 `json:"failed_write_rate"`
	AppliedThen503    float64 `json:"applied_then_503_rate"`
	AppliedThenReset  float64 `json:"applied_then_reset_rate"`
	VisibilityDelayMS float64 `json:"visibility_delay_ms"`
}

// Policy is the hardwareOath authentication method configuration.
type Policy struct {
	State          string // "enabled" or "disabled"
	IncludeTargets []PolicyTarget
	ExcludeTargets []PolicyTarget // IsRegistrationRequired is ignored here
}

// PolicyTarget is an include (authenticationMethodTarget) or exclude (excludeTarget) entry.
type PolicyTarget struct {
	ID                     string // group or user object id, or "all_users"
	TargetType             string // "group" or "user"
	IsRegistrationRequired bool
}

// Device status values (hardwareOathTokenStatus).
const (
	StatusAvailable        = "available"
	StatusAssigned         = "assigned"
	StatusActivated        = "activated"
	StatusFailedActivation = "failedActivation"
)

// Hash functions (hardwareOathTokenHashFunction).
const (
	HashSHA1   = "hmacsha1"
	HashSHA256 = "hmacsha256"
)
