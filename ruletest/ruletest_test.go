package ruletest_test

import (
	"errors"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alexis-project/alexis/internal/golden"
	"github.com/alexis-project/alexis/internal/kindtest"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/ruletest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestRunDirPasses(t *testing.T) {
	res, err := ruletest.RunDir("testdata/suite", kindtest.Registry())
	if err != nil {
		t.Fatalf("RunDir:\n%v", err)
	}
	if !res.Passed() {
		t.Fatalf("cases failed:\n%s", res)
	}
	var names []string
	for _, c := range res.Cases {
		names = append(names, c.Name)
	}
	want := []string{
		"long GC on day restarts duplicator",
		"an alertmanager group acts on each instance, port removed",
		"one event of the group",
		"a hostile host name is refused, not run",
		"the dynatrace test notification is acknowledged, not acted on",
		"other opsgenie alerts match nothing",
		"a number in the details is compared as a number",
		"an expression that fails at run time does not match, and says why",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("cases (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"never"}, res.Untested); diff != "" {
		t.Errorf("Untested (-want +got):\n%s", diff)
	}
}

// TestRunDirFails checks that wrong expectations fail, each with a diff
// that says what the plan was instead.
func TestRunDirFails(t *testing.T) {
	res, err := ruletest.RunDir("testdata/failing", kindtest.Registry())
	if err != nil {
		t.Fatalf("RunDir:\n%v", err)
	}
	if res.Passed() || len(res.Failed()) != len(res.Cases)-1 {
		t.Errorf("want every case but one to fail:\n%s", res)
	}
	golden.Check(t, "testdata/failing.out", res.String(), *update)
}

// TestRunDirBadTestFile checks that mistakes in test files are reported
// all at once, with file, line and column.
func TestRunDirBadTestFile(t *testing.T) {
	res, err := ruletest.RunDir("testdata/badtests", kindtest.Registry())
	var errs rule.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, %v; want rule.Errors", res, err)
	}
	golden.Check(t, "testdata/badtests.err", err.Error()+"\n", *update)
}

// TestRunDirBadRules checks that invalid rules are reported as rule.Load
// reports them, before any test runs.
func TestRunDirBadRules(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/r.yaml", []byte("rules:\n  - name: x\n    when: bogus\n    tasks: [{action: call, url: 'http://127.0.0.1/'}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ruletest.RunDir(dir, kindtest.Registry())
	want := dir + `/r.yaml:3:11: rule "x": when: unknown name bogus`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
