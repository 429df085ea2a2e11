package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
)

const (
	exampleRules = "../../examples/rules"
	gcPayload    = "../../examples/rules/testdata/opsgenie_create_duplicator_gc.json"
)

// runCmd runs the command line in-process and returns exit code, stdout, stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodesAndHelp(t *testing.T) {
	tests := []struct {
		args      []string
		code      int
		outHas    string
		stderrHas string
	}{
		{nil, exitUsage, "", "Commands:"},
		{[]string{"--help"}, exitOK, "Commands:", ""},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"check", "--help"}, exitOK, "Usage: alexis check RULES_DIR", ""},
		{[]string{"plan", "--help"}, exitOK, "-rules", ""},
		{[]string{"serve", "--help"}, exitOK, "-config", ""},
		{[]string{"report", "--help"}, exitOK, "-since", ""},
		{[]string{"check"}, exitUsage, "", "want exactly one RULES_DIR"},
		{[]string{"check", "--bogus", "x"}, exitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"plan", "--bogus"}, exitUsage, "", "(see 'alexis plan --help')"},
		{[]string{"plan", gcPayload}, exitUsage, "", "want --rules DIR"},
		{[]string{"serve"}, exitUsage, "", "want --config FILE"},
		{[]string{"report"}, exitUsage, "", "exactly one of --data-dir or --config"},
		{[]string{"version"}, exitOK, "alexis ", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errs := runCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			if !strings.Contains(out, tt.outHas) {
				t.Errorf("stdout lacks %q:\n%s", tt.outHas, out)
			}
			if !strings.Contains(errs, tt.stderrHas) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderrHas, errs)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	code, out, errs := runCmd(t, "check", exampleRules)
	if code != exitOK || !strings.Contains(out, "all valid") {
		t.Fatalf("check examples: code %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCmd(t, "check", "testdata/bad")
	if code != exitProblem {
		t.Fatalf("check bad: code %d, want %d\n%s%s", code, exitProblem, out, errs)
	}
	// Every problem is reported, each with file:line:column.
	for _, want := range []string{
		"testdata/bad/rules.yaml:3:5:", `"descripton"`,
		"testdata/bad/rules.yaml:4:", // the expression that does not compile
		"testdata/bad/rules.yaml:8:", "duplicate",
		"testdata/bad/rules.yaml:11:", "teleport",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("check output lacks %q:\n%s", want, errs)
		}
	}
}

func TestRuleTests(t *testing.T) {
	code, out, errs := runCmd(t, "test", exampleRules)
	if code != exitOK || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("test examples: code %d\n%s%s", code, out, errs)
	}

	// A failing expectation exits 1 and shows a diff.
	dir := t.TempDir()
	copyFile(t, filepath.Join(exampleRules, "duplicator.yaml"), filepath.Join(dir, "duplicator.yaml"))
	if err := os.Mkdir(filepath.Join(dir, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, gcPayload, filepath.Join(dir, "testdata", "gc.json"))
	writeFile(t, filepath.Join(dir, "wrong_test.yaml"), `tests:
  - name: expects the wrong host
    payload: testdata/gc.json
    source: opsgenie
    expect:
      rules: [duplicator-gc-day]
      targets: {duplicator-gc-day: [wrong-host.example.com]}
`)
	code, out, errs = runCmd(t, "test", dir)
	if code != exitProblem {
		t.Fatalf("failing test: code %d, want %d\n%s%s", code, exitProblem, out, errs)
	}
	for _, want := range []string{"FAIL", "expects the wrong host", "-", "wrong-host.example.com", "+", "wayvsymdup01.dev.example.com", "0 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPlan(t *testing.T) {
	code, out, errs := runCmd(t, "plan", "--rules", exampleRules, gcPayload)
	if code != exitOK {
		t.Fatalf("plan: code %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"rule duplicator-gc-day (dry-run)", "targets: wayvsymdup01.dev.example.com", "sudo systemctl restart duplicator"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}

	// JSON, with the flag after the argument, and the source detected.
	code, out, errs = runCmd(t, "plan", "--rules", exampleRules, gcPayload, "--json")
	if code != exitOK {
		t.Fatalf("plan --json: code %d\n%s%s", code, out, errs)
	}
	var plans []alexis.Plan
	if err := json.Unmarshal([]byte(out), &plans); err != nil {
		t.Fatalf("plan --json output: %v\n%s", err, out)
	}
	if len(plans) != 1 || len(plans[0].Matches) != 1 || plans[0].Matches[0].Rule != "duplicator-gc-day" {
		t.Fatalf("plan --json = %+v", plans)
	}
	if got := plans[0].Matches[0].Targets; len(got) != 1 || got[0] != "wayvsymdup01.dev.example.com" {
		t.Errorf("targets = %v", got)
	}

	// A payload that is not what the source says: a clear error, exit 1.
	bad := filepath.Join(t.TempDir(), "bad.json")
	writeFile(t, bad, `{"action": "Create", "alert": {"alertId": 42}}`)
	code, _, errs = runCmd(t, "plan", "--rules", exampleRules, "--source", "opsgenie", bad)
	if code != exitProblem || !strings.Contains(errs, "alertId") {
		t.Errorf("plan bad payload: code %d, stderr %q", code, errs)
	}
}

func TestActions(t *testing.T) {
	code, out, _ := runCmd(t, "actions")
	if code != exitOK {
		t.Fatalf("actions: code %d", code)
	}
	for _, want := range []string{"ssh:", "exec:", "http:", "command", "example:"} {
		if !strings.Contains(out, want) {
			t.Errorf("actions output lacks %q", want)
		}
	}
	code, out, _ = runCmd(t, "actions", "--json")
	var specs []alexis.ActionSpec
	if code != exitOK || json.Unmarshal([]byte(out), &specs) != nil || len(specs) != 3 {
		t.Fatalf("actions --json: code %d, %d specs\n%s", code, len(specs), out)
	}
}

func TestReportWithoutStore(t *testing.T) {
	code, _, errs := runCmd(t, "report", "--data-dir", t.TempDir())
	if code != exitProblem || !strings.Contains(errs, "no history store") {
		t.Errorf("report on empty dir: code %d, stderr %q", code, errs)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b))
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeRules writes the rule file name into dir/rules, and returns that
// directory.
func writeRules(t *testing.T, dir, name, content string) string {
	t.Helper()
	rules := filepath.Join(dir, "rules")
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(rules, name), content)
	return rules
}

// TestServeListenOverrideIsChecked: --listen is checked like the file's
// listen: without tokens, a non-loopback address is refused.
func TestServeListenOverrideIsChecked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel() // should the check not happen, the server would serve until then
	var out, errb bytes.Buffer
	code := run(ctx, []string{"serve", "--config", "../../examples/alexis.yaml", "--listen", "0.0.0.0:0", "--data-dir", t.TempDir()}, &out, &errb)
	if code != exitProblem || !strings.Contains(errb.String(), "not a loopback address") {
		t.Errorf("serve --listen 0.0.0.0:0 without tokens: code %d, stderr %q", code, errb.String())
	}
}

// Usage errors write nothing to stdout: scripts that read it see nothing.
func TestUsageErrorsOnStderrOnly(t *testing.T) {
	for _, args := range [][]string{nil, {"plan", "--bogus"}, {"check"}} {
		code, out, errs := runCmd(t, args...)
		if code != exitUsage || out != "" || errs == "" {
			t.Errorf("%v: code %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}
