package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/ruletest"
	"github.com/alexis-project/alexis/source"
)

// offlineRegistry is the registry used by the commands that never run an
// action (check, test, plan, actions): the built-in actions with default,
// credential-free configuration.
func offlineRegistry() *alexis.Registry { return builtin.Registry(builtin.Config{}) }

func cmdCheck(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "RULES_DIR", "Validate every rule file under RULES_DIR and print every problem as\nfile:line:column: what is wrong. Exits 1 if there is any.", stdout)
	pos, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, "check", "want exactly one RULES_DIR")
	}
	rs, err := rule.LoadDir(pos[0], offlineRegistry())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	fmt.Fprintf(stdout, "%s: %d rules in %d files, all valid (set %s)\n", pos[0], len(rs.Rules), len(rs.Files), short(rs.Hash))
	return exitOK
}

func cmdTest(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("test", "RULES_DIR", "Run the declarative rule tests (*_test.yaml files) under RULES_DIR against\nthe rules there. Prints each case, a diff for each failure, and exits 1 if\nany case fails.", stdout)
	verbose := fs.Bool("v", false, "print passing cases too")
	pos, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, "test", "want exactly one RULES_DIR")
	}
	res, err := ruletest.RunDir(pos[0], offlineRegistry())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	return printTestResult(res, *verbose, stdout)
}

func cmdPlan(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plan", "--rules DIR [--source S] [--json] PAYLOAD.json",
		"Show what Alexis would do for a payload: the matching rules, their targets and\nthe rendered commands. Nothing runs. The source is detected from the payload\nunless --source is given (opsgenie, dynatrace, alertmanager, generic).\nPAYLOAD.json may be - for standard input.", stdout)
	rules := fs.String("rules", "", "rules directory (required)")
	src := fs.String("source", "", "payload source; detected when empty")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	pos, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return code
	}
	if *rules == "" || len(pos) != 1 {
		return usageError(stderr, "plan", "want --rules DIR and exactly one PAYLOAD.json")
	}
	body, err := readInput(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "alexis plan: %v\n", err)
		return exitProblem
	}
	s := alexis.Source(*src)
	if s == "" {
		s = source.Detect(body)
	}
	rs, err := rule.LoadDir(*rules, offlineRegistry())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	evs, err := source.Parse(s, body)
	if err != nil {
		fmt.Fprintf(stderr, "alexis plan: %s payload %s: %v\n", s, pos[0], err)
		return exitProblem
	}
	eng, err := alexis.New(rs, alexis.WithDryRun(true), alexis.WithLogger(discardLogger()))
	if err != nil {
		fmt.Fprintf(stderr, "alexis plan: %v\n", err)
		return exitProblem
	}
	plans := make([]alexis.Plan, 0, len(evs))
	for _, ev := range evs {
		plans = append(plans, eng.Plan(ev))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(plans); err != nil {
			fmt.Fprintf(stderr, "alexis plan: %v\n", err)
			return exitProblem
		}
		return exitOK
	}
	for _, p := range plans {
		printPlan(stdout, p)
	}
	return exitOK
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

func printPlan(w io.Writer, p alexis.Plan) {
	fmt.Fprintf(w, "event %s\n", p.Event)
	if p.Ignored != "" {
		fmt.Fprintf(w, "  ignored: %s\n", p.Ignored)
		return
	}
	if len(p.Matches) == 0 {
		fmt.Fprintln(w, "  no rule matched: the alert goes to the investigation queue")
		return
	}
	for _, m := range p.Matches {
		mode := ""
		if m.DryRun {
			mode = " (dry-run)"
		}
		fmt.Fprintf(w, "  rule %s%s\n", m.Rule, mode)
		if m.Error != "" {
			fmt.Fprintf(w, "    targets: error: %s\n", m.Error)
		} else if len(m.Targets) > 0 {
			fmt.Fprintf(w, "    targets: %s\n", strings.Join(m.Targets, ", "))
		}
		for _, t := range m.Tasks {
			where := t.Target
			if where == "" {
				where = "local"
			}
			label := t.Action
			if t.Reason != "" {
				label += " " + t.Reason
			}
			if t.Error != "" {
				fmt.Fprintf(w, "    [%s] %s: error: %s\n", where, label, t.Error)
				continue
			}
			fmt.Fprintf(w, "    [%s] %s: %s\n", where, label, t.Command)
		}
	}
}

func cmdActions(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("actions", "[--json]", "List the action types rules can use, their parameters and an example each.", stdout)
	asJSON := fs.Bool("json", false, "print as JSON")
	pos, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return usageError(stderr, "actions", "takes no arguments")
	}
	specs := offlineRegistry().Specs()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(specs)
		return exitOK
	}
	for i, s := range specs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%s: %s\n", s.Name, s.Summary)
		for _, p := range s.Params {
			req := ""
			if p.Required {
				req = ", required"
			}
			def := ""
			if p.Default != "" {
				def = " (default " + p.Default + ")"
			}
			fmt.Fprintf(stdout, "  %-16s %s%s  %s%s\n", p.Name, p.Type, req, p.Doc, def)
		}
		if s.Example != "" {
			fmt.Fprintln(stdout, "  example:")
			for _, l := range strings.Split(strings.TrimRight(s.Example, "\n"), "\n") {
				fmt.Fprintf(stdout, "    %s\n", l)
			}
		}
	}
	return exitOK
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
