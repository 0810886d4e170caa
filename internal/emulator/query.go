package emulator

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// deviceProps are the device's properties, as $select and $filter name them.
var deviceProps = []string{"id", "displayName", "serialNumber", "manufacturer", "model", "secretKey",
	"timeIntervalInSeconds", "hashFunction", "status", "assignedTo", "lastUsedDateTime"}

// filterable returns the value $filter compares for each supported property.
var filterable = map[string]func(Device) string{
	"serialNumber":          func(d Device) string { return d.SerialNumber },
	"status":                func(d Device) string { return d.Status },
	"manufacturer":          func(d Device) string { return d.Manufacturer },
	"model":                 func(d Device) string { return d.Model },
	"hashFunction":          func(d Device) string { return d.HashFunction },
	"timeIntervalInSeconds": func(d Device) string { return strconv.Itoa(d.TimeIntervalInSeconds) },
	"assignedTo/id":         func(d Device) string { return d.AssignedToID },
}

// clause matches one "property eq value" term and the "and" after it; values are 'quoted' (” escapes a
// quote) or bare numbers.
var clause = regexp.MustCompile(`^\s*([A-Za-z/]+)\s+eq\s+('(?:[^']|'')*'|-?[0-9]+)\s*(?:(?i:and)\s+|$)`)

// parseFilter turns an eq-only $filter into a predicate; OData compares strings case-sensitively.
func parseFilter(filter string) (func(Device) bool, error) {
	type term struct {
		get  func(Device) string
		want string
	}
	var terms []term
	for rest := filter; strings.TrimSpace(rest) != ""; {
		m := clause.FindStringSubmatch(rest)
		if m == nil {
			return nil, badRequest("Invalid filter clause: only 'property eq value' terms joined by 'and' are supported.")
		}
		get, ok := filterable[m[1]]
		if !ok {
			return nil, badRequest("Unsupported or invalid query filter clause specified for property '%s' of resource 'hardwareOathTokenAuthenticationMethodDevice'.", m[1])
		}
		want := m[2]
		if strings.HasPrefix(want, "'") {
			want = strings.ReplaceAll(want[1:len(want)-1], "''", "'")
		}
		terms = append(terms, term{get, want})
		rest = rest[len(m[0]):]
	}
	return func(d Device) bool {
		for _, t := range terms {
			if t.get(d) != t.want {
				return false
			}
		}
		return true
	}, nil
}

// parseSelect returns the selected properties, nil for all.
func parseSelect(sel string) (map[string]bool, error) {
	if sel == "" {
		return nil, nil
	}
	props := map[string]bool{}
	for _, p := range strings.Split(sel, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(deviceProps, p) {
			return nil, badRequest("Could not find a property named '%s' on type 'microsoft.graph.hardwareOathTokenAuthenticationMethodDevice'.", p)
		}
		props[p] = true
	}
	return props, nil
}

// maxTop is the largest $top directory collections accept; Graph refuses larger values instead of clamping them.
const maxTop = 999

// pageSize reads $top: the default page size when absent. Values outside 1..999 are refused as Graph refuses them;
// accepted values above MaxPageSize are served in pages of MaxPageSize (server-driven paging).
func (s *Server) pageSize(top string) (int, error) {
	if top == "" {
		return s.opts.PageSize, nil
	}
	n, err := strconv.Atoi(top)
	if err != nil || n < 1 || n > maxTop {
		return 0, newError(http.StatusBadRequest, "Request_BadRequest",
			"Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", top, maxTop)
	}
	return min(n, s.opts.MaxPageSize), nil
}

// The list is ordered by id and a $skiptoken names the last id served, so pages stay stable under concurrent
// creates and deletes.
func skipToken(lastID string) string { return base64.RawURLEncoding.EncodeToString([]byte(lastID)) }

func parseSkipToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", badRequest("Invalid $skiptoken.")
	}
	return string(b), nil
}

// nextLink repeats the request's query with a new $skiptoken, as Graph's nextLinks carry the original query.
func (s *Server) nextLink(u *url.URL, lastID string) string {
	q := u.Query()
	q.Set("$skiptoken", skipToken(lastID))
	return s.url + u.Path + "?" + q.Encode()
}
