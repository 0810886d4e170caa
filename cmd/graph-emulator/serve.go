package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// detachedEnv marks the process `start` runs in the background: it closes its output once it is ready.
const detachedEnv = "GRAPH_EMULATOR_DETACHED"

type serveConfig struct {
	opts    emulator.Options
	port    int
	users   []emulator.User
	n       int
	envFile string
	state   string
}

// userFlag collects -user UPN[=Display Name].
type userFlag struct{ users *[]emulator.User }

func (f userFlag) String() string { return "" }

func (f userFlag) Set(v string) error {
	upn, name, _ := strings.Cut(v, "=")
	if !strings.Contains(upn, "@") {
		return fmt.Errorf("%q is not a user principal name (name@domain)", upn)
	}
	if name == "" {
		name, _, _ = strings.Cut(upn, "@")
	}
	*f.users = append(*f.users, emulator.User{UserPrincipalName: upn, DisplayName: name})
	return nil
}

func parseServeFlags(verb string, args []string) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("graph-emulator "+verb, flag.ContinueOnError)
	fs.StringVar(&c.opts.Addr, "addr", "127.0.0.1:0", "listen address; the control verbs, which need no credentials, answer loopback clients only")
	fs.IntVar(&c.port, "port", 0, "listen on 127.0.0.1:`PORT` (default: a free port)")
	fs.Var(userFlag{&c.users}, "user", "add a user, `UPN[=Display Name]`; repeatable")
	fs.IntVar(&c.n, "users", 0, "also add `N` users user1..N@contoso.example (with no user at all, 5 are added)")
	fs.StringVar(&c.opts.TenantID, "tenant-id", emulator.DefaultTenantID, "the tenant id the provider signs in to")
	fs.StringVar(&c.opts.ClientID, "client-id", emulator.DefaultClientID, "the application (client) id it signs in as")
	fs.StringVar(&c.opts.ClientSecret, "client-secret", emulator.DefaultClientSecret, "the client secret it signs in with")
	fs.StringVar(&c.opts.CAFile, "ca-file", "", "where to write the emulator's CA certificate (default: a temporary file)")
	fs.StringVar(&c.envFile, "env-file", "", "also write the environment lines to this file")
	fs.StringVar(&c.state, "state", "", "load the tenant (users, tokens with their seeds, permissions, policy) from this JSON file if it exists, and save it there on stop")
	fs.DurationVar(&c.opts.Latency, "latency", 0, "latency added to every Graph call")
	fs.IntVar(&c.opts.PageSize, "page-size", 100, "device list page size when the client sends no $top")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.port != 0 {
		c.opts.Addr = fmt.Sprintf("127.0.0.1:%d", c.port)
	}
	c.users = append(c.users, numberedUsers(c.n)...)
	return c, nil
}

// numberedUsers returns n users user1..n@contoso.example.
func numberedUsers(n int) []emulator.User {
	users := make([]emulator.User, n)
	for i := range users {
		users[i] = emulator.User{UserPrincipalName: fmt.Sprintf("user%d@contoso.example", i+1), DisplayName: fmt.Sprintf("User %d", i+1)}
	}
	return users
}

