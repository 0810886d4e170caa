// Package graph is the provider's Microsoft Graph (beta) client for hardware OATH tokens.
// It has no Terraform imports: the provider, the benchmarks and the demo all drive it the same way.
package graph

import (
	"context"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Token status values, as Graph spells them (hardwareOathTokenStatus).
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

// Config configures a Client.
type Config struct {
	// Endpoint is the Graph root without version, e.g. https://graph.microsoft.com. The client appends /beta.
	Endpoint string
	// Credential signs every request (azidentity).
	Credential azcore.TokenCredential
	// Scope is the token scope; default "https://<Endpoint's host>/.default", so that a token is only ever requested
	// for the host it is sent to.
	Scope string
	// Cloud names the national cloud ("usgovernment", "china") for errors to mention; "" for the global service.
	Cloud string
	// UserAgent is sent on every request, e.g. "terraform-provider-entraoath/1.2.3 terraform/1.11.4".
	UserAgent string
	// MaxRetries bounds the retries of reads (GET) that failed with a 5xx (other than a 503 with Retry-After) or a
	// transport error; 0 means none. Throttling (429, and a 503 with Retry-After on a read) is always waited out
	// until the context's deadline (10 minutes without one), whatever MaxRetries says. Writes are never retried
	// except after a 429: any other failed write is handed back, since Graph may have applied it.
	MaxRetries int
	// Transport is the base HTTP transport under the middleware; nil means a clone of http.DefaultTransport.
	// Tests inject one that trusts the emulator's CA.
	Transport http.RoundTripper
	// Logger, when set, is called once per HTTP attempt (retries included).
	Logger func(ctx context.Context, e RequestLog)
}

// RequestLog describes one HTTP attempt for Config.Logger. It carries no bodies, headers, object ids or UPNs:
// PathTemplate reads e.g. "/users/{user}/authentication/hardwareOathMethods/{id}/activate".
type RequestLog struct {
	Method       string
	PathTemplate string
	Attempt      int // 1 for the first try
	Status       int // 0 when the request failed before a response arrived
	RequestID    string
	Duration     time.Duration
}

// Identity is Graph's identity object, as in a device's assignedTo.
type Identity struct {
	ID          string
	DisplayName string
}

// Device is a hardwareOathTokenAuthenticationMethodDevice. SecretKey is write-only: Graph never returns it.
type Device struct {
	ID                    string
	DisplayName           string
	SerialNumber          string
	Manufacturer          string
	Model                 string
	SecretKey             string
	TimeIntervalInSeconds int32
	HashFunction          string
	Status                string
	AssignedTo            *Identity
	LastUsedDateTime      *time.Time
}

// DeviceUpdate carries the fields Graph lets one PATCH on an unassigned device; nil fields are not sent.
type DeviceUpdate struct {
	DisplayName           *string
	Manufacturer          *string
	Model                 *string
	TimeIntervalInSeconds *int32
	HashFunction          *string
}

// DeviceFilter narrows ListDevices with $filter (eq only; empty fields are ignored).
type DeviceFilter struct {
	SerialNumber string
	Status       string
	Manufacturer string
	Model        string
	AssignedToID string
}

// User is the subset of a Graph user the provider needs.
type User struct {
	ID                string
	UserPrincipalName string
	DisplayName       string
	UserType          string // "Member" or "Guest"
	AccountDisabled   bool   // accountEnabled is false: the user cannot sign in
}

// Method is a user's hardwareOathAuthenticationMethod; its ID equals the device ID.
type Method struct {
	ID               string
	CreatedDateTime  *time.Time
	LastUsedDateTime *time.Time
	Device           *Device
}

// PolicyTarget is an authenticationMethodTarget (include) or excludeTarget.
type PolicyTarget struct {
	ID                     string // group object id, or "all_users"
	TargetType             string // "group"
	IsRegistrationRequired bool   // include targets only
}

// Policy is the hardwareOath authentication method configuration.
type Policy struct {
	ID             string
	State          string // "enabled" | "disabled"
	IncludeTargets []PolicyTarget
	ExcludeTargets []PolicyTarget
}

// API is what the provider needs from Graph. *Client implements it.
type API interface {
	ListDevices(ctx context.Context, filter DeviceFilter) ([]Device, error)
	DevicesBySerial(ctx context.Context, serial string) ([]Device, error)
	GetDevice(ctx context.Context, id string) (*Device, error)
	CreateDevice(ctx context.Context, d Device, assignToUserID string) (*Device, error)
	UpdateDevice(ctx context.Context, id string, u DeviceUpdate) error
	DeleteDevice(ctx context.Context, id string) error

	GetUser(ctx context.Context, idOrUPN string) (*User, error)
	ListMethods(ctx context.Context, user string) ([]Method, error)
	AssignDevice(ctx context.Context, user, deviceID string) error
	ActivateMethod(ctx context.Context, user, deviceID, code, displayName string) error
	DeactivateMethod(ctx context.Context, user, deviceID string) error
	AssignAndActivate(ctx context.Context, user, deviceID, code, displayName string) error
	UnassignDevice(ctx context.Context, user, deviceID string) error

	GetPolicy(ctx context.Context) (*Policy, error)
	UpdatePolicy(ctx context.Context, p Policy) error
	ResetPolicy(ctx context.Context) error
}

var _ API = (*Client)(nil)
