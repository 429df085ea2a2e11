package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
	"github.com/google/go-cmp/cmp"
)

func open(t testing.TB, opts ...sqlite.Option) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "alexis.db")
	db, err := sqlite.Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func event(id, action string) *alexis.Event {
	return &alexis.Event{Source: alexis.SourceOpsGenie, ID: id, Action: action, Message: "disk full on " + id,
		Received: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), Raw: []byte(`{"alert": {"alertId": "` + id + `"}}`)}
}

func TestEnqueueDuplicateAndClaim(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	ign := event("b", "Create")
	ign.Ignore = "test notification"
	got, err := db.Enqueue(ctx, []*alexis.Event{event("a", "Create"), ign, event("a", "Create")})
	if err != nil {
		t.Fatal(err)
	}
	want := []alexis.Receipt{
		{ID: 1, Key: "opsgenie/a/Create", Status: "queued"},
		{ID: 2, Key: "opsgenie/b/Create", Status: "ignored", Ignored: "test notification"},
		{ID: 1, Key: "opsgenie/a/Create", Status: "queued", Duplicate: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("receipts (-want +got):\n%s", d)
	}
	qs, err := db.Claim(ctx, 1)
	if err != nil || len(qs) != 1 {
		t.Fatalf("claim: %v %v", qs, err)
	}
	q := qs[0]
	if q.ID != 1 || q.Attempts != 1 || q.Event.Key() != "opsgenie/a/Create" || string(q.Event.Raw) != `{"alert": {"alertId": "a"}}` {
		t.Fatalf("claimed %+v raw %s", q, q.Event.Raw)
	}
	if !q.Event.Received.Equal(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("received = %v", q.Event.Received)
	}
	// The ignored event is never claimed, the running one not twice.
	if q2, err := db.Claim(ctx, 1); err != nil || len(q2) != 0 {
		t.Fatalf("second claim = %+v, %v; want nothing", q2, err)
	}
	// A late duplicate reports the current status.
	got, _ = db.Enqueue(ctx, []*alexis.Event{event("a", "Create")})
	if got[0].Status != "running" || !got[0].Duplicate {
		t.Errorf("duplicate while running = %+v", got[0])
	}
}

func TestGroupCommitConcurrent(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t, sqlite.WithBatch(time.Millisecond, 64))
	const n = 200
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every key twice: both deliveries must get the same ID.
			rc, err := db.Enqueue(ctx, []*alexis.Event{event(fmt.Sprint(i%(n/2)), "Create")})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = rc[0].ID
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i := range n / 2 {
		if ids[i] != ids[i+n/2] {
			t.Errorf("key %d: ids %d and %d", i, ids[i], ids[i+n/2])
		}
		seen[ids[i]] = true
	}
	if len(seen) != n/2 {
		t.Errorf("%d distinct ids, want %d", len(seen), n/2)
	}
	depth, err := db.QueueDepth(ctx)
	if err != nil || depth != n/2 {
		t.Errorf("queue depth = %d, %v; want %d", depth, err, n/2)
	}
}