func serve(args []string) error {
	c, err := parseServeFlags("serve", args)
	if err != nil {
		return err
	}
	srv, err := emulator.Start(c.opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := loadState(srv, c.state); err != nil {
		return err
	}
	if len(c.users) == 0 && len(srv.Users()) == 0 {
		c.users = numberedUsers(5)
	}
	for _, u := range c.users {
		srv.AddUser(u)
	}
	bundle, err := writeTrustBundle(srv.CAFile())
	if err != nil {
		return err
	}
	defer os.Remove(bundle)
	env := envLines(srv, bundle)
	if c.envFile != "" {
		if err := os.WriteFile(c.envFile, []byte(env), 0o600); err != nil {
			return err
		}
	}
	fmt.Print(banner(srv), env)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	if os.Getenv(detachedEnv) != "" {
		signal.Ignore(syscall.SIGHUP) // outlive the terminal that started it
		// `start` reads until end of output.
		os.Stdout.Close()
		os.Stderr.Close()
	} else {
		fmt.Println("# Ctrl-C (or `graph-emulator stop` in the shell with these lines) stops it.")
	}
	select {
	case <-stop:
	case <-srv.Stopped():
	}
	return saveState(srv, c.state)
}

func banner(srv *emulator.Server) string {
	var upns []string
	for _, u := range srv.Users() {
		upns = append(upns, u.UserPrincipalName)
	}
	return fmt.Sprintf("# Graph emulator at %s: tenant %s, %d tokens, users %s.\n"+
		"# Paste these lines into the shell that runs terraform:\n",
		srv.URL(), srv.Options().TenantID, len(srv.Devices()), strings.Join(upns, ", "))
}

func envLines(srv *emulator.Server, bundle string) string {
	o := srv.Options()
	var b strings.Builder
	for _, kv := range [][2]string{
		// The emulator is outside every Microsoft cloud: the provider talks to it only with this opt-in.
		{"ENTRAOATH_ALLOW_CUSTOM_ENDPOINTS", "true"},
		{"ENTRAOATH_GRAPH_ENDPOINT", srv.URL()},
		{"ENTRAOATH_AUTHORITY_HOST", srv.URL() + "/"},
		{"ARM_TENANT_ID", o.TenantID},
		{"ARM_CLIENT_ID", o.ClientID},
		{"ARM_CLIENT_SECRET", o.ClientSecret},
		{"SSL_CERT_FILE", bundle},
		// For the other verbs and scripts.
		{"EMULATOR_URL", srv.URL()},
		{"EMULATOR_CA_FILE", srv.CAFile()},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return b.String()
}

// shellQuote single-quotes v for POSIX shells.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// systemRoots are where Linux and BSD distributions keep their CA bundle (the list Go itself reads).
var systemRoots = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// writeTrustBundle writes the emulator's CA followed by this machine's roots next to the CA file, for SSL_CERT_FILE:
// with it, terraform init, curl and git in the same shell still trust the real registries.
func writeTrustBundle(caFile string) (string, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return "", err
	}
	for _, f := range systemRoots {
		if roots, err := os.ReadFile(f); err == nil {
			pem = append(append(pem, '\n'), roots...)
			break
		}
	}
	bundle := strings.TrimSuffix(caFile, filepath.Ext(caFile)) + "-bundle.pem"
	return bundle, os.WriteFile(bundle, pem, 0o644)
}

// start runs serve in a background process and prints what it printed once it is ready.
func start(args []string) error {
	if _, err := parseServeFlags("start", args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), detachedEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	var printed strings.Builder
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		printed.WriteString(lines.Text() + "\n")
	}
	if !strings.Contains(printed.String(), "export EMULATOR_URL=") {
		_ = cmd.Wait()
		return fmt.Errorf("the emulator did not start:\n%s", printed.String())
	}
	fmt.Print(printed.String())
	fmt.Println("# `graph-emulator stop` stops it.")
	return cmd.Process.Release()
}

// state is what -state keeps between runs. Seeds are in it: the file is written for its owner only.
type state struct {
	Users       []emulator.User `json:"users"`
	Tokens      []savedDevice   `json:"tokens"`
	Permissions []string        `json:"permissions"`
	Policy      emulator.Policy `json:"policy"`
}

type savedDevice struct {
	emulator.Device
	SecretKey string `json:"secretKey"`
}

func loadState(srv *emulator.Server, path string) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, u := range st.Users {
		srv.AddUser(u)
	}
	for _, t := range st.Tokens {
		t.Device.SecretKey = t.SecretKey
		if _, err := srv.AddDevice(t.Device); err != nil {
			return fmt.Errorf("%s: token %s: %w", path, t.SerialNumber, err)
		}
	}
	if st.Permissions != nil {
		srv.SetAppPermissions(st.Permissions...)
	}
	if st.Policy.State != "" {
		srv.SetPolicy(st.Policy)
	}
	return nil
}

func saveState(srv *emulator.Server, path string) error {
	if path == "" {
		return nil
	}
	st := state{Users: srv.Users(), Permissions: srv.AppPermissions(), Policy: srv.Policy()}
	for _, d := range srv.Devices() {
		st.Tokens = append(st.Tokens, savedDevice{Device: d, SecretKey: d.SecretKey})
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// stop asks the emulator to stop and waits until it no longer answers.
func stop(args []string) error {
	c, err := newClient(args, 0)
	if err != nil {
		return err
	}
	if err := c.call("POST", "shutdown", nil, nil); err != nil {
		return err
	}
	for range 100 {
		if c.call("GET", "users", nil, nil) != nil { // no answer: stopped
			fmt.Println("stopped")
			return nil //nolint:nilerr // the failed call is the success
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the emulator is still answering 5 s after being asked to stop")
}
