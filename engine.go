package alexis

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// Notifier writes the outcome of a handled event back where people look:
// an OpsGenie note and team, a Dynatrace comment. It is called once per
// handled event, also when no rule matched (to route to investigation).
type Notifier interface {
	Notify(ctx context.Context, r *Report) error
}

// Observer hears about every task run as it finishes: history stores and
// metrics implement it. It must not block.
type Observer interface {
	TaskDone(ev *Event, run TaskRun)
}

// Engine matches events against a rule set and runs the matching rules'
// tasks. It is safe for concurrent use; its rule set can be swapped while it
// serves.
type Engine struct {
	state       atomic.Pointer[engineState]
	log         *slog.Logger
	dryRun      bool
	concurrency int
	notifiers   []Notifier
	observers   []Observer
	now         func() time.Time
	stopGrace   time.Duration
	limiter     Limiter
}

// engineState is one rule set and everything derived from it. It is
// replaced as a whole by Swap.
type engineState struct {
	set   *RuleSet
	index *index
}

// Option configures an Engine.
type Option func(*Engine)

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithDryRun makes the engine plan and report every task without touching
// any host: results have status dry-run and carry the rendered command.
func WithDryRun(dry bool) Option { return func(e *Engine) { e.dryRun = dry } }

// WithConcurrency bounds how many targets one event acts on at once
// (default 16).
func WithConcurrency(n int) Option {
	return func(e *Engine) {
		if n > 0 {
			e.concurrency = n
		}
	}
}

// WithNotifiers adds notifiers, called in order after each handled event.
func WithNotifiers(n ...Notifier) Option {
	return func(e *Engine) { e.notifiers = append(e.notifiers, n...) }
}

// WithObservers adds observers of task runs.
func WithObservers(o ...Observer) Option {
	return func(e *Engine) { e.observers = append(e.observers, o...) }
}

