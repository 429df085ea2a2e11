package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// op is one write waiting for the group committer: fn runs inside the
// batch's transaction, under its own savepoint, so that a failing op is
// rolled back alone.
type op struct {
	fn   func(w *wtx, o *op) error
	n    int  // events it writes, for the batch bound
	wake bool // set by fn when it queued an event
	// onCommit, set by fn, runs in the committer once the transaction
	// holding the op committed; onFail (set by the sender) once it failed.
	onCommit func()
	onFail   func(error)
	done     chan error
}

// write runs fn in the next group commit and returns once that
// transaction committed (synchronous=FULL: durable) or failed. Once
// handed over, the op is waited for even if ctx ends, so a caller never
// reports a failure for a write that in fact committed.
func (db *DB) write(ctx context.Context, n int, fn func(w *wtx, o *op) error) error {
	if err := ctx.Err(); err != nil {
		return err // not handed over: select would pick at random below
	}
	o := &op{fn: fn, n: max(n, 1), done: make(chan error, 1)}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return db.closedErr()
	}
	select {
	case db.in <- o:
		db.mu.RUnlock()
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	return <-o.done
}

// commitLoop is the single writer. Every write of the store (intake,
// claims, results, journal) goes through it, so concurrent writes share
// one transaction and one fsync, and no writer ever waits in SQLite's
// busy handler (which sleeps in steps of up to 100 ms).
func (db *DB) commitLoop() {
	defer close(db.done)
	busy := false // the previous batch was not small: more writes are coming
	for {
		var batch []*op
		select {
		case o := <-db.in:
			batch = append(batch, o)
		case <-db.stop:
			db.drain()
			return
		}
		batch = db.collect(batch, busy)
		busy = len(batch) >= minBatch/2
		db.commit(batch)
	}
}

// minBatch is the batch size past which the committer stops waiting for
// more writes.
const minBatch = 8

// collect adds to batch what is already waiting and, under load (busy)
// while the batch is smaller than minBatch, what arrives within the
// window; at most maxBatch events.
func (db *DB) collect(batch []*op, busy bool) []*op {
	return collectBatch(db.in, batch, func(o *op) int { return o.n }, busy, db.window, minBatch, db.maxBatch)
}

// collectBatch adds to batch (one item so far) what is already waiting on
// in and, when busy (the previous batch was not small: more is coming),
// what arrives within window while the batch counts fewer than target
// (size counts an item); at most max. It serves the group committer and
// the intake log writer: when the last write was slow, plenty is already
// waiting, and waiting longer would only delay it.
func collectBatch[T any](in <-chan T, batch []T, size func(T) int, busy bool, window time.Duration, target, max int) []T {
	n := size(batch[0])
	var timer <-chan time.Time
	if window > 0 && busy {
		t := time.NewTimer(window)
		defer t.Stop()
		timer = t.C
	}
	for n < max {
		select {
		case x := <-in:
			batch = append(batch, x)
			n += size(x)
			continue
		default:
		}
		if timer == nil || n >= target {
			return batch
		}
		select {
		case x := <-in:
			batch = append(batch, x)
			n += size(x)
		case <-timer:
			return batch
		}
	}
	return batch
}

// drain commits what is waiting when the store closes.
func (db *DB) drain() {
	for {
		select {
		case o := <-db.in:
			db.commit([]*op{o})
		default:
			return
		}
	}
}

func (db *DB) commit(batch []*op) {
	t0 := time.Now()
	errs, err := db.commitTx(batch)
	db.busy.Add(int64(time.Since(t0)))
	db.commits.Add(1)
	db.ops.Add(int64(len(batch)))
	if (err != nil || errs != nil) && len(batch) > 1 {
		// One op failed, or the commit did: the batch was rolled back.
		// Commit each op alone so that only the failing one fails.
		errs, err = make([]error, len(batch)), nil
		for i, o := range batch {
			oe, ce := db.commitTx([]*op{o})
			switch {
			case ce != nil:
				errs[i] = internal("store write failed", ce)
			case oe != nil:
				errs[i] = oe[0]
			}
		}
	}
	if err != nil {
		db.log.Error("commit failed", "ops", len(batch), "err", err)
		err = internal("store write failed", err)
	}
	wake := false
	for i, o := range batch {
		var e error
		switch {
		case err != nil:
			e = err
		case errs != nil:
			e = errs[i]
		}
		wake = wake || (o.wake && e == nil)
		switch {
		case e == nil && o.onCommit != nil:
			o.onCommit()
		case e != nil && o.onFail != nil:
			o.onFail(e)
		}
		o.done <- e
	}
	if wake {
		db.signal()
	}
}

// commitTx runs the ops in one transaction and commits it. If an op fails,
// it stops, rolls back, and returns the ops' errors (nil for those that did
// not fail); a failure to begin or commit is the second result.
func (db *DB) commitTx(batch []*op) ([]error, error) {
	ctx := context.Background()
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	w := &wtx{ctx: ctx, tx: tx, db: db}
	for i, o := range batch {
		o.wake, o.onCommit = false, nil
		if err := o.fn(w, o); err != nil {
			errs := make([]error, len(batch))
			errs[i] = err
			return errs, nil
		}
	}
	return nil, tx.Commit()
}

// wtx is the transaction of a group commit, with the writer's prepared
// statements.
type wtx struct {
	ctx context.Context
	tx  *sql.Tx
	db  *DB
}

func (w *wtx) stmt(q string) *sql.Stmt {
	if st, ok := w.db.stmts[q]; ok {
		return w.tx.StmtContext(w.ctx, st)
	}
	return nil
}

func (w *wtx) exec(q string, args ...any) (sql.Result, error) {
	if st := w.stmt(q); st != nil {
		return st.ExecContext(w.ctx, args...)
	}
	return w.tx.ExecContext(w.ctx, q, args...)
}

func (w *wtx) queryRow(q string, args ...any) *sql.Row {
	if st := w.stmt(q); st != nil {
		return st.QueryRowContext(w.ctx, args...)
	}
	return w.tx.QueryRowContext(w.ctx, q, args...)
}

func (w *wtx) query(q string, args ...any) (*sql.Rows, error) {
	if st := w.stmt(q); st != nil {
		return st.QueryContext(w.ctx, args...)
	}
	return w.tx.QueryContext(w.ctx, q, args...)
}

// prepare prepares the writer's statements, before the committer starts.
func (db *DB) prepare() error {
	db.stmts = map[string]*sql.Stmt{}
	qs := []string{insertPending, insertClaimed, insertExecution, beginTask, selectTask,
		updateTask, finishEvent, requeueEvent, recoverEvents, heartbeat}
	for n := 1; n <= MaxClaim; n++ {
		qs = append(qs, claimQuery(n))
	}
	for _, q := range qs {
		st, err := db.writer.Prepare(q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		db.stmts[q] = st
	}
	return nil
}
