package sqlite

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/alexis-project/alexis"
)

// DefaultLimit and MaxLimit bound how many executions one query returns.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Executions returns the recorded task runs that f selects, newest first.
func (db *DB) Executions(ctx context.Context, f alexis.ExecutionFilter) ([]alexis.Execution, error) {
	where, args := filterSQL(f)
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		limit = MaxLimit
	}
	args = append(args, limit)
	rows, err := db.read.QueryContext(ctx, `SELECT x.id, x.event_id, e.key, e.source, x.rule, x.target, x.action,
		x.reason, x.command, x.status, x.exit_code, x.started, x.duration, x.output, x.error
		FROM executions x JOIN events e ON e.id = x.event_id`+where+` ORDER BY x.started DESC, x.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, internal("query executions", err)
	}
	defer rows.Close()
	out := []alexis.Execution{}
	for rows.Next() {
		var (
			x            alexis.Execution
			source, stat string
			started, dur int64
		)
		if err := rows.Scan(&x.ID, &x.EventID, &x.Event, &source, &x.Rule, &x.Target, &x.Action, &x.Reason,
			&x.Command, &stat, &x.ExitCode, &started, &dur, &x.Output, &x.Error); err != nil {
			return nil, internal("query executions", err)
		}
		x.Source, x.Status, x.Started, x.Duration = alexis.Source(source), alexis.Status(stat), fromNS(started), time.Duration(dur)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("query executions", err)
	}
	return out, nil
}

func filterSQL(f alexis.ExecutionFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if f.Rule != "" {
		add("x.rule = ?", f.Rule)
	}
	if f.Target != "" {
		add("x.target = ?", f.Target)
	}
	if f.Action != "" {
		add("x.action = ?", f.Action)
	}
	if f.Status != "" {
		add("x.status = ?", string(f.Status))
	}
	if f.EventID != 0 {
		add("x.event_id = ?", f.EventID)
	}
	if !f.Since.IsZero() {
		add("x.started >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add("x.started < ?", f.Until.UnixNano())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Count returns how many task runs of rule against target started at or
// after since, whatever their status except dry-run and skipped: "how many
// times did X run against Y in the last Z hours".
func (db *DB) Count(ctx context.Context, rule, target string, since time.Time) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM executions WHERE rule = ? AND target = ? AND started >= ?
		AND status NOT IN ('dry-run', 'skipped')`, rule, target, since.UnixNano()).Scan(&n)
	if err != nil {
		return 0, internal("count executions", err)
	}
	return n, nil
}

// Summary sums up the task runs that started at or after since, one row
// per (rule, action, target), sorted by rule, action and target. The p95
// duration is the nearest-rank 95th percentile of the successes and
// failures.
func (db *DB) Summary(ctx context.Context, since time.Time) ([]alexis.ExecutionStats, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT rule, action, target, status, duration, started FROM executions
		WHERE started >= ? ORDER BY rule, action, target`, since.UnixNano())
	if err != nil {
		return nil, internal("summary", err)
	}
	defer rows.Close()
	out := []alexis.ExecutionStats{}
	var durs []time.Duration
	var cur *alexis.ExecutionStats
	flush := func() {
		if cur == nil {
			return
		}
		summarize(cur, durs)
		out = append(out, *cur)
		cur, durs = nil, durs[:0]
	}
	for rows.Next() {
		var (
			rule, action, target, status string
			dur, started                 int64
		)
		if err := rows.Scan(&rule, &action, &target, &status, &dur, &started); err != nil {
			return nil, internal("summary", err)
		}
		if cur == nil || cur.Rule != rule || cur.Action != action || cur.Target != target {
			flush()
			cur = &alexis.ExecutionStats{Rule: rule, Action: action, Target: target}
		}
		cur.Runs++
		switch alexis.Status(status) {
		case alexis.StatusSuccess:
			cur.Successes++
			durs = append(durs, time.Duration(dur))
		case alexis.StatusFailure:
			cur.Failures++
			durs = append(durs, time.Duration(dur))
		}
		if t := fromNS(started); t.After(cur.Last) {
			cur.Last = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, internal("summary", err)
	}
	flush()
	return out, nil
}

func summarize(s *alexis.ExecutionStats, durs []time.Duration) {
	if n := s.Successes + s.Failures; n > 0 {
		rate := float64(s.Successes) / float64(n)
		s.SuccessRate = &rate
	}
	if len(durs) == 0 {
		return
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	var sum time.Duration
	for _, d := range durs {
		sum += d
	}
	s.MeanDuration = sum / time.Duration(len(durs))
	rank := (95*len(durs) + 99) / 100 // ceil(0.95 n), nearest rank
	s.P95Duration = durs[rank-1]
}
