package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
)

const policyType = "#microsoft.graph.hardwareOathAuthenticationMethodConfiguration"

// defaultPolicy is the configuration DELETE restores (CONTRACT.md, Policy).
func defaultPolicy() Policy {
	return Policy{
		State:          "disabled",
		IncludeTargets: []PolicyTarget{{ID: "all_users", TargetType: "group"}},
		ExcludeTargets: []PolicyTarget{},
	}
}

// Policy returns the hardwareOath authentication method configuration.
func (s *Server) Policy() Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clonePolicy(s.policy)
}

// SetPolicy replaces the configuration out of band.
func (s *Server) SetPolicy(p Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy = clonePolicy(p)
}

func clonePolicy(p Policy) Policy {
	p.IncludeTargets = slices.Clone(p.IncludeTargets)
	p.ExcludeTargets = slices.Clone(p.ExcludeTargets)
	return p
}

// targetJSON is an authenticationMethodTarget on the wire; exclude targets have no isRegistrationRequired.
type targetJSON struct {
	ID                     string `json:"id"`
	TargetType             string `json:"targetType"`
	IsRegistrationRequired *bool  `json:"isRegistrationRequired,omitempty"`
}

func targetsJSON(ts []PolicyTarget, include bool) []targetJSON {
	out := make([]targetJSON, len(ts))
	for i, t := range ts {
		out[i] = targetJSON{ID: t.ID, TargetType: t.TargetType}
		if include {
			out[i].IsRegistrationRequired = &t.IsRegistrationRequired
		}
	}
	return out
}

func (s *Server) getPolicy(c *call) {
	p := s.Policy()
	c.reply(http.StatusOK, map[string]any{
		"@odata.context": s.url + "/beta/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
		"@odata.type":    policyType,
		"id":             "HardwareOath",
		"state":          p.State,
		"includeTargets": targetsJSON(p.IncludeTargets, true),
		"excludeTargets": targetsJSON(p.ExcludeTargets, false),
	})
}

// updatePolicy changes the members sent. Clients PATCH back what they read (CIPP does), so id is tolerated.
func (s *Server) updatePolicy(c *call) {
	b, ok := c.body()
	if !ok {
		return
	}
	if err := b.check("id", "state", "includeTargets", "excludeTargets"); err != nil {
		c.fail(err)
		return
	}
	if t, _ := b.string("@odata.type"); t != policyType {
		c.fail(badRequest("The request body must have \"@odata.type\": \"%s\".", policyType))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := clonePolicy(s.policy)
	var err error
	if _, ok := b["state"]; ok {
		if p.State, err = b.string("state"); err == nil && p.State != "enabled" && p.State != "disabled" {
			err = invalidRequest("Property 'state' must be 'enabled' or 'disabled'.")
		}
	}
	if err == nil {
		err = parseTargets(b, "includeTargets", &p.IncludeTargets)
	}
	if err == nil {
		err = parseTargets(b, "excludeTargets", &p.ExcludeTargets)
	}
	if err != nil {
		c.fail(err)
		return
	}
	s.policy = p
	c.noContent()
}

func parseTargets(b body, prop string, dst *[]PolicyTarget) error {
	raw, ok := b[prop]
	if !ok {
		return nil
	}
	var ts []targetJSON
	if err := json.Unmarshal(raw, &ts); err != nil {
		return badRequest("Property '%s' must be an array of targets.", prop)
	}
	out := make([]PolicyTarget, len(ts))
	for i, t := range ts {
		if t.ID == "" || (t.TargetType != "group" && t.TargetType != "user") {
			return invalidRequest("Each of '%s' needs an id and a targetType of 'group' or 'user'.", prop)
		}
		out[i] = PolicyTarget{ID: t.ID, TargetType: t.TargetType, IsRegistrationRequired: t.IsRegistrationRequired != nil && *t.IsRegistrationRequired}
	}
	*dst = out
	return nil
}

func (s *Server) resetPolicy(c *call) {
	s.SetPolicy(defaultPolicy())
	c.noContent()
}
