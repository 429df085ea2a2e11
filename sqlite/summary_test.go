package sqlite_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

// The success rate is over the runs that really ran; a target that only
// had dry runs or skipped tasks has none (absent from the JSON), which is
// not the 0 of a target whose every run failed.
func TestSummarySuccessRate(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	base := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	statuses := map[string][]alexis.Status{
		"half":     {alexis.StatusSuccess, alexis.StatusFailure, alexis.StatusDryRun},
		"failing":  {alexis.StatusFailure, alexis.StatusFailure},
		"dry-only": {alexis.StatusDryRun, alexis.StatusDryRun},
		"skipped":  {alexis.StatusSkipped},
	}
	var runs []alexis.TaskRun
	for target, sts := range statuses {
		for i, st := range sts {
			runs = append(runs, alexis.TaskRun{Rule: "gc", Target: target, Action: "ssh", Reason: "restart",
				Result: alexis.Result{Status: st, Started: base.Add(time.Duration(i) * time.Minute)}})
		}
	}
	if _, err := db.Enqueue(ctx, []*alexis.Event{event("a", "Create")}); err != nil {
		t.Fatal(err)
	}
	qs, err := db.Claim(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Finish(ctx, qs[0].ID, runs, ""); err != nil {
		t.Fatal(err)
	}
	stats, err := db.Summary(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target string
		rate   *float64
		json   string // the success_rate member, "" when absent
	}{
		{"dry-only", nil, ""},
		{"failing", ptr(0.0), `"success_rate":0,`},
		{"half", ptr(0.5), `"success_rate":0.5,`},
		{"skipped", nil, ""},
	}
	if len(stats) != len(tests) {
		t.Fatalf("%d rows, want %d: %+v", len(stats), len(tests), stats)
	}
	for i, tt := range tests {
		s := stats[i]
		if s.Target != tt.target || !cmp.Equal(s.SuccessRate, tt.rate) {
			t.Errorf("row %d: %s rate %v, want %s rate %v", i, s.Target, fmtRate(s.SuccessRate), tt.target, fmtRate(tt.rate))
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), `"success_rate"`); got != (tt.json != "") || !strings.Contains(string(b), tt.json) {
			t.Errorf("%s: JSON %s, want success_rate %q", tt.target, b, tt.json)
		}
	}
}

func fmtRate(r *float64) any {
	if r == nil {
		return "none"
	}
	return *r
}
