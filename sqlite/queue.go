package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/alexis-project/alexis"
)

// Claim takes the oldest queued event and marks it running. It returns nil
// and no error when nothing is queued.
func (db *DB) Claim(ctx context.Context) (*alexis.QueuedEvent, error) {
	var (
		q      alexis.QueuedEvent
		evJSON []byte
		body   []byte
		found  bool
	)
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Tx, _ *op) error {
		err := tx.QueryRowContext(ctx, `UPDATE events SET status = 'running', attempts = attempts + 1, claimed = ?
			WHERE id = (SELECT id FROM events WHERE status = 'queued' ORDER BY id LIMIT 1)
			RETURNING id, attempts, event, body`, db.now().UnixNano()).Scan(&q.ID, &q.Attempts, &evJSON, &body)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return internal("claim event", err)
		}
		found = true
		return nil
	})
	if err != nil || !found {
		return nil, err
	}
	var ev alexis.Event
	if err := json.Unmarshal(evJSON, &ev); err != nil {
		return nil, internal("decode stored event", err)
	}
	if len(body) > 0 {
		ev.Raw = body
	}
	q.Event = &ev
	return &q, nil
}

// exec runs one statement through the group committer.
func (db *DB) exec(ctx context.Context, what, query string, args ...any) (int64, error) {
	var n int64
	err := db.write(ctx, 1, func(ctx context.Context, tx *sql.Tx, _ *op) error {
		res, err := tx.ExecContext(ctx, query, args...)
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
	n, err := db.exec(ctx, "recover events", `UPDATE events SET status = 'queued' WHERE status = 'running'`)
	if n > 0 {
		db.signal()
	}
	return int(n), err
}

// Requeue puts a claimed event back in the queue, for a worker that was
// stopped before it finished. Tasks that ran are in the journal and will
// not run again (see BeginTask).
func (db *DB) Requeue(ctx context.Context, id int64) error {
	_, err := db.exec(ctx, "requeue event", `UPDATE events SET status = 'queued' WHERE id = ? AND status = 'running'`, id)
	return err
}

// Finish marks a claimed event done and, in the same transaction, records
// the task runs that did not go through BeginTask (dry runs, skipped tasks,
// tasks that failed before they could start). errMsg records a failure to
// write the outcome back (a notifier error).
func (db *DB) Finish(ctx context.Context, id int64, runs []alexis.TaskRun, errMsg string) error {
	return db.write(ctx, 1, func(ctx context.Context, tx *sql.Tx, _ *op) error {
		for _, r := range runs {
			if _, err := tx.ExecContext(ctx, insertExecution, id, r.Rule, -1, r.Target, r.Action, r.Reason, r.Command,
				string(r.Status), r.ExitCode, ns(r.Started), int64(r.Duration), tail(r.Output), r.Error); err != nil {
				return internal("record execution", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET status = 'done', finished = ?, error = ? WHERE id = ?`,
			db.now().UnixNano(), errMsg, id); err != nil {
			return internal("finish event", err)
		}
		return nil
	})
}

// QueueDepth returns how many events are queued or running.
func (db *DB) QueueDepth(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE status IN ('queued', 'running')`).Scan(&n)
	if err != nil {
		return 0, internal("queue depth", err)
	}
	return n, nil
}

// EventStatus returns the state of one stored event and how often it was
// claimed.
func (db *DB) EventStatus(ctx context.Context, id int64) (status string, attempts int, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT status, attempts FROM events WHERE id = ?`, id).Scan(&status, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, alexis.Errorf(alexis.ENOTFOUND, "event %d not found", id)
	}
	if err != nil {
		return "", 0, internal("event status", err)
	}
	return status, attempts, nil
}
