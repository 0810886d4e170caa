// Command graph-emulator runs a local, offline Microsoft Graph and Entra ID tenant for the provider: the emulator the
// provider's tests run on (internal/emulator), as a process you can point Terraform at to try a configuration before
// touching a real tenant. See the guide "Try your configuration offline" (docs/guides/offline.md).
//
//	graph-emulator start -user alice@contoso.example -user bob@contoso.example   # prints the lines to paste
//	graph-emulator upload tokens.csv                                             # as an admin in the portal
//	graph-emulator deactivate 60212302                                           # drift for terraform plan
//	graph-emulator stop
//
// `serve` runs it in the foreground instead of `start`; every other verb talks to the running emulator through
// EMULATOR_URL and EMULATOR_CA_FILE, two of the lines it prints. `graph-emulator help` lists the verbs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// verb is one subcommand: what it does, how it is called, and the function that runs it with its arguments.
type verb struct {
	name, args, help string
	run              func(args []string) error
}

func verbs() []verb {
	return []verb{
		{"serve", "[flags]", "run the emulator in the foreground until Ctrl-C or `stop`; prints the environment lines", serve},
		{"start", "[flags]", "run the emulator in the background, print the environment lines and return", start},
		{"stop", "", "stop the emulator (saving -state if it was started with it)", stop},
		{"users", "", "list the users", listUsers},
		{"add-user", "UPN [DISPLAY NAME]", "add a user", addUser},
		{"delete-user", "UPN", "delete a user; the user's tokens go back to the inventory", deleteUser},
		{"tokens", "", "list the tokens: serial number, status, holder", listTokens},
		{"upload", "[-activate] FILE.csv", "upload tokens in the portal's CSV format (upn,serial number,secret key,time interval,manufacturer,model); rows with a UPN are assigned, and activated with -activate", upload},
		{"assign", "SERIAL UPN", "assign a token to a user (a reassignment if it has a holder)", deviceAction("assign")},
		{"unassign", "SERIAL", "unassign a token: back to the inventory, available", deviceAction("unassign")},
		{"activate", "SERIAL", "activate an assigned token, as if its user had entered a code", deviceAction("activate")},
		{"deactivate", "SERIAL", "deactivate a token; it stays assigned", deviceAction("deactivate")},
		{"delete", "SERIAL", "delete a token, even an assigned one", deviceAction("delete")},
		{"permissions", "", "list the application permissions the provider's sign-in gets", listPermissions},
		{"revoke", "PERMISSION...", "remove application permissions (Graph then answers 403)", changePermissions(false)},
		{"grant", "PERMISSION...", "grant application permissions", changePermissions(true)},
		{"faults", "[flags]", "set the fault injection (throttling, 503, lost responses...); no flags switches it off", setFaults},
		{"latency", "DURATION", "add latency to every Graph call, e.g. 100ms", setLatency},
		{"requests", "", "count the Graph calls made since the last reset, by route, and the injected faults", requests},
		{"reset", "", "delete every token, restore the policy and permissions, switch faults off (users stay)", reset},
	}
}

func main() {
	if err := run(os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "graph-emulator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	// Bare flags mean serve, as before there were verbs.
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "-help" && args[0] != "--help" {
		return serve(args)
	}
	for _, v := range verbs() {
		if v.name == args[0] {
			return v.run(args[1:])
		}
	}
	usage(os.Stdout)
	if args[0] == "help" || strings.TrimLeft(args[0], "-") == "help" || args[0] == "-h" {
		return nil
	}
	return fmt.Errorf("unknown verb %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: graph-emulator VERB [ARGS]; `graph-emulator VERB -h` for a verb's flags.")
	for _, v := range verbs() {
		fmt.Fprintf(w, "  %-12s %-22s %s\n", v.name, v.args, v.help)
	}
}
