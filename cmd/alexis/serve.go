package main

import (
	"context"
	"fmt"
	"io"

	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/server"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", "--config FILE [--listen ADDR] [--data-dir DIR] [--dry-run]",
		"Run the webhook server: accept alerts on /v1/opsgenie, /v1/dynatrace,\n/v1/alertmanager and /v1/events, store them durably, and run the matching\nrules. SIGHUP reloads the rules; SIGTERM or SIGINT shut down gracefully.\nThe flags override the configuration file.", stdout)
	cfgPath := fs.String("config", "", "configuration file (required)")
	listen := fs.String("listen", "", "listen address host:port (port 0 picks a free port)")
	dataDir := fs.String("data-dir", "", "data directory for the SQLite store")
	dryRun := fs.Bool("dry-run", false, "plan and record every task without touching any host")
	pos, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return code
	}
	if *cfgPath == "" || len(pos) != 0 {
		return usageError(stderr, "serve", "want --config FILE and no arguments")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *dryRun {
		cfg.DryRun = true
	}
	// The overrides are checked like the file: no tokens, loopback only.
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "alexis serve: %v\n", err)
		return exitProblem
	}
	if err := server.RunConfig(ctx, cfg, server.NewLogger(stderr, cfg.Log)); err != nil {
		fmt.Fprintf(stderr, "alexis serve: %v\n", err)
		return exitProblem
	}
	return exitOK
}
