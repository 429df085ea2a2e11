package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"sync"
)

// Crash closes the store as a crash would leave it: the events waiting in
// the intake log are not moved into the database (what the committer
// already holds is still committed, as it could have been before a
// crash).
func (db *DB) Crash() error {
	db.crashed = true
	return db.Close()
}

// LogDir returns the directory of the intake log.
func (db *DB) LogDir() string { return db.logDir }

// Pending returns how many events are in the intake log and not in the
// database.
func (db *DB) Pending() int {
	db.pendMu.Lock()
	defer db.pendMu.Unlock()
	return len(db.pendByID)
}

// Waiting returns how many events wait for a worker in memory, and their
// size as MaxHandOffBytes counts it.
func (db *DB) Waiting() (n, bytes int) {
	db.pendMu.Lock()
	defer db.pendMu.Unlock()
	return len(db.pendQ), db.pendBytes
}

// FailLogWrites makes the intake log's writes fail with err (nil: work
// again). Call it only while no Enqueue runs.
func (db *DB) FailLogWrites(err error) { db.failAppend = err }

// WithMaxHandOff lowers MaxHandOff, for tests of a backlog.
func WithMaxHandOff(n int) Option { return func(db *DB) { db.maxHandOff = n } }

// WithMaxHandOffBytes lowers MaxHandOffBytes.
func WithMaxHandOffBytes(n int) Option { return func(db *DB) { db.maxHandOffBytes = n } }

// Lookups returns how many keys the log writer looked up in the database.
func (db *DB) Lookups() int64 { return db.lookups.Load() }

// KeyFilterReady reports whether the log writer uses the filter of stored
// keys (it takes it before a batch).
func (db *DB) KeyFilterReady() bool {
	req := &intakeReq{done: make(chan struct{})}
	db.intakeIn <- req // a batch: the writer takes a finished filter first
	<-req.done
	return db.filterOn.Load()
}

// SetMaxRecord lowers the largest record the intake log takes, for tests;
// it returns a function that puts it back.
func SetMaxRecord(n int) func() {
	old := maxRecord
	maxRecord = n
	return func() { maxRecord = old }
}

// HoldCommits makes the group committer wait (inside a transaction of its
// own) until the returned function is called.
func (db *DB) HoldCommits() (release func()) {
	held, free := make(chan struct{}), make(chan struct{})
	go db.write(context.Background(), 1, func(*wtx, *op) error {
		close(held)
		<-free
		return nil
	})
	<-held
	return func() { close(free) }
}

// CountLogSyncs counts the intake log's flushes of segment files in dir
// until the test ends.
func CountLogSyncs(t interface{ Cleanup(func()) }, dir string) (count func() int) {
	var mu sync.Mutex
	n := 0
	prev := syncLog
	syncLog = func(f *os.File) error {
		if filepath.Dir(f.Name()) == dir {
			mu.Lock()
			n++
			mu.Unlock()
		}
		return prev(f)
	}
	t.Cleanup(func() { syncLog = prev })
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}
