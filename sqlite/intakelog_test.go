package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
	"github.com/google/go-cmp/cmp"
)

// openAgain opens the store at path again (after a Close or a Crash); it is
// closed when the test ends.
func openAgain(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// segments lists the files of the intake log.
func segments(t *testing.T, db *sqlite.DB) []string {
	t.Helper()
	ents, err := os.ReadDir(db.LogDir())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.Name() != "LOCK" {
			out = append(out, e.Name())
		}
	}
	return out
}

// rows returns id, key and status of every stored event, read with a
// connection of its own.
func rows(t *testing.T, path string) []string {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rs, err := raw.Query(`SELECT id, key, status FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var id int64
		var key, status string
		if err := rs.Scan(&id, &key, &status); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %s", id, key, status))
	}
	return out
}

// An accepted event lives in the intake log until a worker writes its row
// (its first journal entry or its outcome); a crash before that loses
// nothing: the next Open replays the log into the database, and a
// repeated delivery is still a duplicate.
func TestIntakeLogCrashReplay(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	ign := richEvent("c")
	ign.Ignore = "test notification"
	if _, err := db.Enqueue(ctx, []*alexis.Event{richEvent("a"), richEvent("b"), ign}); err != nil {
		t.Fatal(err)
	}
	qs, err := db.Claim(ctx, 2) // a and b, from memory: nothing written yet
	if err != nil || len(qs) != 2 || qs[0].ID != 1 || qs[1].ID != 2 {
		t.Fatalf("claim: %v %v", qs, err)
	}
	// a begins a task: its running row and the journal entry are written.
	if _, _, err := db.BeginTask(ctx, 1, 0, alexis.TaskRun{Rule: "r", Target: "web-01", Action: "ssh"}); err != nil {
		t.Fatal(err)
	}
	if got := db.Pending(); got < 1 || got > 2 {
		t.Errorf("%d events pending after a began, want b (and c, unless already moved)", got)
	}
	if err := db.Crash(); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, path); len(got) > 2 || got[0] != "1 opsgenie/a/Create running" {
		// b was never written to the database before the crash; c
		// (ignored) may have been, by the committer.
		t.Fatalf("before replay the database holds %q", got)
	}

	db = openAgain(t, path)
	want := []string{"1 opsgenie/a/Create running", "2 opsgenie/b/Create queued", "3 opsgenie/c/Create ignored"}
	if d := cmp.Diff(want, rows(t, path)); d != "" {
		t.Errorf("after replay (-want +got):\n%s", d)
	}
	if segs := segments(t, db); len(segs) != 0 {
		t.Errorf("intake log after replay: %v", segs)
	}
	rc, err := db.Enqueue(ctx, []*alexis.Event{richEvent("b"), richEvent("d")})
	if err != nil {
		t.Fatal(err)
	}
	wantRc := []alexis.Receipt{
		{ID: 2, Key: "opsgenie/b/Create", Status: "queued", Duplicate: true},
		{ID: 4, Key: "opsgenie/d/Create", Status: "queued"},
	}
	if d := cmp.Diff(wantRc, rc); d != "" {
		t.Errorf("receipts after replay (-want +got):\n%s", d)
	}
	if _, err := db.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		qs, err := db.Claim(ctx, 16)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) == 0 {
			break
		}
		for _, q := range qs {
			got = append(got, fmt.Sprintf("%d %s %d", q.ID, q.Event.ID, q.Attempts))
			if q.Event.Message != "disk full" || string(q.Event.Raw) != `{"alert": {"alertId": "`+q.Event.ID+`"}}` {
				t.Errorf("claimed event %d: %+v", q.ID, q.Event)
			}
		}
	}
	// a was running when the process died: it resumes (attempt 2); b,
	// handled but with nothing written, comes back from the log as new;
	// then d (new, from memory).
	if d := cmp.Diff([]string{"1 a 2", "2 b 1", "4 d 1"}, got); d != "" {
		t.Errorf("claimed (-want +got):\n%s", d)
	}
}

// A write cut short by a crash (a torn record at the end of the log) was
// never acknowledged: replay keeps what precedes it, keeps the file aside
// and starts clean.
func TestIntakeLogTornTail(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	if _, err := db.Enqueue(ctx, []*alexis.Event{richEvent("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue(ctx, []*alexis.Event{richEvent("b")}); err != nil {
		t.Fatal(err)
	}
	dir := db.LogDir()
	segs := segments(t, db)
	if err := db.Crash(); err != nil {
		t.Fatal(err)
	}
	if len(segs) != 1 {
		t.Fatalf("segments %v", segs)
	}
	seg := filepath.Join(dir, segs[0])
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	// Cut the second record short: in a preallocated segment, the bytes a
	// torn write did not reach are still zeros.
	end := len(data)
	for end > 0 && data[end-1] == 0 {
		end--
	}
	if end == len(data) {
		t.Fatal("the segment is not preallocated")
	}
	clear(data[end-7 : end])
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db = openAgain(t, path)
	if d := cmp.Diff([]string{"1 opsgenie/a/Create queued"}, rows(t, path)); d != "" {
		t.Errorf("after replay (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{segs[0] + ".damaged"}, segments(t, db)); d != "" {
		t.Errorf("intake log (-want +got):\n%s", d)
	}
	// The lost event may be delivered again (it was never acknowledged):
	// it is new, with a new ID.
	rc, err := db.Enqueue(ctx, []*alexis.Event{richEvent("b")})
	if err != nil || rc[0].Duplicate || rc[0].ID != 2 {
		t.Errorf("redelivery: %+v %v", rc, err)
	}
}

// Close moves what waits in the intake log into the database and removes
// the log; the next Open finds everything queued, in order.
func TestIntakeLogClose(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	for _, id := range []string{"a", "b", "c"} {
		if _, err := db.Enqueue(ctx, []*alexis.Event{event(id, "Create")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"1 opsgenie/a/Create queued", "2 opsgenie/b/Create queued", "3 opsgenie/c/Create queued"}
	if d := cmp.Diff(want, rows(t, path)); d != "" {
		t.Errorf("after Close (-want +got):\n%s", d)
	}
	if ents, err := os.ReadDir(path + "-intake"); err != nil || len(ents) != 1 || ents[0].Name() != "LOCK" {
		t.Errorf("intake log after Close: %v %v", ents, err)
	}
}

// Past MaxHandOff events (here 64) or MaxHandOffBytes (here 16 KB)
// waiting in memory, the oldest move to the database; nothing is lost or
// claimed twice, and the log's segments go once their events are all in
// the database.
func TestIntakeLogBacklog(t *testing.T) {
	t.Run("events", func(t *testing.T) { testIntakeLogBacklog(t, 64, 0, sqlite.WithMaxHandOff(64)) })
	t.Run("bytes", func(t *testing.T) { testIntakeLogBacklog(t, 0, 16<<10, sqlite.WithMaxHandOffBytes(16<<10)) })
}

func testIntakeLogBacklog(t *testing.T, maxEvents, maxBytes int, opt sqlite.Option) {
	ctx := context.Background()
	db, path := open(t, opt)
	n := 600
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				if _, err := db.Enqueue(ctx, []*alexis.Event{event(fmt.Sprint(i), "Create")}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if depth, err := db.QueueDepth(ctx); err != nil || depth != n {
		t.Fatalf("queue depth %d, %v; want %d", depth, err, n)
	}
	if w, b := db.Waiting(); (maxEvents > 0 && w > maxEvents) || (maxBytes > 0 && b > maxBytes) || w == 0 || b == 0 {
		t.Errorf("%d events (%d bytes) wait in memory; bounds %d events, %d bytes", w, b, maxEvents, maxBytes)
	}
	seen := map[int64]bool{}
	for len(seen) < n {
		qs, err := db.Claim(ctx, 16)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) == 0 {
			t.Fatalf("nothing to claim after %d of %d", len(seen), n)
		}
		for _, q := range qs {
			if seen[q.ID] {
				t.Fatalf("event %d claimed twice", q.ID)
			}
			seen[q.ID] = true
			if err := db.Finish(ctx, q.ID, nil, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	if qs, err := db.Claim(ctx, 16); err != nil || len(qs) != 0 {
		t.Errorf("claim after all: %v %v", qs, err)
	}
	if db.Pending() != 0 {
		t.Errorf("%d events still pending", db.Pending())
	}
	if w, b := db.Waiting(); w != 0 || b != 0 {
		t.Errorf("after all: %d events (%d bytes) wait in memory", w, b)
	}
	ids := make([]int64, 0, n)
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if ids[0] != 1 || ids[n-1] != int64(n) {
		t.Errorf("ids from %d to %d, want 1 to %d", ids[0], ids[n-1], n)
	}
	if got := len(rows(t, path)); got != n {
		t.Errorf("%d rows, want %d", got, n)
	}
}

// Deliveries of the same keys race with workers claiming them: every key
// gets one ID whatever the interleaving, and no event is claimed twice.
func TestIntakeLogDuplicatesRaceClaims(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	const keys, copies = 300, 4
	ids := make([][]int64, keys)
	for i := range ids {
		ids[i] = make([]int64, copies)
	}
	ws := startWorkers(t, db, 3, 4, nil)
	var wg sync.WaitGroup
	for c := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				rc, err := db.Enqueue(ctx, []*alexis.Event{event(fmt.Sprint(k), "Create")})
				if err != nil {
					t.Error(err)
					return
				}
				ids[k][c] = rc[0].ID
			}
		}()
	}
	wg.Wait()
	claimed := ws.drainAndStop(t, db)
	for k, got := range ids {
		for _, id := range got[1:] {
			if id != got[0] {
				t.Fatalf("key %d got ids %v", k, got)
			}
		}
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("event %d claimed %d times", id, n)
		}
	}
}

// A failed log write fails every call whose answer depends on it, a
// duplicate within the same batch included; nothing of it is known
// afterwards, and the store goes on with a new segment.
func TestIntakeLogWriteFails(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	if _, err := db.Enqueue(ctx, []*alexis.Event{event("a", "Create")}); err != nil {
		t.Fatal(err)
	}
	db.FailLogWrites(errors.New("disk on fire"))
	if rc, err := db.Enqueue(ctx, []*alexis.Event{event("b", "Create"), event("b", "Create")}); err == nil {
		t.Fatalf("enqueue during a failing write: %+v", rc)
	}
	// A call that only repeats an event already stored needs no write.
	if rc, err := db.Enqueue(ctx, []*alexis.Event{event("a", "Create")}); err != nil || !rc[0].Duplicate || rc[0].ID != 1 {
		t.Fatalf("duplicate during a failing write: %+v %v", rc, err)
	}
	db.FailLogWrites(nil)
	rc, err := db.Enqueue(ctx, []*alexis.Event{event("b", "Create")})
	if err != nil || rc[0].Duplicate {
		t.Fatalf("b after the failure: %+v %v", rc, err)
	}
	if depth, _ := db.QueueDepth(ctx); depth != 2 {
		t.Errorf("queue depth %d, want 2", depth)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"1 opsgenie/a/Create queued", fmt.Sprintf("%d opsgenie/b/Create queued", rc[0].ID)}
	if d := cmp.Diff(want, rows(t, path)); d != "" {
		t.Errorf("stored (-want +got):\n%s", d)
	}
}

// Once the filter of stored keys is built, a new key costs no lookup in
// the database, and a key stored before the start is still a duplicate.
func TestIntakeLogKeyFilter(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	for i := range 50 {
		if _, err := db.Enqueue(ctx, []*alexis.Event{event(fmt.Sprint(i), "Create")}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db = openAgain(t, path)
	for i := 0; !db.KeyFilterReady(); i++ {
		if i > 500 {
			t.Fatal("the key filter was not built")
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := db.Lookups()
	for i := 100; i < 300; i++ {
		rc, err := db.Enqueue(ctx, []*alexis.Event{event(fmt.Sprint(i), "Create")})
		if err != nil || rc[0].Duplicate {
			t.Fatalf("new event %d: %+v %v", i, rc, err)
		}
	}
	if got := db.Lookups() - before; got > 2 {
		t.Errorf("%d lookups for 200 new keys", got)
	}
	rc, err := db.Enqueue(ctx, []*alexis.Event{event("7", "Create"), event("150", "Create")})
	if err != nil || !rc[0].Duplicate || rc[0].ID != 8 || !rc[1].Duplicate {
		t.Errorf("duplicates: %+v %v", rc, err)
	}
}

// One process owns a store; others may read it.
func TestOpenLockedAndReadOnly(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	if _, err := db.Enqueue(ctx, []*alexis.Event{event("a", "Create")}); err != nil {
		t.Fatal(err)
	}
	if other, err := sqlite.Open(path); err == nil {
		other.Close()
		t.Fatal("a second Open of a store in use succeeded")
	} else if !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second Open: %v", err)
	}
	qs, err := db.Claim(ctx, 1)
	if err != nil || len(qs) != 1 {
		t.Fatalf("claim: %v %v", qs, err)
	}
	if err := db.Finish(ctx, qs[0].ID, []alexis.TaskRun{{Rule: "r", Target: "t", Action: "ssh",
		Result: alexis.Result{Status: alexis.StatusSuccess}}}, ""); err != nil {
		t.Fatal(err)
	}
	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	xs, err := ro.Executions(ctx, alexis.ExecutionFilter{})
	if err != nil || len(xs) != 1 || xs[0].Rule != "r" {
		t.Errorf("read-only executions: %+v %v", xs, err)
	}
	if _, err := ro.Enqueue(ctx, []*alexis.Event{event("b", "Create")}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("read-only enqueue: %v", err)
	}
	if err := ro.Ping(ctx); err == nil {
		t.Error("read-only ping succeeded")
	}
	if segs := segments(t, db); len(segs) != 1 {
		t.Errorf("the owner's intake log after a read-only open: %v", segs)
	}
	if _, err := sqlite.OpenReadOnly(path + ".missing"); err == nil {
		t.Error("read-only open of a missing store succeeded")
	}
}

// Intake, spills to the database and claims all at once: every accepted
// event is claimed exactly once, none is lost.
func TestIntakeLogStress(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t, sqlite.WithMaxHandOff(64))
	const producers, perProducer, workers = 16, 150, 8
	accepted := make(chan int64, producers*perProducer)
	var pw sync.WaitGroup
	for p := range producers {
		pw.Add(1)
		go func() {
			defer pw.Done()
			for i := range perProducer {
				rc, err := db.Enqueue(ctx, []*alexis.Event{event(fmt.Sprintf("%d-%d", p, i), "Create")})
				if err != nil {
					t.Error(err)
					return
				}
				accepted <- rc[0].ID
			}
		}()
	}
	ws := startWorkers(t, db, workers, 4, nil)
	pw.Wait()
	close(accepted)
	claimed := ws.drainAndStop(t, db)
	n := 0
	for id := range accepted {
		n++
		if c := claimed[id]; c != 1 {
			t.Errorf("event %d claimed %d times", id, c)
		}
	}
	if n != producers*perProducer || len(claimed) != n {
		t.Errorf("%d accepted, %d claimed", n, len(claimed))
	}
}

// An event whose record would pass the largest one replay reads is refused
// (413), and does not spoil the events logged with it.
func TestIntakeLogRecordTooLarge(t *testing.T) {
	defer sqlite.SetMaxRecord(4 << 10)()
	ctx := context.Background()
	db, path := open(t)
	big := event("big", "Create")
	big.Raw = []byte(`{"x": "` + strings.Repeat("y", 5<<10) + `"}`)
	if _, err := db.Enqueue(ctx, []*alexis.Event{event("a", "Create"), big}); alexis.ErrorCode(err) != alexis.ETOOLARGE {
		t.Fatalf("enqueue of a too large event: %v", err)
	}
	if _, err := db.Enqueue(ctx, []*alexis.Event{event("a", "Create"), event("b", "Create")}); err != nil {
		t.Fatal(err)
	}
	if err := db.Crash(); err != nil {
		t.Fatal(err)
	}
	db = openAgain(t, path)
	if d := cmp.Diff([]string{"1 opsgenie/a/Create queued", "2 opsgenie/b/Create queued"}, rows(t, path)); d != "" {
		t.Errorf("after replay (-want +got):\n%s", d)
	}
}

// Events moving from the intake log into the database (spills) are never
// missing from QueueDepth.
func TestQueueDepthDuringSpills(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t, sqlite.WithMaxHandOff(8))
	for i := range 40 {
		if _, err := db.Enqueue(ctx, []*alexis.Event{event(fmt.Sprint(i), "Create")}); err != nil {
			t.Fatal(err)
		}
		if d, err := db.QueueDepth(ctx); err != nil || d < i+1 {
			t.Fatalf("after %d events queue depth %d, %v", i+1, d, err)
		}
	}
}

// Past its preallocated size the log goes on in a new segment (prepared in
// the background once the current one is half full); segments whose
// events are all in the database are deleted; a crash in between loses
// nothing.
func TestIntakeLogRotation(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	body := []byte(`{"pad": "` + strings.Repeat("x", 10<<10) + `"}`)
	const n = 300 // about 3 MiB: the first segment (1 MiB) and more
	for i := range n {
		ev := event(fmt.Sprint(i), "Create")
		ev.Raw = body
		if _, err := db.Enqueue(ctx, []*alexis.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	if segs := segments(t, db); len(segs) < 2 {
		t.Fatalf("segments after 3 MiB: %v", segs)
	}
	// Handle the first half, then crash.
	for done := 0; done < n/2; {
		qs, err := db.Claim(ctx, 16)
		if err != nil || len(qs) == 0 {
			t.Fatalf("claim: %v %v", qs, err)
		}
		for _, q := range qs {
			if err := db.Finish(ctx, q.ID, nil, ""); err != nil {
				t.Fatal(err)
			}
			done++
		}
	}
	first := segments(t, db)[0]
	if first == "0000000000000000.log" {
		t.Errorf("the first segment, all handled, is still there: %v", segments(t, db))
	}
	if err := db.Crash(); err != nil {
		t.Fatal(err)
	}
	db = openAgain(t, path)
	got := rows(t, path)
	if len(got) != n {
		t.Fatalf("%d events after replay, want %d", len(got), n)
	}
	queued := 0
	for _, r := range got {
		if strings.HasSuffix(r, " queued") {
			queued++
		}
	}
	if queued < n/2-16 || queued > n/2 {
		t.Errorf("%d queued after replay, want about %d", queued, n/2)
	}
	if segs := segments(t, db); len(segs) != 0 {
		t.Errorf("segments after replay: %v", segs)
	}
}

// A Requeue of an event claimed from the log, while its first journal
// entry waits for a commit (a shutdown with a slow disk): the event is
// requeued in the database, where the journal is, and not put back in
// memory as well.
func TestRequeueWhileBeginTaskWaits(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	if _, err := db.Enqueue(ctx, []*alexis.Event{richEvent("a")}); err != nil {
		t.Fatal(err)
	}
	qs, err := db.Claim(ctx, 1)
	if err != nil || len(qs) != 1 {
		t.Fatalf("claim: %v %v", qs, err)
	}
	release := db.HoldCommits()
	began := make(chan error, 1)
	go func() {
		_, _, err := db.BeginTask(ctx, 1, 0, alexis.TaskRun{Rule: "r", Target: "web-01", Action: "ssh"})
		began <- err
	}()
	time.Sleep(100 * time.Millisecond) // BeginTask's write is queued first
	requeued := make(chan error, 1)
	go func() { requeued <- db.Requeue(ctx, 1) }()
	time.Sleep(100 * time.Millisecond)
	release()
	if err := <-began; err != nil {
		t.Fatal(err)
	}
	if err := <-requeued; err != nil {
		t.Fatal(err)
	}
	qs, err = db.Claim(ctx, 4)
	if err != nil || len(qs) != 1 || qs[0].Event == nil || qs[0].Attempts != 2 {
		t.Fatalf("claim after the requeue: %+v %v", qs, err)
	}
	// The second run finds the journal entry (the task was interrupted).
	if _, prior, err := db.BeginTask(ctx, 1, 0, alexis.TaskRun{Rule: "r", Target: "web-01", Action: "ssh"}); err != nil || prior == nil {
		t.Errorf("second begin: prior %v, %v", prior, err)
	}
	if qs, _ := db.Claim(ctx, 4); len(qs) != 0 {
		t.Errorf("claimed again: %+v", qs)
	}
	if err := db.Finish(ctx, 1, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// Finish of an event that no worker claimed is an error, not a no-op.
func TestFinishUnknownEvent(t *testing.T) {
	db, _ := open(t)
	if err := db.Finish(context.Background(), 42, nil, ""); alexis.ErrorCode(err) != alexis.ENOTFOUND {
		t.Errorf("finish of an unknown event: %v", err)
	}
}

// An event finished straight from the log (its row written done in one
// statement) is stored as one that went through the journal first: same
// status, attempts, error; claim and finish times set; its key known.
func TestFinishFromLogWritesTheWholeRow(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	if _, err := db.Enqueue(ctx, []*alexis.Event{event("direct", "Create"), event("journaled", "Create")}); err != nil {
		t.Fatal(err)
	}
	qs, err := db.Claim(ctx, 2)
	if err != nil || len(qs) != 2 {
		t.Fatalf("claim: %v %v", qs, err)
	}
	run := alexis.TaskRun{Rule: "r", Target: "web-01", Action: "ssh", Command: "true",
		Result: alexis.Result{Status: alexis.StatusSuccess, Started: time.Unix(100, 0)}}
	if _, _, err := db.BeginTask(ctx, qs[1].ID, 0, run); err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if err := db.Finish(ctx, q.ID, []alexis.TaskRun{run}, "notify failed"); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	type row struct {
		Key, Status, Error       string
		Attempts                 int
		Claimed, Finished, Event bool
	}
	var got []row
	rows, err := raw.Query(`SELECT key, status, error, attempts, claimed > 0, finished > 0, event != '' FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.Key, &r.Status, &r.Error, &r.Attempts, &r.Claimed, &r.Finished, &r.Event); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []row{
		{Key: qs[0].Event.Key(), Status: alexis.EventDone, Error: "notify failed", Attempts: 1, Claimed: true, Finished: true, Event: true},
		{Key: qs[1].Event.Key(), Status: alexis.EventDone, Error: "notify failed", Attempts: 1, Claimed: true, Finished: true, Event: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("event rows (-want +got):\n%s", d)
	}
	// Both are known: a repeated delivery is a duplicate, done.
	rs, err := db.Enqueue(ctx, []*alexis.Event{event("direct", "Create")})
	if err != nil || !rs[0].Duplicate || rs[0].Status != alexis.EventDone || rs[0].ID != qs[0].ID {
		t.Errorf("repeated delivery: %+v %v", rs, err)
	}
	if err := db.Finish(ctx, qs[0].ID, nil, ""); err != nil {
		t.Errorf("second finish: %v", err)
	}
}

// LogWrites and LogWriteTime count the log writer's writes and the wall
// time they took: one write for one lone Enqueue, none for a duplicate.
func TestIntakeLogWriteStats(t *testing.T) {
	db, _ := open(t)
	if db.LogWrites() != 0 || db.LogWriteTime() != 0 {
		t.Fatalf("before any event: %d writes in %v", db.LogWrites(), db.LogWriteTime())
	}
	ctx := context.Background()
	for range 2 { // the second delivery is a duplicate: nothing written
		if _, err := db.Enqueue(ctx, []*alexis.Event{event("stats-1", "Create")}); err != nil {
			t.Fatal(err)
		}
	}
	if n, d := db.LogWrites(), db.LogWriteTime(); n != 1 || d <= 0 {
		t.Errorf("after one event: %d writes in %v, want 1 in more than 0", n, d)
	}
}

// WithUnsafeNoSync writes the log without flushing it: the event is in the
// file (a process crash loses nothing) but no fdatasync ran, and Open
// warns. Without it, every write is flushed before Enqueue returns.
func TestIntakeLogUnsafeNoSync(t *testing.T) {
	ctx := context.Background()
	for _, unsafe := range []bool{false, true} {
		var logged bytes.Buffer
		opts := []sqlite.Option{sqlite.WithLogger(slog.New(slog.NewTextHandler(&logged, nil)))}
		if unsafe {
			opts = append(opts, sqlite.WithUnsafeNoSync())
		}
		db, path := open(t, opts...)
		if warned := strings.Contains(logged.String(), "level=WARN msg=\"intake log: fdatasync is off"); warned != unsafe {
			t.Errorf("unsafe=%v: Open warned %v; its log:\n%s", unsafe, warned, logged.String())
		}
		syncs := sqlite.CountLogSyncs(t, db.LogDir())
		if _, err := db.Enqueue(ctx, []*alexis.Event{event("nosync-1", "Create")}); err != nil {
			t.Fatal(err)
		}
		want := 1
		if unsafe {
			want = 0
		}
		if got := syncs(); got != want || db.LogWrites() != 1 {
			t.Errorf("unsafe=%v: %d flushes for %d log writes, want %d for 1", unsafe, got, db.LogWrites(), want)
		}
		if err := db.Crash(); err != nil {
			t.Fatal(err)
		}
		openAgain(t, path) // replays the log
		if got := rows(t, path); len(got) != 1 || !strings.Contains(got[0], "nosync-1") {
			t.Errorf("unsafe=%v: after a crash and a replay the database holds %q, want the event", unsafe, got)
		}
	}
}
