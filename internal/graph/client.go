package graph

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	azauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

const (
	// responseHeaderTimeout turns a hung Graph call into a transport error instead of a hung apply.
	responseHeaderTimeout = 2 * time.Minute
)

// Client calls Microsoft Graph beta through the kiota request adapter of msgraph-sdk-go-core.
type Client struct {
	adapter   abs.RequestAdapter
	userAgent string
	cloud     string
}

// New builds a Client. It does not contact Graph.
func New(cfg Config) (*Client, error) {
	if cfg.Credential == nil {
		return nil, errors.New("graph: a credential is required")
	}
	endpoint, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || endpoint.Scheme == "" || endpoint.Host == "" {
		return nil, fmt.Errorf("graph: invalid endpoint %q", cfg.Endpoint)
	}
	scope := cfg.Scope
	if scope == "" {
		scope = "https://" + endpoint.Host + "/.default"
	}
	// kiota silently sends no token to hosts outside this list; it compares host names without the port.
	auth, err := azauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
		cfg.Credential, []string{scope}, []string{endpoint.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	adapter, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, msgraphcore.GraphClientOptions{},
		jsonser.NewJsonParseNodeFactory(), jsonser.NewJsonSerializationWriterFactory(),
		newHTTPClient(cfg))
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	adapter.SetBaseUrl(endpoint.String() + "/beta")
	return &Client{adapter: adapter, userAgent: cfg.UserAgent, cloud: cfg.Cloud}, nil
}

func newHTTPClient(cfg Config) *http.Client {
	base := cfg.Transport
	if def, ok := http.DefaultTransport.(*http.Transport); base == nil && ok {
		t := def.Clone()
		t.ResponseHeaderTimeout = responseHeaderTimeout
		base = t
	}
	maxRetries := max(cfg.MaxRetries, 0)
	return &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(base, middlewares(maxRetries, cfg.Logger)...),
		// kiota's RedirectHandler follows redirects (and drops the token on a host change).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// call is one Graph request. path is a kiota URL template relative to the base URL, e.g.
// "/users/{user}/authentication/hardwareOathMethods/{id}{?%24select}".
type call struct {
	op      string // Error.Operation
	method  abs.HttpMethod
	path    string
	params  map[string]string
	query   map[string]string
	nextURL string // absolute @odata.nextLink; replaces path, params and query
	body    serialization.Parsable
	secrets []string // values sent in the body that must never show up in an error
}

var errorMapping = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// do sends r and discards any response body.
func (c *Client) do(ctx context.Context, r call) error {
	_, err := c.send(ctx, r, nil)
	return err
}

// fetch sends r and decodes the response body into a new T.
func fetch[T any, P parsable[T]](ctx context.Context, c *Client, r call) (*T, error) {
	res, err := c.send(ctx, r, newParsable[T, P])
	if err != nil {
		return nil, err
	}
	v, ok := res.(P)
	if !ok {
		return nil, fmt.Errorf("%s: Graph returned no content", r.op)
	}
	return (*T)(v), nil
}

// send is the one place every Graph request goes through. A nil into means no response body is expected.
func (c *Client) send(ctx context.Context, r call, into serialization.ParsableFactory) (serialization.Parsable, error) {
	ri, err := c.request(ctx, r)
	if err != nil {
		return nil, err
	}
	ctx, ex := withExchange(ctx, r.path)
	var res serialization.Parsable
	if into == nil {
		err = c.adapter.SendNoContent(ctx, ri, errorMapping)
	} else {
		res, err = c.adapter.Send(ctx, ri, into, errorMapping)
	}
	if err != nil {
		err = r.fail(err, ex)
		if ge, ok := err.(*Error); ok {
			ge.Cloud = c.cloud
		}
		return nil, err
	}
	return res, nil
}

// listAll follows @odata.nextLink until Graph stops sending one.
func listAll[T any, P parsable[T]](ctx context.Context, c *Client, r call) ([]T, error) {
	var all []T
	for {
		p, err := fetch[page[T, P]](ctx, c, r)
		if err != nil {
			return nil, err
		}
		all = append(all, p.items...)
		if p.nextLink == "" {
			return all, nil
		}
		r.nextURL = p.nextLink
	}
}

func (c *Client) request(ctx context.Context, r call) (*abs.RequestInformation, error) {
	params := map[string]string{} // a copy: the adapter adds "baseurl" to it
	maps.Copy(params, r.params)
	if r.nextURL != "" {
		params["request-raw-url"] = r.nextURL // kiota's key for "send to this URL as is"
	}
	ri := abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(r.method, "{+baseurl}"+r.path, params)
	if r.nextURL == "" {
		maps.Copy(ri.QueryParameters, r.query)
	}
	ri.Headers.TryAdd("Accept", "application/json")
	if c.userAgent != "" {
		ri.Headers.TryAdd("User-Agent", c.userAgent) // kiota's UserAgentHandler appends its own token after ours
	}
	if r.body != nil {
		if err := ri.SetContentFromParsable(ctx, c.adapter, "application/json", r.body); err != nil {
			return nil, fmt.Errorf("%s: encode request: %w", r.op, err)
		}
	}
	return ri, nil
}
