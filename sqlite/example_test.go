package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
)

func ExampleDB_Summary() {
	dir, _ := os.MkdirTemp("", "alexis")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "alexis.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: "a1", Action: "Create", Received: t0}
	rc, _ := db.Enqueue(ctx, []*alexis.Event{ev, ev}) // the second is a duplicate
	fmt.Println(rc[0].ID, rc[1].ID, rc[1].Duplicate)

	qs, _ := db.Claim(ctx, 1)
	for i, d := range []time.Duration{2 * time.Second, 4 * time.Second} {
		run := alexis.TaskRun{Rule: "duplicator-gc", Target: "dup01", Action: "ssh", Reason: "restart",
			Result: alexis.Result{Started: t0.Add(time.Duration(i) * time.Minute)}}
		id, _, _ := db.BeginTask(ctx, qs[0].ID, i, run)
		run.Status, run.Duration = alexis.StatusSuccess, d
		db.EndTask(ctx, id, run.Result)
	}
	db.Finish(ctx, qs[0].ID, nil, "")

	stats, _ := db.Summary(ctx, t0.Add(-24*time.Hour))
	for _, s := range stats {
		// SuccessRate is nil when nothing really ran (dry runs only).
		fmt.Printf("%s %s on %s: %d runs, %.0f%% ok, mean %v, p95 %v\n", s.Rule, s.Action, s.Target, s.Runs, 100**s.SuccessRate, s.MeanDuration, s.P95Duration)
	}
	// Output:
	// 1 1 true
	// duplicator-gc ssh on dup01: 2 runs, 100% ok, mean 3s, p95 4s
}
