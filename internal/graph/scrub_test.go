package graph_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// staticCredential hands out one token, for clients whose transport never reaches a real sign-in.
type staticCredential struct{}

func (staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "static-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// answering is a client whose every request gets HTTP 400 with Graph error code "invalidRequest" and message.
func answering(t *testing.T, message string) *graph.Client {
	t.Helper()
	return answeringIn(t, "", message)
}

// answeringIn is answering for a client configured for the national cloud (or "" for the global service).
func answeringIn(t *testing.T, cloud, message string) *graph.Client {
	t.Helper()
	c, err := graph.New(graph.Config{
		Cloud:      cloud,
		Endpoint:   "https://graph.example",
		Credential: staticCredential{},
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			body := `{"error":{"code":"invalidRequest","message":` + jsonString(message) +
				`,"innerError":{"request-id":"req-1"}}}`
			return &http.Response{StatusCode: http.StatusBadRequest, Request: r, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
				Header: http.Header{"Content-Type": {"application/json"}, "Request-Id": {"req-1"}}}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Graph's message is dropped when it quotes 8 characters in a row of the seed or the whole code, in any case;
// status, code and request-id stay.
func TestErrorWithholdsMessagesQuotingSecrets(t *testing.T) {
	ctx := context.Background()
	const seed = "JBSWY3DPEHPK3PXPGEZDGNBVGY3TQOJQ"
	const code = "492039"
	calls := map[string]func(*graph.Client) error{
		"create": func(c *graph.Client) error {
			_, err := c.CreateDevice(ctx, graph.Device{SerialNumber: "SN1", Manufacturer: "M", Model: "X", SecretKey: seed,
				TimeIntervalInSeconds: 30, HashFunction: graph.HashSHA1}, "")
			return err
		},
		"activate": func(c *graph.Client) error { return c.ActivateMethod(ctx, "u", "d", code, "") },
		"assignAndActivate": func(c *graph.Client) error {
			return c.AssignAndActivate(ctx, "u", "d", code, "")
		},
	}
	for _, tc := range []struct {
		call, message string
		withheld      bool
	}{
		{"create", "The secret key " + seed + " is invalid.", true},
		{"create", "Secret 'hpk3pxpg…' is not valid Base32.", true}, // 8 characters from the middle, lower case
		{"create", "Secret starting JBSWY3D is invalid.", false},    // 7 characters
		{"create", "Property 'secretKey' is invalid.", false},
		{"activate", "The code " + code + " is wrong.", true},
		{"activate", "The code 49203 is wrong.", false},
		{"assignAndActivate", "Verification code '" + code + "' expired.", true},
		{"assignAndActivate", "Verification failed.", false},
	} {
		err := calls[tc.call](answering(t, tc.message))
		ge, ok := err.(*graph.Error)
		if !ok {
			t.Fatalf("%s: want *graph.Error, got %T: %v", tc.call, err, err)
		}
		if ge.StatusCode != http.StatusBadRequest || ge.Code != "invalidRequest" || ge.RequestID != "req-1" {
			t.Errorf("%s %q: status, code or request-id lost: %+v", tc.call, tc.message, ge)
		}
		if got := ge.Message != tc.message; got != tc.withheld {
			t.Errorf("%s %q: message withheld = %v, want %v (message %q)", tc.call, tc.message, got, tc.withheld, ge.Message)
		}
		if tc.withheld {
			assertNoSecret(t, err, seed[:8], seed[8:16], code)
		}
	}
}

// Calls that send no secret keep Graph's message whatever it holds.
func TestErrorKeepsMessagesOfCallsWithoutSecrets(t *testing.T) {
	const message = "Device JBSWY3DPEHPK3PXP was not found."
	_, err := answering(t, message).GetDevice(context.Background(), "d")
	if ge, ok := err.(*graph.Error); !ok || ge.Message != message {
		t.Fatalf("got %v, want Graph's message %q", err, message)
	}
}

// An error says which national cloud the client was configured for, so the provider can name it.
func TestErrorNamesTheCloud(t *testing.T) {
	for _, cloud := range []string{"", "usgovernment"} {
		_, err := answeringIn(t, cloud, "Resource not found.").GetDevice(context.Background(), "d")
		if ge, ok := err.(*graph.Error); !ok || ge.Cloud != cloud {
			t.Errorf("cloud %q: got %#v", cloud, err)
		}
	}
}
