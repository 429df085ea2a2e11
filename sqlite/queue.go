package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/alexis-project/alexis"
)

// Claim takes up to n (at most MaxClaim) of the oldest queued events and
// marks them running. It returns none and no error when nothing is queued.
//
// Events queued in the database (requeued, resumed after a restart, or
// moved there from memory) come first, in order; then the events waiting
// in the intake log, in order, handed over from memory without a write
// (claimPending).
func (db *DB) Claim(ctx context.Context, n int) ([]*alexis.QueuedEvent, error) {
	n = min(max(n, 1), MaxClaim)
	if db.sqlQueued.Load() {
		qs, err := db.claimStored(ctx, n)
		if err != nil || len(qs) > 0 {
			return qs, err
		}
	}
	return db.claimPending(ctx, n)
}

// claimPending claims up to n events waiting in the intake log. Nothing
// is written: an event claimed from the log gets its row in SQLite with
// its first journal entry (BeginTask) or with its outcome (Finish),
// whichever comes first, so an event that runs no action costs one write.
// If the process dies before, the event is still in the log, and the next
// start handles it again; a task that began is in the journal.
func (db *DB) claimPending(ctx context.Context, n int) ([]*alexis.QueuedEvent, error) {
	db.pendMu.Lock()
	defer db.pendMu.Unlock()
	ps := db.popPending(n, pClaiming)
	out := make([]*alexis.QueuedEvent, len(ps))
	for i, p := range ps {
		p.attempts++
		out[i] = &alexis.QueuedEvent{ID: p.id, Event: p.ev, Attempts: p.attempts}
	}
	return out, nil
}

