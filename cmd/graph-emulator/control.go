package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// client calls the running emulator's control surface (/_emulator), found through the environment lines.
type client struct {
	url  string
	http *http.Client
}

// newClient checks that args has exactly n arguments (-1: at least one) and connects to the emulator.
func newClient(args []string, n int) (*client, error) {
	if n >= 0 && len(args) != n || n < 0 && len(args) == 0 {
		return nil, errors.New("wrong number of arguments; see `graph-emulator help`")
	}
	url, caFile := os.Getenv("EMULATOR_URL"), os.Getenv("EMULATOR_CA_FILE")
	if url == "" || caFile == "" {
		return nil, errors.New("EMULATOR_URL and EMULATOR_CA_FILE are not set: paste the lines `graph-emulator start` printed")
	}
	hc, err := emulator.ControlClient(caFile)
	if err != nil {
		return nil, err
	}
	return &client{url: url, http: hc}, nil
}

// call sends body (JSON, or raw bytes) to /_emulator/path and decodes the answer into out when out is not nil.
func (c *client) call(method, path string, body, out any) error {
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, contentType = bytes.NewReader(b), "text/csv"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.url+"/_emulator/"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return errors.New(strings.TrimPrefix(e.Error, "emulator: "))
		}
		return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func (c *client) users() (map[string]string, error) {
	var users []emulator.User
	if err := c.call("GET", "users", nil, &users); err != nil {
		return nil, err
	}
	upn := map[string]string{}
	for _, u := range users {
		upn[u.ID] = u.UserPrincipalName
	}
	return upn, nil
}

// printTokens prints one line per token: serial number, status, holder's UPN ("-" for none).
func (c *client) printTokens(devs []emulator.Device) error {
	upn, err := c.users()
	if err != nil {
		return err
	}
	for _, d := range devs {
		holder := "-"
		if d.AssignedToID != "" {
			holder = upn[d.AssignedToID]
		}
		fmt.Printf("%-16s %-16s %s\n", d.SerialNumber, d.Status, holder)
	}
	return nil
}

func listUsers(args []string) error {
	c, err := newClient(args, 0)
	if err != nil {
		return err
	}
	var users []emulator.User
	if err := c.call("GET", "users", nil, &users); err != nil {
		return err
	}
	for _, u := range users {
		fmt.Printf("%-32s %-24s %s\n", u.UserPrincipalName, u.DisplayName, u.ID)
	}
	return nil
}

func addUser(args []string) error {
	c, err := newClient(args, -1)
	if err != nil {
		return err
	}
	u := emulator.User{UserPrincipalName: args[0], DisplayName: strings.Join(args[1:], " ")}
	if u.DisplayName == "" {
		u.DisplayName, _, _ = strings.Cut(u.UserPrincipalName, "@")
	}
	return c.call("POST", "users", []emulator.User{u}, nil)
}

func deleteUser(args []string) error {
	c, err := newClient(args, 1)
	if err != nil {
		return err
	}
	return c.call("DELETE", "users/"+args[0], nil, nil)
}

func listTokens(args []string) error {
	c, err := newClient(args, 0)
	if err != nil {
		return err
	}
	var devs []emulator.Device
	if err := c.call("GET", "devices", nil, &devs); err != nil {
		return err
	}
	return c.printTokens(devs)
}

