// Command alexis runs the Alexis webhook server and checks, tests and plans
// remediation rules.
//
// Usage:
//
//	alexis serve   --config FILE         run the webhook server
//	alexis check   RULES_DIR             validate rule files
//	alexis test    RULES_DIR             run the declarative rule tests (*_test.yaml)
//	alexis plan    --rules DIR [--source S] [--json] PAYLOAD.json
//	alexis actions [--json]              list the available actions
//	alexis report  --data DIR [--since 24h] [--json]
//	alexis version
//
// Exit codes: 0 success; 1 the command ran and found a problem (invalid
// rules, failing tests, an unreachable store); 2 usage error (bad flags or
// arguments).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitProblem = 1
	exitUsage   = 2
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the webhook server", cmdServe},
		{"check", "validate rule files and print every problem", cmdCheck},
		{"test", "run the declarative rule tests (*_test.yaml)", cmdTest},
		{"plan", "show what would run for a payload, touching nothing", cmdPlan},
		{"actions", "list the available actions, their parameters and an example", cmdActions},
		{"report", "summarize the execution history", cmdReport},
		{"version", "print the version", cmdVersion},
	}
}

// run is main without the process: testable end to end.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "alexis: unknown command %q (see 'alexis --help')\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Alexis turns monitoring alerts into rehearsed, automatic remediation.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: alexis COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'alexis COMMAND --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 problem found (invalid rules, failing tests, ...), 2 usage error.")
}
