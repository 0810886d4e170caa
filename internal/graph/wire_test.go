package graph

import (
	"errors"
	"strings"
	"testing"

	"github.com/microsoft/kiota-abstractions-go/serialization"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// The emulator speaks one dialect; these cases pin the Graph quirks it doesn't produce.

func parse[T any](t *testing.T, body string, factory serialization.ParsableFactory) T {
	t.Helper()
	n, err := jsonser.NewJsonParseNode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	v, err := n.GetObjectValue(factory)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := v.(T)
	if !ok {
		t.Fatalf("parsed a %T", v)
	}
	return out
}

func TestDeviceToleratesQuirks(t *testing.T) {
	d := parse[*Device](t, `{"id":"1","timeIntervalInSeconds":"60","status":"somethingNew","secretKey":null,
		"assignedTo":{"id":"u","displayName":"Amy","userPrincipalName":"amy@contoso.example"},"futureProperty":{"x":1}}`,
		newParsable[Device])
	if d.TimeIntervalInSeconds != 60 || d.Status != "somethingNew" || d.AssignedTo == nil || d.AssignedTo.ID != "u" {
		t.Fatalf("device = %+v", d)
	}
}

func TestFailBuildsScrubbedErrors(t *testing.T) {
	const secret, code = "JBSWY3DPEHPK3PXP", "123456"
	r := call{op: "activate hardware OATH method", secrets: []string{secret, code}}
	for _, tc := range []struct {
		name      string
		err       error
		ex        exchange
		wantCode  string
		wantMsg   string
		wantReqID string
	}{{
		name: "innerError request-id, echoed secret in another case",
		err: parse[error](t, `{"error":{"code":"invalidRequest","message":"bad key jbswy3dpehpk3pxp / code 123456",
			"innerError":{"date":"2024-05-26T01:12:14","request-id":"body-id"}}}`,
			odataerrors.CreateODataErrorFromDiscriminatorValue),
		ex:       exchange{status: 400, requestID: "header-id"},
		wantCode: "invalidRequest", wantMsg: withheldMessage, wantReqID: "body-id",
	}, {
		name: "innerError requestId",
		err: parse[error](t, `{"error":{"code":"TooManyRequests","message":"Please retry again later.","innerError":{"requestId":"camel-id"}}}`,
			odataerrors.CreateODataErrorFromDiscriminatorValue),
		ex:       exchange{status: 429, requestID: "header-id"},
		wantCode: "TooManyRequests", wantMsg: "Please retry again later.", wantReqID: "camel-id",
	}, {
		name:     "unparsable body keeps status and header request-id",
		err:      errors.New("content type text/html does not match"),
		ex:       exchange{status: 502, requestID: "header-id"},
		wantCode: "", wantMsg: "Bad Gateway", wantReqID: "header-id",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var ge *Error
			if !errors.As(r.fail(tc.err, &tc.ex), &ge) {
				t.Fatal("not an *Error")
			}
			if ge.StatusCode != tc.ex.status || ge.Code != tc.wantCode || ge.Message != tc.wantMsg || ge.RequestID != tc.wantReqID {
				t.Fatalf("got %+v", ge)
			}
		})
	}

	err := r.fail(errors.New("connection reset"), &exchange{})
	var ge *Error
	if errors.As(err, &ge) || !strings.HasPrefix(err.Error(), r.op+": ") {
		t.Fatalf("transport error = %v", err)
	}
}
