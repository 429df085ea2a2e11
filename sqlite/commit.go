package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// op is one write waiting for the group committer: fn runs inside the
// batch's transaction, under its own savepoint, so that a failing op is
// rolled back alone.
type op struct {
	fn   func(ctx context.Context, tx *sql.Tx, o *op) error
	n    int  // events it writes, for the batch bound
	wake bool // set by fn when it queued an event
	done chan error
}

// write runs fn in the next group commit and returns once that
// transaction committed (synchronous=FULL: durable) or failed. Once
// handed over, the op is waited for even if ctx ends, so a caller never
// reports a failure for a write that in fact committed.
func (db *DB) write(ctx context.Context, n int, fn func(ctx context.Context, tx *sql.Tx, o *op) error) error {
	o := &op{fn: fn, n: max(n, 1), done: make(chan error, 1)}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return internal("store closed", nil)
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
	busy := false // the previous batch held several ops
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
		busy = len(batch) > 1
		db.commit(batch)
	}
}

// collect adds to batch what is already waiting and, under load (busy),
// what arrives within the window, up to maxBatch events.
func (db *DB) collect(batch []*op, busy bool) []*op {
	n := batch[0].n
	var timer <-chan time.Time
	if db.window > 0 && busy {
		t := time.NewTimer(db.window)
		defer t.Stop()
		timer = t.C
	}
	for n < db.maxBatch {
		select {
		case o := <-db.in:
			batch = append(batch, o)
			n += o.n
			continue
		default:
		}
		if timer == nil {
			return batch
		}
		select {
		case o := <-db.in:
			batch = append(batch, o)
			n += o.n
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
	errs, err := db.commitTx(batch)
	if err != nil {
		db.log.Error("commit failed", "ops", len(batch), "err", err)
		err = internal("store write failed", err)
	}
	wake := false
	for i, o := range batch {
		if err != nil {
			o.done <- err
			continue
		}
		wake = wake || (o.wake && errs[i] == nil)
		o.done <- errs[i]
	}
	if wake {
		db.signal()
	}
}

func (db *DB) commitTx(batch []*op) ([]error, error) {
	ctx := context.Background()
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	errs := make([]error, len(batch))
	for i, o := range batch {
		if len(batch) == 1 {
			errs[i] = o.fn(ctx, tx, o)
			if errs[i] != nil {
				return errs, nil // nothing else to keep: roll back
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			return nil, err
		}
		if errs[i] = o.fn(ctx, tx, o); errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO op"); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE op"); err != nil {
			return nil, err
		}
	}
	return errs, tx.Commit()
}
