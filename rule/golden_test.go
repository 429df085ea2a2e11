package rule_test

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/golden"
	"github.com/alexis-project/alexis/rule"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenBad loads each file of testdata/bad and compares the error
// text, exactly, with the file's .err golden file.
func TestGoldenBad(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rs, err := rule.LoadFiles(testRegistry(), f)
			if err == nil {
				t.Fatalf("loaded %d rules, want errors", len(rs.Rules))
			}
			if code := alexis.ErrorCode(err); code != alexis.EINVALID {
				t.Errorf("ErrorCode = %q, want %q", code, alexis.EINVALID)
			}
			golden.Check(t, strings.TrimSuffix(f, ".yaml")+".err", err.Error()+"\n", *update)
		})
	}
}

// TestGoldenGood loads each file of testdata/good and compares a JSON
// description of the compiled rules with the file's .golden file.
func TestGoldenGood(t *testing.T) {
	yamls, _ := filepath.Glob("testdata/good/*.yaml")
	jsons, _ := filepath.Glob("testdata/good/*.json")
	files := append(yamls, jsons...)
	if len(yamls) == 0 || len(jsons) == 0 {
		t.Fatal("testdata/good needs YAML and JSON files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rs, err := rule.LoadFiles(testRegistry(), f)
			if err != nil {
				t.Fatalf("unexpected errors:\n%v", err)
			}
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(describe(rs)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, strings.TrimSuffix(f, filepath.Ext(f))+".golden", b.String(), *update)
		})
	}
}

// ruleView is a compiled rule without its function values, for golden
// files and comparisons.
type ruleView struct {
	Name          string              `json:"name"`
	Description   string              `json:"description,omitempty"`
	Version       string              `json:"version,omitempty"`
	Enabled       bool                `json:"enabled"`
	Line          int                 `json:"line"`
	Sources       []alexis.Source     `json:"sources,omitempty"`
	When          string              `json:"when,omitempty"`
	Targets       string              `json:"targets,omitempty"`
	Tasks         []taskView          `json:"tasks"`
	OnSuccess     alexis.Reaction     `json:"on_success"`
	OnFailure     alexis.Reaction     `json:"on_failure"`
	EscalateAfter string              `json:"escalate_after,omitempty"`
	Limits        limitsView          `json:"limits"`
	DryRun        bool                `json:"dry_run,omitempty"`
	Requires      alexis.Requirements `json:"requires"`
}

type limitsView struct {
	PerTarget   int    `json:"per_target,omitempty"`
	Window      string `json:"window,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
}

type taskView struct {
	Action            string        `json:"action"`
	Reason            string        `json:"reason,omitempty"`
	Params            alexis.Params `json:"params"`
	Timeout           string        `json:"timeout,omitempty"`
	DelayAfter        string        `json:"delay_after,omitempty"`
	ContinueOnFailure bool          `json:"continue_on_failure,omitempty"`
}

func describe(rs *alexis.RuleSet) []ruleView {
	out := make([]ruleView, 0, len(rs.Rules))
	for _, r := range rs.Rules {
		v := ruleView{
			Name: r.Name, Description: r.Description, Version: r.Version, Enabled: r.Enabled,
			Line: r.Line, Sources: r.Sources, When: r.WhenText, Targets: selectorText(r.Targets),
			OnSuccess: r.OnSuccess, OnFailure: r.OnFailure, EscalateAfter: dur(r.EscalateAfter),
			Limits: limitsView{r.Limits.PerTarget, dur(r.Limits.Window), r.Limits.Concurrency}, DryRun: r.DryRun, Requires: r.Requires,
		}
		for _, t := range r.Tasks {
			v.Tasks = append(v.Tasks, taskView{Action: t.Action, Reason: t.Reason, Params: t.Params,
				Timeout: dur(t.Timeout), DelayAfter: dur(t.DelayAfter), ContinueOnFailure: t.ContinueOnFailure})
		}
		out = append(out, v)
	}
	return out
}

// selectorText shows a target selector: the explicit list, or the
// expression it was compiled from.
func selectorText(s alexis.TargetSelector) string {
	switch s := s.(type) {
	case nil:
		return ""
	case alexis.StaticTargets:
		return "list: " + strings.Join(s, ", ")
	case interface{ String() string }:
		return "expr: " + s.String()
	}
	return "?"
}

func dur(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}
