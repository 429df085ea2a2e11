package ruletest

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/source"
)

// Result is the outcome of running rule tests.
type Result struct {
	// Cases are the test cases in the order of their files (sorted by
	// path) and, within a file, in file order.
	Cases []Case
	// Untested are the enabled rules that no case expects to match, in
	// rule-set order: rules whose condition nothing exercises.
	Untested []string
}

// Case is the outcome of one test case.
type Case struct {
	// File and Line locate the case (its list item) in its test file.
	File string
	Line int
	Name string
	// Passed is true when the plan was what the case expected.
	Passed bool
	// Diff shows how the plan differed from the expectation (-want +got),
	// when it did.
	Diff string
}

// Passed reports whether every case passed.
func (r *Result) Passed() bool { return len(r.Failed()) == 0 }

// Failed returns the cases that did not pass.
func (r *Result) Failed() []Case {
	var out []Case
	for _, c := range r.Cases {
		if !c.Passed {
			out = append(out, c)
		}
	}
	return out
}

// String reports each case on a line (PASS or FAIL, its place and name),
// the diff of each failed case indented below it, and a summary line.
func (r *Result) String() string {
	var b strings.Builder
	for _, c := range r.Cases {
		status := "PASS"
		if !c.Passed {
			status = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s:%d: %s\n", status, c.File, c.Line, c.Name)
		if c.Diff != "" {
			b.WriteString("    plan differs from expect (-want +got):\n")
			for _, l := range strings.Split(strings.TrimRight(c.Diff, "\n"), "\n") {
				b.WriteString("    " + l + "\n")
			}
		}
	}
	failed := len(r.Failed())
	fmt.Fprintf(&b, "%d passed, %d failed", len(r.Cases)-failed, failed)
	if len(r.Untested) > 0 {
		fmt.Fprintf(&b, "; rules no test expects to match: %s", strings.Join(r.Untested, ", "))
	}
	b.WriteString("\n")
	return b.String()
}

// RunDir loads the rules under dir with rule.LoadDir, finds the test files
// next to them (rule.ListDir: *_test.yaml, *_test.yml) and runs every case.
// The error holds every problem of the rules and of the test files at once
// (rule.Errors, file:line:col); failing cases are in the Result, not in the
// error.
func RunDir(dir string, reg *alexis.Registry) (*Result, error) {
	rs, err := rule.LoadDir(dir, reg)
	if err != nil {
		return nil, err
	}
	_, tests, err := rule.ListDir(dir)
	if err != nil {
		return nil, err
	}
	return Run(rs, tests...)
}

// Run runs the cases of the given test files against rs.
func Run(rs *alexis.RuleSet, files ...string) (*Result, error) {
	warn := &warnings{}
	eng, err := alexis.New(rs, alexis.WithDryRun(true), alexis.WithLogger(slog.New(warn)))
	if err != nil {
		return nil, err
	}
	var errs errorList
	var cases []*testCase
	for _, f := range files {
		cases = append(cases, parseFile(f, rs, &errs)...)
	}
	if len(errs) > 0 {
		return nil, errs.sorted(files)
	}
	res := &Result{}
	expected := map[string]bool{}
	for _, tc := range cases {
		res.Cases = append(res.Cases, tc.run(eng, warn))
		for _, name := range tc.expect.rules {
			expected[name] = true
		}
	}
	for _, r := range rs.Rules {
		if r.Enabled && !expected[r.Name] {
			res.Untested = append(res.Untested, r.Name)
		}
	}
	return res, nil
}

// outcome is what a case compares: the expectation, or the same facts
// read from the plan.
type outcome struct {
	Ignored  bool
	Rules    []string
	Targets  map[string][]string
	Commands map[string][]string
	Errors   map[string][]string
}

var outcomeCmp = cmpopts.EquateEmpty()

func (tc *testCase) run(eng *alexis.Engine, warn *warnings) Case {
	c := Case{File: tc.file, Line: tc.line, Name: tc.name}
	want := outcome{
		Ignored:  tc.expect.ignored,
		Rules:    tc.expect.rules,
		Targets:  tc.expect.targets,
		Commands: tc.expect.commands,
		Errors:   tc.expect.errors,
	}
	// Every rule the expectation names has an entry, so that "[]" and a
	// rule that produced nothing compare equal.
	got := outcome{Targets: keys(want.Targets), Commands: keys(want.Commands), Errors: keys(want.Errors)}
	seen := map[string]bool{}
	for _, ev := range tc.events {
		if ev.Ignore != "" {
			got.Ignored = true
		}
		warn.take()
		plan := eng.Plan(ev)
		for rule, msgs := range warn.take() {
			got.Errors[rule] = append(got.Errors[rule], msgs...)
		}
		for _, m := range plan.Matches {
			if !seen[m.Rule] {
				seen[m.Rule] = true
				got.Rules = append(got.Rules, m.Rule)
			}
			if _, ok := tc.expect.targets[m.Rule]; ok {
				got.Targets[m.Rule] = append(got.Targets[m.Rule], m.Targets...)
			}
			if m.Error != "" {
				got.Errors[m.Rule] = append(got.Errors[m.Rule], m.Error)
			}
			for _, t := range m.Tasks {
				if t.Error != "" {
					got.Errors[m.Rule] = append(got.Errors[m.Rule], t.Error)
					continue
				}
				if _, ok := tc.expect.commands[m.Rule]; ok {
					got.Commands[m.Rule] = append(got.Commands[m.Rule], t.Command)
				}
			}
		}
	}
	// cmp.Diff randomly writes some spaces as U+00A0 so that nobody
	// relies on its exact text; plain spaces read (and copy) better.
	c.Diff = strings.ReplaceAll(cmp.Diff(want, got, outcomeCmp), "\u00a0", " ")
	c.Passed = c.Diff == ""
	return c
}

func keys(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k := range m {
		out[k] = nil
	}
	return out
}

// loadEvents reads a case's payload into events.
func loadEvents(body []byte, src alexis.Source) ([]*alexis.Event, error) {
	if src == "" {
		src = source.Detect(body)
	}
	return source.Parse(src, body)
}

// readPayload reads a payload file named relative to the test file.
func readPayload(testFile, name string) ([]byte, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(testFile), filepath.FromSlash(name))
	}
	return readLimited(p)
}

// maxFile bounds the size of a test file or a payload.
const maxFile = 16 << 20

func readLimited(p string) ([]byte, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFile {
		return nil, fmt.Errorf("%s is %d bytes; at most %d are read", p, st.Size(), maxFile)
	}
	return os.ReadFile(p)
}