// claimStored claims up to n events queued in the database.
func (db *DB) claimStored(ctx context.Context, n int) ([]*alexis.QueuedEvent, error) {
	type claimed struct {
		q        alexis.QueuedEvent
		ev, body []byte
	}
	var got []claimed
	err := db.write(ctx, 1, func(w *wtx, o *op) error {
		got = got[:0]
		rows, err := w.query(claimQuery(n), db.now().UnixNano())
		if err != nil {
			return internal("claim events", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.q.ID, &c.q.Attempts, &c.ev, &c.body); err != nil {
				return internal("claim events", err)
			}
			got = append(got, c)
		}
		if err := rows.Err(); err != nil {
			return internal("claim events", err)
		}
		if len(got) < n {
			// None left; a later move or requeue sets it again (its
			// onCommit runs after this one).
			o.onCommit = func() { db.sqlQueued.Store(false) }
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(got, func(i, j int) bool { return got[i].q.ID < got[j].q.ID })
	out := make([]*alexis.QueuedEvent, 0, len(got))
	for _, c := range got {
		var ev alexis.Event
		if err := json.Unmarshal(c.ev, &ev); err != nil {
			db.log.Error("stored event cannot be decoded; marked done", "event_id", c.q.ID, "err", err)
			db.Finish(ctx, c.q.ID, nil, "stored event cannot be decoded: "+err.Error())
			continue
		}
		if len(c.body) > 0 {
			ev.Raw = c.body
		}
		q := c.q
		q.Event = &ev
		out = append(out, &q)
	}
	return out, nil
}

const (
	recoverEvents = `UPDATE events SET status = 'queued' WHERE status = 'running'`
	requeueEvent  = `UPDATE events SET status = 'queued' WHERE id = ? AND status = 'running'`
	finishEvent   = `UPDATE events SET status = 'done', finished = ?, error = ? WHERE id = ?`
	heartbeat     = `INSERT INTO meta(k, v) VALUES('heartbeat', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`
)

// MaxClaim is the most events one Claim takes.
const MaxClaim = 16

// claimQuery is the claim statement for n events. The limit is written in
// the text, not bound: a bound limit made SQLite prepare the statement
// again at every call.
func claimQuery(n int) string {
	return fmt.Sprintf(`UPDATE events SET status = 'running', attempts = attempts + 1, claimed = ?
		WHERE id IN (SELECT id FROM events WHERE status = 'queued' ORDER BY id LIMIT %d)
		RETURNING id, attempts, event, body`, min(max(n, 1), MaxClaim))
}

// exec runs one statement through the group committer.
func (db *DB) exec(ctx context.Context, what, query string, args ...any) (int64, error) {
	var n int64
	err := db.write(ctx, 1, func(w *wtx, _ *op) error {
		res, err := w.exec(query, args...)
		if err != nil {
			return internal(what, err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// Recover puts back in the queue every event left running by a process
// that stopped: call it once at start, before any worker claims. It
// returns how many events it requeued. (A store shared by several
// processes would need leases instead; this one has one owner.)
func (db *DB) Recover(ctx context.Context) (int, error) {
	n, err := db.exec(ctx, "recover events", recoverEvents)
	if n > 0 {
		db.sqlQueued.Store(true)
		db.signal()
	}
	return int(n), err
}

// Requeue puts a claimed event back in the queue, for a worker that was
// stopped before it finished. Tasks that ran are in the journal and will
// not run again (see BeginTask).
func (db *DB) Requeue(ctx context.Context, id int64) error {
	if p := db.claimedInLog(id); p != nil {
		// Through the committer, after any BeginTask or Finish of the event
		// already waiting there: if one of those wrote the row, requeue the
		// row; otherwise put the event back in memory.
		return db.write(ctx, 1, func(w *wtx, o *op) error {
			res, err := w.exec(requeueEvent, id)
			if err != nil {
				return internal("requeue event", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				o.onCommit = func() { db.sqlQueued.Store(true) }
			} else {
				o.onCommit = func() { db.unpop([]*pending{p}) }
			}
			return nil
		})
	}
	n, err := db.exec(ctx, "requeue event", requeueEvent, id)
	if n > 0 {
		db.sqlQueued.Store(true)
	}
	return err
}

// Finish marks a claimed event done and, in the same transaction, records
// the task runs that did not go through BeginTask (dry runs, skipped tasks,
// tasks that failed before they could start). errMsg records a failure to
// write the outcome back (a notifier error).
func (db *DB) Finish(ctx context.Context, id int64, runs []alexis.TaskRun, errMsg string) error {
	p := db.claimedInLog(id)
	return db.write(ctx, 1+len(runs), func(w *wtx, o *op) error {
		// An event still only in the log is written done at once.
		now := db.now().UnixNano()
		wrote, err := db.writeClaimedAs(w, o, p, alexis.EventDone, now, errMsg)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if _, err := w.exec(insertExecution, id, r.Rule, -1, r.Target, r.Action, r.Reason, r.Command,
				string(r.Status), r.ExitCode, ns(r.Started), int64(r.Duration), tail(r.Output), r.Error); err != nil {
				return internal("record execution", err)
			}
		}
		if wrote {
			return nil
		}
		res, err := w.exec(finishEvent, now, errMsg, id)
		if err != nil {
			return internal("finish event", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return alexis.Errorf(alexis.ENOTFOUND, "finish event %d: no such event claimed", id)
		}
		return nil
	})
}

// QueueDepth returns how many events are queued or running, in the
// database and in the intake log. (An event moving from the log into the
// database at that instant may count twice.)
func (db *DB) QueueDepth(ctx context.Context) (int, error) {
	// The log first: an event that leaves it meanwhile is then counted
	// twice rather than not at all.
	db.pendMu.Lock()
	pend := db.pendLive
	db.pendMu.Unlock()
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE status IN ('queued', 'running')`).Scan(&n)
	if err != nil {
		return 0, internal("queue depth", err)
	}
	return n + pend, nil
}

// EventStatus returns the state of one stored event and how often it was
// claimed.
func (db *DB) EventStatus(ctx context.Context, id int64) (status string, attempts int, err error) {
	db.pendMu.Lock()
	if p := db.pendByID[id]; p != nil {
		status, attempts = p.status(), p.attempts
		db.pendMu.Unlock()
		return status, attempts, nil
	}
	db.pendMu.Unlock()
	err = db.read.QueryRowContext(ctx, `SELECT status, attempts FROM events WHERE id = ?`, id).Scan(&status, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, alexis.Errorf(alexis.ENOTFOUND, "event %d not found", id)
	}
	if err != nil {
		return "", 0, internal("event status", err)
	}
	return status, attempts, nil
}
