package rule_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/rule"
)

// withProcs runs f with GOMAXPROCS set to n.
func withProcs(n int, f func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

// TestLoadParallelSameErrors loads every bad and good test file at once
// (each twice, so that names clash across files) on one and on four
// threads: the problems must be the same, in the same order.
func TestLoadParallelSameErrors(t *testing.T) {
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	good, _ := filepath.Glob("testdata/good/*.yaml")
	files := append(append(append([]string{}, bad...), good...), bad...)
	files = append(files, "testdata/no-such-file.yaml")
	if len(bad) < 5 || len(good) < 2 {
		t.Fatalf("found %d bad and %d good files", len(bad), len(good))
	}
	load := func(n int) string {
		var msg string
		withProcs(n, func() {
			_, err := rule.LoadFiles(testRegistry(), files...)
			if err == nil {
				t.Fatal("no errors")
			}
			msg = err.Error()
		})
		return msg
	}
	seq, par := load(1), load(4)
	if diff := cmp.Diff(seq, par); diff != "" {
		t.Errorf("errors differ between 1 and 4 threads (-1 +4):\n%s", diff)
	}
	// Each bad file's own problems appear, in file order.
	for _, f := range bad {
		want, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".err")
		if err != nil {
			t.Fatal(err)
		}
		first := strings.SplitN(string(want), "\n", 2)[0]
		if !strings.Contains(seq, first) {
			t.Errorf("errors lack %q", first)
		}
	}
}

// TestLoadParallelSameRules loads a generated directory with the real
// action types on one and on four threads: the same rules, in the same
// order, with the same hash.
func TestLoadParallelSameRules(t *testing.T) {
	dir := t.TempDir()
	writeLoadDir(t, dir, 12, 20)
	load := func(n int) *alexis.RuleSet {
		var rs *alexis.RuleSet
		withProcs(n, func() {
			var err error
			rs, err = rule.LoadDir(dir, builtin.Registry(builtin.Config{}))
			if err != nil {
				t.Fatal(err)
			}
		})
		return rs
	}
	seq, par := load(1), load(4)
	if len(seq.Rules) != 240 {
		t.Fatalf("loaded %d rules, want 240", len(seq.Rules))
	}
	if diff := cmp.Diff(describe(seq), describe(par)); diff != "" {
		t.Errorf("rules differ between 1 and 4 threads (-1 +4):\n%s", diff)
	}
	if seq.Hash != par.Hash || !cmp.Equal(seq.Files, par.Files) {
		t.Errorf("hash or files differ: %s %v, %s %v", seq.Hash, seq.Files, par.Hash, par.Files)
	}
}

// TestSharedActions checks that tasks written alike share one Action when
// their action type is pure (ssh), and that an action type that does not
// say so gets a New call of its own for every task.
func TestSharedActions(t *testing.T) {
	const src = `rules:
  - name: a
    targets: [web-01]
    tasks:
      - {action: ssh, command: "systemctl restart x"}
      - {action: ssh, command: "systemctl restart y"}
  - name: b
    targets: [web-02]
    tasks:
      - {action: ssh, command: "systemctl restart x"}
`
	rs, err := rule.Parse("shared.yaml", []byte(src), builtin.Registry(builtin.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	a, b := rs.Rules[0].Tasks, rs.Rules[1].Tasks
	if a[0].Run != b[0].Run {
		t.Error("equal ssh tasks of two rules do not share their Action")
	}
	if a[0].Run == a[1].Run {
		t.Error("different ssh tasks share an Action")
	}
	rs, err = rule.Parse("shared.yaml", []byte(src), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if rs.Rules[0].Tasks[0].Run == rs.Rules[1].Tasks[0].Run {
		t.Error("an action type that is not pure had one Action shared by two tasks")
	}
}

// panicKind is an action type whose New panics.
type panicKind struct{}

func (panicKind) Spec() alexis.ActionSpec { return alexis.ActionSpec{Name: "boom"} }
func (panicKind) New(alexis.Params) (alexis.Action, error) {
	panic("boom")
}

// TestLoadParallelPanic checks that a panic in an action type, raised on a
// loading goroutine, reaches the caller of LoadDir as it would without
// parallel loading, instead of ending the program.
func TestLoadParallelPanic(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.yaml", "b.yaml", "c.yaml"} {
		src := "rules:\n  - name: " + strings.TrimSuffix(name, ".yaml") + "\n    tasks: [{action: boom}]\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	withProcs(4, func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want boom", p)
			}
		}()
		rule.LoadDir(dir, alexis.NewRegistry(panicKind{}))
		t.Error("LoadDir returned")
	})
}
