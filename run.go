package alexis

import (
	"context"
	"sync"
	"time"
)

// runRule runs the planned tasks of one matched rule on all its targets.
func (e *Engine) runRule(ctx context.Context, ev *Event, r *Rule, m Match) []TaskRun {
	// Group the planned tasks by target, keeping target order.
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
	results := make([][]TaskRun, len(targets))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for ti, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[ti] = e.skipAll(ev, r, m, byTarget[t], "cancelled before start")
				return
			}
			defer func() { <-sem }()
			results[ti] = e.runTarget(ctx, ev, r, m, byTarget[t])
		}()
	}
	wg.Wait()
	var out []TaskRun
	for _, rs := range results {
		out = append(out, rs...)
	}
	return out
}

func (e *Engine) skipAll(ev *Event, r *Rule, m Match, idx []int, why string) []TaskRun {
	var out []TaskRun
	for _, i := range idx {
		pt := m.Tasks[i]
		run := TaskRun{Rule: r.Name, Target: pt.Target, Action: pt.Action, Reason: pt.Reason, Command: pt.Command,
			Result: Result{Status: StatusSkipped, Started: e.now(), Error: why}}
		e.finish(ev, run)
		out = append(out, run)
	}
	return out
}

// runTarget runs the tasks of one rule on one target, in order.
func (e *Engine) runTarget(ctx context.Context, ev *Event, r *Rule, m Match, idx []int) []TaskRun {
	shared := &Shared{}
	defer shared.Close()
	var out []TaskRun
	stopped := ""
	for k, i := range idx {
		pt := m.Tasks[i]
		task := r.Tasks[k%len(r.Tasks)]
		run := TaskRun{Rule: r.Name, Target: pt.Target, Action: pt.Action, Reason: pt.Reason, Command: pt.Command}
		switch {
		case stopped != "":
			run.Result = Result{Status: StatusSkipped, Started: e.now(), Error: stopped}
		case ctx.Err() != nil:
			run.Result = Result{Status: StatusSkipped, Started: e.now(), Error: "cancelled: " + ctx.Err().Error()}
		case pt.Error != "":
			run.Result = Result{Status: StatusFailure, ExitCode: -1, Started: e.now(), Error: pt.Error}
		case m.DryRun:
			run.Result = Result{Status: StatusDryRun, Started: e.now(), Output: pt.Command}
		default:
			run.Result = e.runTask(ctx, ev, r, task, pt, shared)
		}
		e.finish(ev, run)
		out = append(out, run)
		if run.Status == StatusFailure && !task.ContinueOnFailure && stopped == "" {
			stopped = "an earlier task on this target failed"
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

func (e *Engine) runTask(ctx context.Context, ev *Event, r *Rule, task Task, pt PlannedTask, shared *Shared) Result {
	if task.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, task.Timeout)
		defer cancel()
	}
	start := e.now()
	res := task.Run.Run(ctx, Invocation{Event: ev, Rule: r.Name, Target: pt.Target, Reason: pt.Reason, Rendered: pt.Command, Shared: shared})
	if res.Started.IsZero() {
		res.Started = start
	}
	if res.Duration == 0 {
		res.Duration = e.now().Sub(start)
	}
	if res.Status == "" {
		res.Status = StatusFailure
	}
	return res
}

// finish logs a task run with the seed's reporting keys and tells the observers.
func (e *Engine) finish(ev *Event, run TaskRun) {
	attrs := []any{"component", "engine", "event", ev.Key(), "rule", run.Rule, "target", run.Target,
		"action", run.Action, "reason", run.Reason, "status", run.Status, "exit_code", run.ExitCode,
		"elapsed_ms", run.Duration.Milliseconds()}
	if run.Error != "" {
		attrs = append(attrs, "err", run.Error)
	}
	if run.Status == StatusFailure {
		e.log.Warn("task", attrs...)
	} else {
		e.log.Info("task", attrs...)
	}
	for _, o := range e.observers {
		o.TaskDone(ev, run)
	}
}
