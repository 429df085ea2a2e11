package alexis

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// DefaultStopGrace is how long the Engine waits for an action to return
// after its context is done before it reports the task abandoned and moves
// on (see WithStopGrace).
const DefaultStopGrace = 5 * time.Second

// runRule runs the planned tasks of one matched rule on all its targets:
// the targets concurrently, at most limit at a time, the tasks of each
// target in order. The runs come back grouped by target, in target order.
func (e *Engine) runRule(ctx context.Context, ev *Event, r *Rule, m Match) []TaskRun {
	if m.Error != "" {
		// The targets could not be resolved: the rule failed as a whole.
		return e.failAll(ev, r, "targets: "+m.Error)
	}
	if len(m.Tasks) == 0 {
		if r.Targets != nil && len(r.Tasks) > 0 {
			e.log.Warn("rule matched but resolved no targets", "component", "engine", "event", ev.Key(), "rule", r.Name)
		}
		return nil
	}
	var targets []string
	byTarget := map[string][]int{}
	for i, pt := range m.Tasks {
		if _, ok := byTarget[pt.Target]; !ok {
			targets = append(targets, pt.Target)
		}
		byTarget[pt.Target] = append(byTarget[pt.Target], i)
	}
	limit := e.concurrency
	if r.Limits.Concurrency > 0 && r.Limits.Concurrency < limit {
		limit = r.Limits.Concurrency
	}
	if len(targets) == 1 {
		return e.runTarget(ctx, ev, r, m, byTarget[targets[0]])
	}
	results := make([][]TaskRun, len(targets))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for ti, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ctx.Err() == nil {
				select {
				case sem <- struct{}{}:
					defer func() { <-sem }()
				case <-ctx.Done():
				}
			}
			results[ti] = e.runTarget(ctx, ev, r, m, byTarget[t])
		}()
	}
	wg.Wait()
	out := make([]TaskRun, 0, len(m.Tasks))
	for _, rs := range results {
		out = append(out, rs...)
	}
	return out
}

// failAll reports every task of r as not run because of why: the first
// as a failure, the others as skipped.
func (e *Engine) failAll(ev *Event, r *Rule, why string) []TaskRun {
	var out []TaskRun
	for i, task := range r.Tasks {
		run := TaskRun{Rule: r.Name, Action: task.Action, Reason: task.Reason,
			Result: Result{Status: StatusFailure, ExitCode: -1, Started: e.now(), Error: why}}
		if i > 0 {
			run.Result = Result{Status: StatusSkipped, Started: e.now(), Error: "an earlier task failed"}
		}
		e.finish(ev, run, r.DryRun || e.dryRun)
		out = append(out, run)
	}
	return out
}

