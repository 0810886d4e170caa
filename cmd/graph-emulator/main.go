// Command graph-emulator runs the Graph and Entra emulator as a process, for the demo and the benchmarks.
//
//	graph-emulator -env-file emulator.env && . emulator.env
//
// It writes the provider's environment to -env-file (the emulator's endpoints, ENTRAOATH_ALLOW_CUSTOM_ENDPOINTS=true
// which the provider needs to use them, and the ARM_* sign-in), prints the server URL and runs until SIGINT or
// SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "graph-emulator:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	caFile := flag.String("ca-file", "", "where to write the CA certificate (PEM); default a temporary file")
	envFile := flag.String("env-file", "", "where to write the provider's environment as shell export lines")
	users := flag.Int("users", 5, "how many users to create (user1..N@contoso.example)")
	latency := flag.Duration("latency", 0, "latency added to every Graph call")
	pageSize := flag.Int("page-size", 100, "default device list page size")
	flag.Parse()

	srv, err := emulator.Start(emulator.Options{Addr: *addr, CAFile: *caFile, Latency: *latency, PageSize: *pageSize})
	if err != nil {
		return err
	}
	defer srv.Close()
	for i := 1; i <= *users; i++ {
		srv.AddUser(emulator.User{
			UserPrincipalName: fmt.Sprintf("user%d@contoso.example", i),
			DisplayName:       fmt.Sprintf("User %d", i),
		})
	}
	if *envFile != "" {
		if err := os.WriteFile(*envFile, []byte(envLines(srv)), 0o600); err != nil {
			return err
		}
	}
	fmt.Println(srv.URL())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	return nil
}

func envLines(srv *emulator.Server) string {
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
		{"EMULATOR_CA_FILE", srv.CAFile()},
		{"EMULATOR_URL", srv.URL()},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return b.String()
}

// shellQuote single-quotes v for POSIX shells.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