// WithStopGrace sets how long a task's action may take to return after its
// context ended (a timeout, a cancelled Handle) before the Engine reports
// it abandoned and moves on (default DefaultStopGrace).
func WithStopGrace(d time.Duration) Option {
	return func(e *Engine) {
		if d > 0 {
			e.stopGrace = d
		}
	}
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// New returns an Engine serving rs.
func New(rs *RuleSet, opts ...Option) (*Engine, error) {
	e := &Engine{log: slog.Default(), concurrency: 16, now: time.Now, stopGrace: DefaultStopGrace, limiter: NewMemoryLimiter()}
	for _, o := range opts {
		o(e)
	}
	if err := e.Swap(rs); err != nil {
		return nil, err
	}
	return e, nil
}

// Swap atomically replaces the rule set. Events being handled finish with
// the set they started with. A nil set is refused and the old one kept.
func (e *Engine) Swap(rs *RuleSet) error {
	if rs == nil {
		return Errorf(EINVALID, "nil rule set")
	}
	e.state.Store(&engineState{set: rs, index: buildIndex(rs.Rules)})
	return nil
}

// RuleSet returns the rule set in use.
func (e *Engine) RuleSet() *RuleSet { return e.state.Load().set }

// DryRun reports whether the engine is in dry-run mode.
func (e *Engine) DryRun() bool { return e.dryRun }

// Match returns the rules that match ev, in rule-set order.
//
// Semantics: every enabled rule is considered, in the order of the rule set
// (files in lexical path order, rules in file order). Several rules may
// match one event and all of them apply, as in the seed. A rule matches
// when the event's source is among its sources (or it names none) and its
// `when` expression is true. A rule with `enabled: false` is loaded and
// validated but never matches. An event whose Ignore is set matches
// nothing. An expression that fails at run time does not match, and the
// failure is logged with the rule's name.
func (e *Engine) Match(ev *Event) []*Rule {
	st := e.state.Load()
	rules, _ := e.match(st, ev)
	return rules
}

// match returns the matching rules and the event's scope.
func (e *Engine) match(st *engineState, ev *Event) ([]*Rule, Scope) {
	if ev.Ignore != "" {
		return nil, nil
	}
	var scope Scope
	if st.set.Prepare != nil {
		scope = st.set.Prepare(ev)
	}
	var out []*Rule
	st.index.candidates(ev, func(r *Rule) {
		if r.When == nil {
			out = append(out, r)
			return
		}
		ok, err := r.When.Eval(scope)
		if err != nil {
			e.log.Warn("rule expression failed", "component", "engine", "rule", r.Name, "event", ev.Key(), "err", err)
			return
		}
		if ok {
			out = append(out, r)
		}
	})
	return out, scope
}

// Plan computes what handling ev would do, running nothing.
func (e *Engine) Plan(ev *Event) Plan {
	p, _ := e.plan(e.state.Load(), ev)
	return p
}

func (e *Engine) plan(st *engineState, ev *Event) (Plan, []*Rule) {
	p := Plan{Event: ev.Key(), Ignored: ev.Ignore, Matches: []Match{}}
	rules, scope := e.match(st, ev)
	for _, r := range rules {
		m := Match{Rule: r.Name, DryRun: e.dryRun || r.DryRun, Targets: []string{}, Tasks: []PlannedTask{}}
		targets := []string{""}
		if r.Targets != nil {
			ts, err := r.Targets.Select(scope)
			if err != nil {
				m.Error = err.Error()
				ts = nil
			}
			ts = dedupe(ts)
			targets = ts
			m.Targets = append(m.Targets, ts...)
		}
		for _, t := range targets {
			for _, task := range r.Tasks {
				m.Tasks = append(m.Tasks, planTask(ev, t, task))
			}
		}
		p.Matches = append(p.Matches, m)
	}
	return p, rules
}

// dedupe drops repeated targets, keeping the first of each: a host named
// twice by an alert is acted on once.
func dedupe(ts []string) []string {
	seen := make(map[string]bool, len(ts))
	out := ts[:0:0]
	for _, t := range ts {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func planTask(ev *Event, target string, task Task) PlannedTask {
	pt := PlannedTask{Target: target, Action: task.Action, Reason: task.Reason, Timeout: task.Timeout}
	if target != "" {
		if err := ValidTarget(target); err != nil {
			pt.Error = err.Error()
			return pt
		}
	}
	cmd, err := task.Run.Render(ev, target)
	if err != nil {
		pt.Error = err.Error()
	}
	pt.Command = cmd
	return pt
}

// Handle matches ev and runs the tasks of every matching rule, then calls
// the notifiers.
//
// Rules are handled one after the other, in match order. Within a rule,
// targets run concurrently, at most WithConcurrency (or the rule's
// limits.concurrency, when lower) at a time, and each target's tasks run
// in order with a fresh Shared, pausing delay_after between tasks. The
// first failure stops that target's remaining tasks (reported skipped)
// unless the failed task says continue_on_failure; other targets go on.
// A target over the rule's limits.per_target within limits.window (see
// WithLimiter) has all its tasks skipped. A task whose target is not a
// valid host name (ValidTarget) or whose
// templates fail to render fails without running. A rule whose targets
// could not be resolved fails as a whole. In dry-run mode (WithDryRun, or
// the rule's DryRun) every task is reported with status dry-run and its
// rendered command, and no action runs.
//
// Cancelling ctx stops all work promptly: running actions see their
// context end, tasks not yet started are skipped, pauses end. An action
// that ignores its context is abandoned after the stop grace.
//
// Every task run is logged with the keys event, rule, target, action,
// reason, status, exit_code, elapsed_ms and command, and handed to the
// observers. The returned error joins the notifiers' errors; task failures
// are in the Report, not in the error.
func (e *Engine) Handle(ctx context.Context, ev *Event) (*Report, error) {
	st := e.state.Load()
	plan, rules := e.plan(st, ev)
	rep := &Report{Event: ev, Plan: plan, Rules: rules}
	if ev.Ignore != "" {
		e.log.Info("event ignored", "component", "engine", "event", ev.Key(), "reason", ev.Ignore)
		return rep, nil
	}
	if len(rules) == 0 {
		e.log.Info("no rule matched", "component", "engine", "event", ev.Key(), "source", ev.Source)
	}
	n := 0
	for _, m := range plan.Matches {
		n += len(m.Tasks)
	}
	if n > 0 {
		rep.Runs = make([]TaskRun, 0, n)
	}
	for i, r := range rules {
		rep.Runs = append(rep.Runs, e.runRule(ctx, ev, r, plan.Matches[i])...)
	}
	var errs []error
	for _, n := range e.notifiers {
		if err := n.Notify(ctx, rep); err != nil {
			e.log.Error("notify failed", "component", "engine", "event", ev.Key(), "err", err)
			errs = append(errs, err)
		}
	}
	return rep, errors.Join(errs...)
}