// runTarget runs the tasks of one rule on one target, in order. idx are
// the indexes in m.Tasks of this target's planned tasks, which are the
// rule's tasks in order.
func (e *Engine) runTarget(ctx context.Context, ev *Event, r *Rule, m Match, idx []int) []TaskRun {
	shared := &Shared{}
	defer func() {
		if err := shared.Close(); err != nil {
			e.log.Warn("closing shared resources", "component", "engine", "event", ev.Key(), "rule", r.Name, "err", err)
		}
	}()
	out := make([]TaskRun, 0, len(idx))
	stopped := e.overLimit(ctx, ev, r, m, idx)
	for k, i := range idx {
		pt := m.Tasks[i]
		task := r.Tasks[k%len(r.Tasks)]
		run := TaskRun{Rule: r.Name, Target: pt.Target, Action: pt.Action, Reason: pt.Reason, Command: pt.Command}
		switch {
		case stopped != "":
			run.Result = Result{Status: StatusSkipped, Started: e.now(), Error: stopped}
		case ctx.Err() != nil:
			run.Result = Result{Status: StatusSkipped, Started: e.now(), Error: "cancelled before it started"}
		case pt.Error != "":
			// An invalid target or a template that failed: nothing runs.
			run.Result = Result{Status: StatusFailure, ExitCode: -1, Started: e.now(), Error: pt.Error}
		case m.DryRun:
			run.Result = Result{Status: StatusDryRun, Started: e.now(), Output: pt.Command}
		default:
			run.Result = e.runTask(ctx, ev, r, task, pt, shared)
		}
		e.finish(ev, run, m.DryRun)
		out = append(out, run)
		if run.Status == StatusFailure && !task.ContinueOnFailure && stopped == "" {
			stopped = fmt.Sprintf("task %d (%s) failed", k+1, describe(pt))
		}
		if task.DelayAfter > 0 && run.Status != StatusSkipped && k < len(idx)-1 && stopped == "" && !m.DryRun {
			t := time.NewTimer(task.DelayAfter)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
	}
	return out
}

// overLimit asks the limiter whether r may act on the target of idx now;
// it returns why not, or "". Dry runs, invalid targets and cancelled runs
// are not counted.
func (e *Engine) overLimit(ctx context.Context, ev *Event, r *Rule, m Match, idx []int) string {
	lim := r.Limits
	first := m.Tasks[idx[0]]
	if lim.PerTarget <= 0 || lim.Window <= 0 || m.DryRun || first.Error != "" || ctx.Err() != nil {
		return ""
	}
	if e.limiter.Allow(r.Name, first.Target, lim.PerTarget, lim.Window, e.now()) {
		return ""
	}
	e.log.Warn("rule over its limit on target; tasks skipped", "component", "engine", "event", ev.Key(), "rule", r.Name,
		"target", first.Target, "per_target", lim.PerTarget, "window", lim.Window.String())
	return fmt.Sprintf("limit: rule %s already acted %d times on %s within %v", r.Name, lim.PerTarget, first.Target, lim.Window)
}

func describe(pt PlannedTask) string {
	if pt.Reason != "" {
		return pt.Reason
	}
	return pt.Action
}

// runTask runs one task under its timeout. A panicking action is a failed
// task, not a crashed server. An action that has not returned DefaultStopGrace
// (WithStopGrace) after its context ended is abandoned: the task is
// reported failed and the target's run goes on without waiting for it.
func (e *Engine) runTask(ctx context.Context, ev *Event, r *Rule, task Task, pt PlannedTask, shared *Shared) Result {
	if task.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, task.Timeout)
		defer cancel()
	}
	start := e.now()
	inv := Invocation{Event: ev, Rule: r.Name, Target: pt.Target, Reason: pt.Reason, Rendered: pt.Command, Shared: shared}
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				e.log.Error("action panicked", "component", "engine", "event", ev.Key(), "rule", r.Name,
					"target", pt.Target, "action", pt.Action, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				done <- Result{Status: StatusFailure, ExitCode: -1, Error: fmt.Sprintf("action %s panicked: %v", pt.Action, p)}
			}
		}()
		done <- task.Run.Run(ctx, inv)
	}()
	var res Result
	select {
	case res = <-done:
	case <-ctx.Done():
		grace := time.NewTimer(e.stopGrace)
		select {
		case res = <-done:
			grace.Stop()
		case <-grace.C:
			e.log.Error("action did not stop after its context ended; abandoned", "component", "engine", "event", ev.Key(),
				"rule", r.Name, "target", pt.Target, "action", pt.Action, "grace_ms", e.stopGrace.Milliseconds())
			res = Result{Status: StatusFailure, ExitCode: -1, Retryable: true,
				Error: fmt.Sprintf("%s; the action did not stop within %v and was abandoned", ctx.Err(), e.stopGrace)}
		}
	}
	if res.Started.IsZero() {
		res.Started = start
	}
	if res.Duration == 0 {
		res.Duration = e.now().Sub(start)
	}
	if res.Status == "" || res.Status == StatusSkipped || res.Status == StatusDryRun {
		// An action reports success or failure; anything else is a bug in it.
		if res.Error == "" {
			res.Error = fmt.Sprintf("action %s returned status %q", pt.Action, res.Status)
		}
		res.Status = StatusFailure
	}
	return res
}

// finish logs a task run with the seed's reporting keys and tells the observers.
func (e *Engine) finish(ev *Event, run TaskRun, dry bool) {
	level := slog.LevelInfo
	if run.Status == StatusFailure {
		level = slog.LevelWarn
	}
	if e.log.Enabled(context.Background(), level) {
		attrs := []slog.Attr{slog.String("component", "engine"), slog.String("event", ev.Key()),
			slog.String("rule", run.Rule), slog.String("target", run.Target), slog.String("action", run.Action),
			slog.String("reason", run.Reason), slog.String("status", string(run.Status)), slog.Int("exit_code", run.ExitCode),
			slog.Int64("elapsed_ms", run.Duration.Milliseconds()), slog.String("command", run.Command)}
		if dry {
			attrs = append(attrs, slog.Bool("dry_run", true))
		}
		if run.Error != "" {
			attrs = append(attrs, slog.String("err", run.Error))
		}
		e.log.LogAttrs(context.Background(), level, "task", attrs...)
	}
	for _, o := range e.observers {
		o.TaskDone(ev, run)
	}
}