func upload(args []string) error {
	fs := flag.NewFlagSet("graph-emulator upload", flag.ContinueOnError)
	activate := fs.Bool("activate", false, "activate the assigned tokens too, as the admin's Activate button does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := newClient(fs.Args(), 1)
	if err != nil {
		return err
	}
	csv, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	path := "upload"
	if *activate {
		path += "?activate=true"
	}
	var devs []emulator.Device
	if err := c.call("POST", path, csv, &devs); err != nil {
		return err
	}
	return c.printTokens(devs)
}

// deviceAction runs one of the portal's actions on the token with a serial number (or object id).
func deviceAction(action string) func([]string) error {
	return func(args []string) error {
		n := 1
		var body any
		if action == "assign" {
			n = 2
		}
		c, err := newClient(args, n)
		if err != nil {
			return err
		}
		if action == "assign" {
			body = map[string]string{"user": args[1]}
		}
		var d emulator.Device
		if err := c.call("POST", "devices/"+args[0]+"/"+action, body, &d); err != nil {
			return err
		}
		if action == "delete" {
			fmt.Printf("%s deleted\n", args[0])
			return nil
		}
		return c.printTokens([]emulator.Device{d})
	}
}

func listPermissions(args []string) error {
	c, err := newClient(args, 0)
	if err != nil {
		return err
	}
	var perms []string
	if err := c.call("GET", "permissions", nil, &perms); err != nil {
		return err
	}
	fmt.Println(strings.Join(perms, "\n"))
	return nil
}

// changePermissions grants or revokes application permissions; they apply to sign-ins from then on, that is to
// the next terraform command.
func changePermissions(grant bool) func([]string) error {
	return func(args []string) error {
		c, err := newClient(args, -1)
		if err != nil {
			return err
		}
		var perms []string
		if err := c.call("GET", "permissions", nil, &perms); err != nil {
			return err
		}
		for _, p := range args {
			has := slices.Contains(perms, p)
			switch {
			case grant && !has:
				perms = append(perms, p)
			case !grant && !has:
				return fmt.Errorf("%s is not granted; `graph-emulator permissions` lists those that are", p)
			case !grant:
				perms = slices.DeleteFunc(perms, func(q string) bool { return q == p })
			}
		}
		if perms == nil {
			perms = []string{}
		}
		if err := c.call("PUT", "permissions", perms, nil); err != nil {
			return err
		}
		return listPermissions(nil)
	}
}

func setFaults(args []string) error {
	fs := flag.NewFlagSet("graph-emulator faults", flag.ContinueOnError)
	var f emulator.FaultSwitches
	fs.Float64Var(&f.ThrottleRate, "throttle", 0, "share of Graph calls answered 429 TooManyRequests, 0..1")
	fs.Float64Var(&f.UnavailableRate, "unavailable", 0, "share answered 503 serviceNotAvailable")
	fs.Float64Var(&f.LostWriteRate, "lost-writes", 0, "share of writes performed, then answered 504 (the response lost)")
	fs.Float64Var(&f.FailedWriteRate, "failed-writes", 0, "share of writes answered 500 without being performed")
	fs.Float64Var(&f.AppliedThen503, "applied-then-503", 0, "share of writes performed, then answered 503")
	fs.Float64Var(&f.AppliedThenReset, "applied-then-reset", 0, "share of writes performed, then the connection reset")
	retryAfter := fs.Duration("retry-after", time.Second, "the Retry-After sent with 429 and 503")
	lag := fs.Duration("read-lag", 0, "how long reads keep showing the state before a write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := newClient(fs.Args(), 0)
	if err != nil {
		return err
	}
	f.RetryAfterMS = float64(*retryAfter) / float64(time.Millisecond)
	f.VisibilityDelayMS = float64(*lag) / float64(time.Millisecond)
	return c.call("PUT", "faults", f, nil)
}

func setLatency(args []string) error {
	c, err := newClient(args, 1)
	if err != nil {
		return err
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		return err
	}
	return c.call("PUT", "latency", map[string]float64{"ms": float64(d) / float64(time.Millisecond)}, nil)
}

func requests(args []string) error {
	c, err := newClient(args, 0)
	if err != nil {
		return err
	}
	var out struct {
		Requests map[string]int `json:"requests"`
		Faults   map[string]int `json:"faults"`
	}
	if err := c.call("GET", "requests", nil, &out); err != nil {
		return err
	}
	for _, group := range []struct {
		prefix string
		counts map[string]int
	}{{"", out.Requests}, {"injected fault ", out.Faults}} {
		keys := make([]string, 0, len(group.counts))
		for k := range group.counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("%6d  %s%s\n", group.counts[k], group.prefix, k)
		}
	}
	return nil
}

func reset(args []string) error {
	c, err := newClient(args, 0)
	if err != nil {
		return err
	}
	return c.call("POST", "reset", nil, nil)
}
