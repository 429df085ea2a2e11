package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/alexis-project/alexis"
)

// Interrupted is the error recorded for a task that was running when the
// process stopped. Such a task is not run again: Alexis cannot know how far
// it got, and remediation commands are not assumed idempotent.
const Interrupted = "interrupted: alexis stopped while this task was running; not run again"

// RuleChanged is the error returned for a task of a resumed event when the
// journal holds, at the same place (rule, task number, target), a task
// with another action or command: the rule was edited between the two
// runs, and the journal can no longer tell which of its tasks already ran.
// The task is not run, and, as a failure, it stops the target's next
// tasks, so nothing that may have run already runs twice.
const RuleChanged = "not run: the rule changed since this event began (the journal holds another task here); check what ran with the history"

// BeginTask records, durably (synchronous=FULL), that task number task of
// rule t.Rule is about to run on t.Target for event eventID (t's Action,
// Reason, Command and Started are recorded too), and returns the new
// execution's ID. If that task was already begun for this event, nothing
// is recorded and prior holds its outcome: the result it finished with, or,
// if it never finished (the process died while it ran), a failure saying
// Interrupted; if the journal holds another action or command at that
// place (the rule was edited meanwhile), a failure saying RuleChanged. The
// caller must then not run it: this is what keeps an action from running
// twice when an event is handled again after a crash.
func (db *DB) BeginTask(ctx context.Context, eventID int64, task int, t alexis.TaskRun) (id int64, prior *alexis.Result, err error) {
	p := db.claimedInLog(eventID)
	err = db.write(ctx, 1, func(w *wtx, o *op) error {
		prior = nil
		if err := db.writeClaimed(w, o, p); err != nil {
			return err
		}
		err := w.queryRow(beginTask,
			eventID, t.Rule, task, t.Target, t.Action, t.Reason, t.Command, "running", 0, ns(t.Started), 0, "", "").Scan(&id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return internal("journal task", err)
		}
		var (
			r               alexis.Result
			status          string
			started         int64
			dur             int64
			action, command string
		)
		err = w.queryRow(selectTask, eventID, t.Rule, task, t.Target).
			Scan(&id, &status, &r.ExitCode, &started, &dur, &r.Output, &r.Error, &action, &command)
		if err != nil {
			return internal("read journal", err)
		}
		r.Status, r.Started, r.Duration = alexis.Status(status), fromNS(started), time.Duration(dur)
		if status == "running" {
			r = alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Started: fromNS(started), Error: Interrupted}
			if err := endTask(w, id, r); err != nil {
				return err
			}
		}
		if action != t.Action || command != t.Command {
			r = alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Started: time.Now(), Error: RuleChanged}
		}
		prior = &r
		return nil
	})
	return id, prior, err
}

// EndTask records the outcome of a task begun with BeginTask (r.Started
// replaces the recorded start when set).
func (db *DB) EndTask(ctx context.Context, id int64, r alexis.Result) error {
	return db.write(ctx, 1, func(w *wtx, _ *op) error { return endTask(w, id, r) })
}

func endTask(w *wtx, id int64, r alexis.Result) error {
	_, err := w.exec(updateTask, string(r.Status), r.ExitCode, ns(r.Started), int64(r.Duration), tail(r.Output), r.Error, id)
	if err != nil {
		return internal("record task result", err)
	}
	return nil
}

const (
	beginTask  = insertExecution + ` ON CONFLICT(event_id, rule, task_idx, target) WHERE task_idx >= 0 DO NOTHING RETURNING id`
	selectTask = `SELECT id, status, exit_code, started, duration, output, error, action, command FROM executions
		WHERE event_id = ? AND rule = ? AND task_idx = ? AND target = ?`
	updateTask = `UPDATE executions SET status = ?, exit_code = ?, started = COALESCE(NULLIF(?, 0), started),
		duration = ?, output = ?, error = ? WHERE id = ?`
)

const insertExecution = `INSERT INTO executions(event_id, rule, task_idx, target, action, reason, command,
	status, exit_code, started, duration, output, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// OutputTail is how much of a task's output the history keeps (the end).
const OutputTail = 4096

func tail(s string) string {
	if len(s) <= OutputTail {
		return s
	}
	s = s[len(s)-OutputTail:]
	// Do not start in the middle of a UTF-8 sequence.
	for i := 0; i < 4 && i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			return s[i:]
		}
	}
	return s
}
