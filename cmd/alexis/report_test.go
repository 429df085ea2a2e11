package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
	"github.com/google/go-cmp/cmp"
)

// TestReportSuccessRate: a target that only had dry runs has no success
// rate, shown "-" in the table and left out of the JSON; one whose every
// run failed has 0% and 0.
func TestReportSuccessRate(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "alexis.db"), sqlite.WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	started := time.Now().Add(-time.Hour)
	var runs []alexis.TaskRun
	for _, r := range []struct {
		target string
		status alexis.Status
	}{
		{"dup01", alexis.StatusSuccess}, {"dup01", alexis.StatusFailure}, {"dup01", alexis.StatusDryRun},
		{"dup02", alexis.StatusDryRun},
		{"dup03", alexis.StatusFailure},
	} {
		runs = append(runs, alexis.TaskRun{Rule: "gc", Target: r.target, Action: "ssh", Reason: "restart",
			Result: alexis.Result{Status: r.status, Started: started, Duration: time.Second}})
	}
	ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: "a1", Action: "Create", Received: started}
	if _, err := db.Enqueue(ctx, []*alexis.Event{ev}); err != nil {
		t.Fatal(err)
	}
	qs, err := db.Claim(ctx, 1)
	if err != nil || len(qs) != 1 {
		t.Fatalf("claim: %v %v", qs, err)
	}
	if err := db.Finish(ctx, qs[0].ID, runs, ""); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errs := runCmd(t, "report", "--data-dir", dir)
	if code != exitOK {
		t.Fatalf("report: code %d: %s", code, errs)
	}
	for _, row := range []string{
		`(?m)^gc\s+ssh\s+dup01\s+3\s+1\s+1\s+1\s+50%\s`,
		`(?m)^gc\s+ssh\s+dup02\s+1\s+0\s+0\s+1\s+-\s`,
		`(?m)^gc\s+ssh\s+dup03\s+1\s+0\s+1\s+0\s+0%\s`,
	} {
		if !regexp.MustCompile(row).MatchString(out) {
			t.Errorf("report lacks a row matching %s:\n%s", row, out)
		}
	}

	code, out, errs = runCmd(t, "report", "--data-dir", dir, "--json")
	if code != exitOK {
		t.Fatalf("report --json: code %d: %s", code, errs)
	}
	var stats []map[string]any
	if err := json.Unmarshal([]byte(out), &stats); err != nil {
		t.Fatalf("report --json: %v\n%s", err, out)
	}
	got := map[string]any{}
	for _, s := range stats {
		rate, ok := s["success_rate"]
		if !ok {
			rate = "absent"
		}
		got[s["target"].(string)] = rate
	}
	if d := cmp.Diff(map[string]any{"dup01": 0.5, "dup02": "absent", "dup03": 0.0}, got); d != "" {
		t.Errorf("success_rate by target (-want +got):\n%s", d)
	}
}
