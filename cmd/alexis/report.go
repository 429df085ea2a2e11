package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/sqlite"
)

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("report", "(--data-dir DIR | --config FILE) [--since 24h] [--json]",
		"Summarize the execution history: per rule, action and target, how many\nruns, the success rate, and the mean and 95th-percentile duration.", stdout)
	dataDir := fs.String("data-dir", "", "the server's data directory (holds alexis.db)")
	cfgPath := fs.String("config", "", "the server's configuration file (its data_dir is used)")
	since := fs.Duration("since", 24*time.Hour, "how far back to look")
	asJSON := fs.Bool("json", false, "print as JSON")
	pos, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 0 || (*dataDir == "") == (*cfgPath == "") {
		return usageError(stderr, "report", "want exactly one of --data-dir or --config, and no arguments")
	}
	path := filepath.Join(*dataDir, "alexis.db")
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitProblem
		}
		path = cfg.DBPath()
	}
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "alexis report: no history store: %v\n", err)
		return exitProblem
	}
	// Read-only: the server may be running and owns the store.
	db, err := sqlite.OpenReadOnly(path, sqlite.WithLogger(discardLogger()))
	if err != nil {
		fmt.Fprintf(stderr, "alexis report: %v\n", err)
		return exitProblem
	}
	defer db.Close()
	from := time.Now().Add(-*since)
	stats, err := db.Summary(ctx, from)
	if err != nil {
		fmt.Fprintf(stderr, "alexis report: %v\n", err)
		return exitProblem
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(stats)
		return exitOK
	}
	fmt.Fprintf(stdout, "executions since %s (%s)\n", from.UTC().Format(time.RFC3339), *since)
	if len(stats) == 0 {
		fmt.Fprintln(stdout, "none")
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tACTION\tTARGET\tRUNS\tOK\tFAILED\tOTHER\tSUCCESS\tMEAN\tP95\tLAST")
	for _, s := range stats {
		target := s.Target
		if target == "" {
			target = "-"
		}
		// No rate (only dry runs or skipped tasks): "-", as the JSON
		// leaves success_rate out.
		rate := "-"
		if s.SuccessRate != nil {
			rate = fmt.Sprintf("%.0f%%", 100**s.SuccessRate)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Rule, s.Action, target, s.Runs,
			s.Successes, s.Failures, s.Runs-s.Successes-s.Failures, rate, s.MeanDuration.Round(time.Millisecond),
			s.P95Duration.Round(time.Millisecond), s.Last.UTC().Format(time.RFC3339))
	}
	tw.Flush()
	return exitOK
}