func TestRecoverAndJournal(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	if _, err := db.Enqueue(ctx, []*alexis.Event{event("a", "Create")}); err != nil {
		t.Fatal(err)
	}
	qs, _ := db.Claim(ctx, 1)
	q := qs[0]
	start := time.Date(2026, 11, 29, 10, 0, 1, 0, time.UTC)
	ts := alexis.TaskRun{Rule: "disk", Target: "web-01", Action: "ssh", Reason: "clean", Command: "rm /tmp/x", Result: alexis.Result{Started: start}}
	id0, prior, err := db.BeginTask(ctx, q.ID, 0, ts)
	if err != nil || prior != nil {
		t.Fatalf("begin 0: %v %v", prior, err)
	}
	if err := db.EndTask(ctx, id0, alexis.Result{Status: alexis.StatusSuccess, Started: start, Duration: 2 * time.Second, Output: "ok"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.BeginTask(ctx, q.ID, 1, ts); err != nil { // task 1 "crashes" while running
		t.Fatal(err)
	}
	db.Close()

	db2, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if n, err := db2.Recover(ctx); n != 1 || err != nil {
		t.Fatalf("recover = %d, %v", n, err)
	}
	q2s, _ := db2.Claim(ctx, 1)
	if len(q2s) != 1 {
		t.Fatal("nothing reclaimed")
	}
	q2 := q2s[0]
	if q2.ID != q.ID || q2.Attempts != 2 {
		t.Fatalf("reclaim = %+v", q2)
	}
	_, prior, err = db2.BeginTask(ctx, q.ID, 0, ts)
	if err != nil || prior == nil || prior.Status != alexis.StatusSuccess || prior.Output != "ok" || prior.Duration != 2*time.Second {
		t.Fatalf("finished task replay = %+v, %v", prior, err)
	}
	_, prior, err = db2.BeginTask(ctx, q.ID, 1, ts)
	if err != nil || prior == nil || prior.Status != alexis.StatusFailure || prior.Error != sqlite.Interrupted {
		t.Fatalf("interrupted task replay = %+v, %v", prior, err)
	}
	if err := db2.Finish(ctx, q2.ID, []alexis.TaskRun{{Rule: "disk", Target: "web-01", Action: "ssh", Reason: "notify",
		Result: alexis.Result{Status: alexis.StatusSkipped, Started: start}}}, ""); err != nil {
		t.Fatal(err)
	}
	xs, err := db2.Executions(ctx, alexis.ExecutionFilter{Rule: "disk"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range xs {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", x.Event, x.Target, x.Reason, x.Status, x.Error))
	}
	want := []string{
		"opsgenie/a/Create web-01 notify skipped ",
		"opsgenie/a/Create web-01 clean failure " + sqlite.Interrupted,
		"opsgenie/a/Create web-01 clean success ",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("executions (-want +got):\n%s", d)
	}
	if st, att, _ := db2.EventStatus(ctx, q.ID); st != "done" || att != 2 {
		t.Errorf("event status = %s after %d attempts", st, att)
	}
}

func TestSummaryAndFilters(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	base := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	var runs []alexis.TaskRun
	for i := range 20 {
		st := alexis.StatusSuccess
		if i%4 == 0 {
			st = alexis.StatusFailure
		}
		runs = append(runs, alexis.TaskRun{Rule: "gc", Target: "dup01", Action: "ssh", Reason: "restart",
			Result: alexis.Result{Status: st, Started: base.Add(time.Duration(i) * time.Hour), Duration: time.Duration(i+1) * time.Second}})
	}
	runs = append(runs, alexis.TaskRun{Rule: "gc", Target: "dup02", Action: "ssh", Reason: "restart",
		Result: alexis.Result{Status: alexis.StatusDryRun, Started: base}})
	db.Enqueue(ctx, []*alexis.Event{event("a", "Create")})
	qs, _ := db.Claim(ctx, 1)
	q := qs[0]
	if err := db.Finish(ctx, q.ID, runs, ""); err != nil {
		t.Fatal(err)
	}
	got, err := db.Summary(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	want := []alexis.ExecutionStats{
		{Rule: "gc", Action: "ssh", Target: "dup01", Runs: 20, Successes: 15, Failures: 5, SuccessRate: ptr(0.75),
			MeanDuration: 10500 * time.Millisecond, P95Duration: 19 * time.Second, Last: base.Add(19 * time.Hour)},
		{Rule: "gc", Action: "ssh", Target: "dup02", Runs: 1, Last: base},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	// How many times did gc run against dup01 in the last 5 hours (at 20:00)?
	n, err := db.Count(ctx, "gc", "dup01", base.Add(15*time.Hour))
	if err != nil || n != 5 {
		t.Errorf("count = %d, %v; want 5", n, err)
	}
	xs, err := db.Executions(ctx, alexis.ExecutionFilter{Status: alexis.StatusFailure, Since: base.Add(time.Hour), Until: base.Add(12 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 2 || xs[0].Started != base.Add(8*time.Hour) || xs[1].Started != base.Add(4*time.Hour) {
		t.Errorf("filtered executions = %+v", xs)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
}

func TestClaimBatchInOrder(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	for _, id := range []string{"a", "b", "c", "d"} {
		if _, err := db.Enqueue(ctx, []*alexis.Event{event(id, "Create")}); err != nil {
			t.Fatal(err)
		}
	}
	qs, err := db.Claim(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range qs {
		got = append(got, q.Event.ID)
	}
	if d := cmp.Diff([]string{"a", "b", "c"}, got); d != "" {
		t.Errorf("claimed (-want +got):\n%s", d)
	}
	if qs, _ := db.Claim(ctx, 3); len(qs) != 1 || qs[0].Event.ID != "d" {
		t.Errorf("second claim: %v", qs)
	}
}

// A write that fails inside a group commit fails alone: the others of
// its batch commit.
func TestFailingWriteFailsAlone(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%10 == 0 { // a task of an event that does not exist: the foreign key fails
				_, _, errs[i] = db.BeginTask(ctx, 999, 0, alexis.TaskRun{Rule: "r", Target: "t"})
				return
			}
			_, errs[i] = db.Enqueue(ctx, []*alexis.Event{event(fmt.Sprint(i), "Create")})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%10 == 0) != (err != nil) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if n, _ := db.QueueDepth(ctx); n != 36 {
		t.Errorf("%d events stored, want 36", n)
	}
}

func TestMeta(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alexis.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, ok, err := db.Meta(ctx, "k"); ok || err != nil {
		t.Fatalf("Meta of a missing key = %v, %v", ok, err)
	}
	if err := db.SetMeta(ctx, "k", "one"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMeta(ctx, "k", "two"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, ok, err := db.Meta(ctx, "k"); v != "two" || !ok || err != nil {
		t.Errorf("Meta after reopen = %q, %v, %v; want two", v, ok, err)
	}
}

// TestJournalRuleChanged: a rule edited while an event was unfinished
// (a task inserted before the one that ran) must not make the task that
// ran run again: the task now at its place fails with RuleChanged.
func TestJournalRuleChanged(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	if _, err := db.Enqueue(ctx, []*alexis.Event{event("a", "Create")}); err != nil {
		t.Fatal(err)
	}
	qs, _ := db.Claim(ctx, 1)
	restart := alexis.TaskRun{Rule: "pool", Target: "web-01", Action: "ssh", Reason: "restart", Command: "systemctl restart pool"}
	id, prior, err := db.BeginTask(ctx, qs[0].ID, 0, restart)
	if err != nil || prior != nil {
		t.Fatalf("begin: %v %v", prior, err)
	}
	if err := db.EndTask(ctx, id, alexis.Result{Status: alexis.StatusSuccess}); err != nil {
		t.Fatal(err)
	}
	// The edited rule has a notification first, the restart second.
	notify := alexis.TaskRun{Rule: "pool", Target: "web-01", Action: "http", Reason: "notify", Command: "POST https://chat.example.com/hook"}
	_, prior, err = db.BeginTask(ctx, qs[0].ID, 0, notify)
	if err != nil || prior == nil || prior.Status != alexis.StatusFailure || prior.Error != sqlite.RuleChanged {
		t.Fatalf("task at the place of another = %+v, %v; want a RuleChanged failure", prior, err)
	}
	// The same task at its place is still replayed as it finished.
	_, prior, err = db.BeginTask(ctx, qs[0].ID, 0, restart)
	if err != nil || prior == nil || prior.Status != alexis.StatusSuccess {
		t.Fatalf("unchanged task = %+v, %v", prior, err)
	}
}
