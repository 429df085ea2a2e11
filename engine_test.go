package alexis_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/alexis-project/alexis"
)

// fake is an Action that records its runs and does what it is told.
type fake struct {
	name      string
	failOn    map[string]bool // targets on which it fails
	sleep     time.Duration   // honours ctx
	ignoreCtx bool            // sleeps through a cancelled context
	panics    bool
	renderErr map[string]bool // targets whose Render fails

	mu     sync.Mutex
	runs   []string    // targets, in run order
	starts []time.Time // start of each run
	ends   []time.Time

	active, maxActive atomic.Int32
}

func (f *fake) Render(ev *alexis.Event, target string) (string, error) {
	if f.renderErr[target] {
		return "", fmt.Errorf("template: %s: boom", f.name)
	}
	return f.name + " " + target, nil
}

func (f *fake) Run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for {
		m := f.maxActive.Load()
		if n <= m || f.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	f.runs = append(f.runs, inv.Target)
	f.starts = append(f.starts, time.Now())
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.ends = append(f.ends, time.Now())
		f.mu.Unlock()
	}()
	if inv.Rendered != f.name+" "+inv.Target {
		return alexis.Result{Status: alexis.StatusFailure, Error: "wrong Rendered " + inv.Rendered}
	}
	if f.panics {
		panic("fake exploded")
	}
	if f.sleep > 0 {
		if f.ignoreCtx {
			time.Sleep(f.sleep)
		} else {
			select {
			case <-time.After(f.sleep):
			case <-ctx.Done():
				return alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Retryable: true, Error: "fake: " + ctx.Err().Error()}
			}
		}
	}
	if f.failOn[inv.Target] {
		return alexis.Result{Status: alexis.StatusFailure, ExitCode: 1, Output: "no", Error: "exit status 1"}
	}
	return alexis.Result{Status: alexis.StatusSuccess, Output: "ok " + inv.Target}
}

func (f *fake) ran() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.runs...)
}

func task(f *fake, reason string) alexis.Task {
	return alexis.Task{Action: f.name, Reason: reason, Run: f}
}

func newRule(name string, targets []string, tasks ...alexis.Task) *alexis.Rule {
	r := &alexis.Rule{Name: name, Enabled: true, Tasks: tasks}
	if targets != nil {
		r.Targets = alexis.StaticTargets(targets)
	}
	return r
}

var testEvent = &alexis.Event{Source: alexis.SourceGeneric, ID: "e1", Action: "Create", Message: "disk full"}

func newEngine(t *testing.T, rules []*alexis.Rule, opts ...alexis.Option) (*alexis.Engine, *logSink) {
	t.Helper()
	sink := &logSink{}
	opts = append([]alexis.Option{alexis.WithLogger(slog.New(sink))}, opts...)
	e, err := alexis.New(&alexis.RuleSet{Rules: rules}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e, sink
}

func handle(t *testing.T, e *alexis.Engine) *alexis.Report {
	t.Helper()
	rep, err := e.Handle(context.Background(), testEvent)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return rep
}

var ignoreTimes = cmpopts.IgnoreFields(alexis.Result{}, "Started", "Duration")

func ok(rule, target, action, reason string) alexis.TaskRun {
	return alexis.TaskRun{Rule: rule, Target: target, Action: action, Reason: reason, Command: action + " " + target,
		Result: alexis.Result{Status: alexis.StatusSuccess, Output: "ok " + target}}
}

func failedRun(rule, target, action, reason string) alexis.TaskRun {
	return alexis.TaskRun{Rule: rule, Target: target, Action: action, Reason: reason, Command: action + " " + target,
		Result: alexis.Result{Status: alexis.StatusFailure, ExitCode: 1, Output: "no", Error: "exit status 1"}}
}

func skipped(rule, target, action, reason, why string) alexis.TaskRun {
	return alexis.TaskRun{Rule: rule, Target: target, Action: action, Reason: reason, Command: action + " " + target,
		Result: alexis.Result{Status: alexis.StatusSkipped, Error: why}}
}

func TestHandleTasksInOrderFirstFailureStops(t *testing.T) {
	a, b := &fake{name: "a"}, &fake{name: "b", failOn: map[string]bool{"web-02": true}}
	c := &fake{name: "c"}
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", []string{"web-01", "web-02"}, task(a, "one"), task(b, "two"), task(c, "three"))})
	rep := handle(t, e)
	want := []alexis.TaskRun{
		ok("r", "web-01", "a", "one"), ok("r", "web-01", "b", "two"), ok("r", "web-01", "c", "three"),
		ok("r", "web-02", "a", "one"), failedRun("r", "web-02", "b", "two"), skipped("r", "web-02", "c", "three", "task 2 (two) failed"),
	}
	if diff := cmp.Diff(want, rep.Runs, ignoreTimes); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if got := c.ran(); !cmp.Equal(got, []string{"web-01"}) {
		t.Errorf("task three ran on %v, want only web-01", got)
	}
	if got := rep.RuleStatus("r"); got != alexis.StatusFailure {
		t.Errorf("RuleStatus = %s, want failure", got)
	}
}

func TestHandleContinueOnFailure(t *testing.T) {
	a := &fake{name: "a", failOn: map[string]bool{"web-01": true}}
	b := &fake{name: "b"}
	ta := task(a, "one")
	ta.ContinueOnFailure = true
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", []string{"web-01"}, ta, task(b, "two"))})
	rep := handle(t, e)
	want := []alexis.TaskRun{failedRun("r", "web-01", "a", "one"), ok("r", "web-01", "b", "two")}
	if diff := cmp.Diff(want, rep.Runs, ignoreTimes); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

func TestHandleDelayAfter(t *testing.T) {
	a, b := &fake{name: "a"}, &fake{name: "b"}
	ta := task(a, "one")
	ta.DelayAfter = 200 * time.Millisecond
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", []string{"web-01"}, ta, task(b, "two"))})
	handle(t, e)
	if gap := b.starts[0].Sub(a.ends[0]); gap < 200*time.Millisecond {
		t.Errorf("task two started %v after task one ended, want at least the 200ms delay", gap)
	}
}

func TestHandleConcurrencyBound(t *testing.T) {
	var targets []string
	for i := 0; i < 12; i++ {
		targets = append(targets, fmt.Sprintf("web-%02d", i))
	}
	for _, tc := range []struct {
		name   string
		engine int
		rule   int
		want   int32
	}{
		{"engine bound", 3, 0, 3},
		{"rule bound lower", 4, 2, 2},
		{"rule bound higher than engine", 2, 5, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{name: "f", sleep: 60 * time.Millisecond}
			r := newRule("r", targets, task(f, ""))
			r.Limits.Concurrency = tc.rule
			e, _ := newEngine(t, []*alexis.Rule{r}, alexis.WithConcurrency(tc.engine))
			rep := handle(t, e)
			if len(f.ran()) != len(targets) {
				t.Fatalf("ran on %d targets, want %d", len(f.ran()), len(targets))
			}
			if got := f.maxActive.Load(); got > tc.want || got < 2 {
				t.Errorf("at most %d targets ran at once, want %d (and more than one)", got, tc.want)
			}
			for i, run := range rep.Runs { // reported in target order whatever the finishing order
				if run.Target != targets[i] {
					t.Errorf("run %d is on %s, want %s", i, run.Target, targets[i])
				}
			}
		})
	}
}

func TestHandleCancelStopsPromptly(t *testing.T) {
	slow := &fake{name: "slow", sleep: 30 * time.Second}
	after := &fake{name: "after"}
	ts := task(slow, "wait")
	ts.ContinueOnFailure = true
	ts.DelayAfter = 30 * time.Second
	var targets []string
	for i := 0; i < 6; i++ {
		targets = append(targets, fmt.Sprintf("h%d", i))
	}
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", targets, ts, task(after, "next"))}, alexis.WithConcurrency(2))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	rep, err := e.Handle(ctx, testEvent)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Handle took %v after cancel", took)
	}
	if got := after.ran(); len(got) != 0 {
		t.Errorf("tasks after the cancel ran on %v", got)
	}
	var cancelled, notStarted int
	for _, run := range rep.Runs {
		switch {
		case run.Action == "slow" && run.Status == alexis.StatusFailure && run.Error == "fake: context canceled":
			cancelled++
		case run.Status == alexis.StatusSkipped && run.Error == "cancelled before it started":
			notStarted++
		default:
			t.Errorf("unexpected run %+v", run)
		}
	}
	if cancelled != 2 || notStarted != 10 {
		t.Errorf("%d runs cancelled while running and %d skipped, want 2 and 10", cancelled, notStarted)
	}
}

func TestHandleTaskTimeout(t *testing.T) {
	slow := &fake{name: "slow", sleep: 30 * time.Second}
	ts := task(slow, "")
	ts.Timeout = 100 * time.Millisecond
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", []string{"h"}, ts)})
	start := time.Now()
	rep := handle(t, e)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v", took)
	}
	if got := rep.Runs[0]; got.Status != alexis.StatusFailure || got.Error != "fake: context deadline exceeded" {
		t.Errorf("run %+v, want a failure from the deadline", got)
	}
}

func TestHandleAbandonsActionIgnoringContext(t *testing.T) {
	stuck := &fake{name: "stuck", sleep: 5 * time.Second, ignoreCtx: true}
	ts := task(stuck, "")
	ts.Timeout = 100 * time.Millisecond
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", []string{"h"}, ts)}, alexis.WithStopGrace(100*time.Millisecond))
	start := time.Now()
	rep := handle(t, e)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v, want the action abandoned", took)
	}
	want := []alexis.TaskRun{{Rule: "r", Target: "h", Action: "stuck", Command: "stuck h", Result: alexis.Result{
		Status: alexis.StatusFailure, ExitCode: -1, Retryable: true,
		Error: "context deadline exceeded; the action did not stop within 100ms and was abandoned"}}}
	if diff := cmp.Diff(want, rep.Runs, ignoreTimes); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

func TestHandlePanickingAction(t *testing.T) {
	p, next := &fake{name: "p", panics: true}, &fake{name: "next"}
	e, sink := newEngine(t, []*alexis.Rule{newRule("r", []string{"h"}, task(p, ""), task(next, ""))})
	rep := handle(t, e)
	want := []alexis.TaskRun{
		{Rule: "r", Target: "h", Action: "p", Command: "p h", Result: alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Error: "action p panicked: fake exploded"}},
		skipped("r", "h", "next", "", "task 1 (p) failed"),
	}
	if diff := cmp.Diff(want, rep.Runs, ignoreTimes); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if !sink.has("action panicked") {
		t.Error("the panic was not logged")
	}
}

func TestHandleDryRun(t *testing.T) {
	for _, tc := range []struct {
		name       string
		engineDry  bool
		ruleDry    bool
		wantStatus alexis.Status
	}{
		{"engine", true, false, alexis.StatusDryRun},
		{"rule", false, true, alexis.StatusDryRun},
		{"neither", false, false, alexis.StatusSuccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := &fake{name: "a"}, &fake{name: "b"}
			ta := task(a, "one")
			ta.DelayAfter = time.Hour // a dry run does not wait
			r := newRule("r", []string{"web-01", "web-02"}, ta, task(b, "two"))
			r.DryRun = tc.ruleDry
			e, sink := newEngine(t, []*alexis.Rule{r}, alexis.WithDryRun(tc.engineDry))
			if tc.wantStatus == alexis.StatusSuccess {
				ta.DelayAfter = 0
				r.Tasks[0] = ta
			}
			rep := handle(t, e)
			if tc.wantStatus != alexis.StatusDryRun {
				if len(a.ran()) != 2 {
					t.Errorf("not a dry run, but ran %v", a.ran())
				}
				return
			}
			if n := len(a.ran()) + len(b.ran()); n != 0 {
				t.Errorf("dry run ran %d tasks", n)
			}
			dry := func(target, action, reason string) alexis.TaskRun {
				return alexis.TaskRun{Rule: "r", Target: target, Action: action, Reason: reason, Command: action + " " + target,
					Result: alexis.Result{Status: alexis.StatusDryRun, Output: action + " " + target}}
			}
			want := []alexis.TaskRun{dry("web-01", "a", "one"), dry("web-01", "b", "two"), dry("web-02", "a", "one"), dry("web-02", "b", "two")}
			if diff := cmp.Diff(want, rep.Runs, ignoreTimes); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
			if !rep.Plan.Matches[0].DryRun || rep.RuleStatus("r") != alexis.StatusDryRun {
				t.Errorf("plan DryRun %v, RuleStatus %s", rep.Plan.Matches[0].DryRun, rep.RuleStatus("r"))
			}
			for _, rec := range sink.tasks() {
				if rec["dry_run"] != "true" || rec["status"] != "dry-run" {
					t.Errorf("log %v: want dry_run=true status=dry-run", rec)
				}
			}
		})
	}
}

func TestHandleHostileTarget(t *testing.T) {
	a, b := &fake{name: "ssh"}, &fake{name: "b"}
	bad := "-oProxyCommand=touch /tmp/pwned"
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", []string{bad, "web-01", "web-01;reboot"}, task(a, "restart"), task(b, "check"))})
	rep := handle(t, e)
	badRun := func(target string) []alexis.TaskRun {
		return []alexis.TaskRun{
			{Rule: "r", Target: target, Action: "ssh", Reason: "restart", Result: alexis.Result{Status: alexis.StatusFailure, ExitCode: -1,
				Error: fmt.Sprintf("target %q is not a hostname or an IP address", target)}},
			{Rule: "r", Target: target, Action: "b", Reason: "check", Result: alexis.Result{Status: alexis.StatusSkipped, Error: "task 1 (restart) failed"}},
		}
	}
	want := append(badRun(bad), ok("r", "web-01", "ssh", "restart"), ok("r", "web-01", "b", "check"))
	want = append(want, badRun("web-01;reboot")...)
	if diff := cmp.Diff(want, rep.Runs, ignoreTimes); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if got := append(a.ran(), b.ran()...); !cmp.Equal(got, []string{"web-01", "web-01"}) {
		t.Errorf("actions ran on %q, want only web-01", got)
	}
}

func TestHandleRenderError(t *testing.T) {
	a := &fake{name: "a", renderErr: map[string]bool{"h1": true}}
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", []string{"h1", "h2"}, task(a, ""))})
	rep := handle(t, e)
	want := []alexis.TaskRun{
		{Rule: "r", Target: "h1", Action: "a", Result: alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Error: "template: a: boom"}},
		ok("r", "h2", "a", ""),
	}
	if diff := cmp.Diff(want, rep.Runs, ignoreTimes); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

type badTargets struct{}

func (badTargets) Select(alexis.Scope) ([]string, error) {
	return nil, errors.New(`targets_from: "details.host" is not a string`)
}

func TestHandleTargetsError(t *testing.T) {
	a, b := &fake{name: "a"}, &fake{name: "b"}
	r := newRule("r", nil, task(a, "one"), task(b, "two"))
	r.Targets = badTargets{}
	e, sink := newEngine(t, []*alexis.Rule{r})
	rep := handle(t, e)
	want := []alexis.TaskRun{
		{Rule: "r", Action: "a", Reason: "one", Result: alexis.Result{Status: alexis.StatusFailure, ExitCode: -1,
			Error: `targets: targets_from: "details.host" is not a string`}},
		{Rule: "r", Action: "b", Reason: "two", Result: alexis.Result{Status: alexis.StatusSkipped, Error: "an earlier task failed"}},
	}
	if diff := cmp.Diff(want, rep.Runs, ignoreTimes); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if len(a.ran())+len(b.ran()) != 0 || rep.RuleStatus("r") != alexis.StatusFailure {
		t.Errorf("ran %v %v, status %s", a.ran(), b.ran(), rep.RuleStatus("r"))
	}
	if len(sink.tasks()) != 2 {
		t.Errorf("logged %d task records, want 2", len(sink.tasks()))
	}
}

func TestHandleNoTargetAndDuplicateTargets(t *testing.T) {
	a, b := &fake{name: "a"}, &fake{name: "b"}
	e, _ := newEngine(t, []*alexis.Rule{
		newRule("local", nil, task(a, "")),
		newRule("dup", []string{"web-01", "web-01", "web-02", "web-01"}, task(b, "")),
	})
	rep := handle(t, e)
	want := []alexis.TaskRun{ok("local", "", "a", ""), ok("dup", "web-01", "b", ""), ok("dup", "web-02", "b", "")}
	if diff := cmp.Diff(want, rep.Runs, ignoreTimes); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if got := rep.Plan.Matches[1].Targets; !cmp.Equal(got, []string{"web-01", "web-02"}) {
		t.Errorf("plan targets %v", got)
	}
}

func TestHandleLogsReportingKeys(t *testing.T) {
	a := &fake{name: "a", failOn: map[string]bool{"web-02": true}}
	e, sink := newEngine(t, []*alexis.Rule{newRule("r", []string{"web-01", "web-02"}, task(a, "restart-gc"))})
	handle(t, e)
	recs := sink.tasks()
	if len(recs) != 2 {
		t.Fatalf("%d task records, want 2", len(recs))
	}
	for _, rec := range recs {
		for _, k := range []string{"rule", "target", "action", "reason", "status", "elapsed_ms", "event", "exit_code", "command"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("record %v lacks %q", rec, k)
			}
		}
	}
	byTarget := map[string]map[string]string{}
	for _, r := range recs {
		byTarget[r["target"]] = r
	}
	if r := byTarget["web-02"]; r["status"] != "failure" || r["level"] != "WARN" || r["err"] != "exit status 1" || r["event"] != "generic/e1/Create" {
		t.Errorf("failure record %v", r)
	}
	if r := byTarget["web-01"]; r["status"] != "success" || r["level"] != "INFO" || r["rule"] != "r" || r["reason"] != "restart-gc" || r["command"] != "a web-01" {
		t.Errorf("success record %v", r)
	}
}

type observer struct {
	mu   sync.Mutex
	runs []string
}

func (o *observer) TaskDone(ev *alexis.Event, run alexis.TaskRun) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.runs = append(o.runs, ev.ID+"/"+run.Target+"/"+string(run.Status))
}

func TestHandleObservers(t *testing.T) {
	a := &fake{name: "a"}
	o := &observer{}
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", []string{"h"}, task(a, ""))}, alexis.WithObservers(o))
	handle(t, e)
	if !cmp.Equal(o.runs, []string{"e1/h/success"}) {
		t.Errorf("observer saw %v", o.runs)
	}
}

// badStatus returns a status actions may not report.
type badStatus struct{ fake }

func (b *badStatus) Run(context.Context, alexis.Invocation) alexis.Result {
	return alexis.Result{Status: alexis.StatusSkipped}
}

func TestHandleActionStatusChecked(t *testing.T) {
	b := &badStatus{fake{name: "x"}}
	e, _ := newEngine(t, []*alexis.Rule{newRule("r", []string{"h"}, alexis.Task{Action: "x", Run: b})})
	rep := handle(t, e)
	if got := rep.Runs[0]; got.Status != alexis.StatusFailure || got.Error != `action x returned status "skipped"` {
		t.Errorf("run %+v", got)
	}
}

// logSink is a slog.Handler keeping every record's attributes as strings.
type logSink struct {
	mu   sync.Mutex
	recs []map[string]string
}

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *logSink) WithGroup(string) slog.Handler            { return s }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message, "level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	s.mu.Lock()
	s.recs = append(s.recs, m)
	s.mu.Unlock()
	return nil
}

func (s *logSink) tasks() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]string
	for _, r := range s.recs {
		if r["msg"] == "task" {
			out = append(out, r)
		}
	}
	return out
}

func (s *logSink) has(msg string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.recs {
		if strings.Contains(r["msg"], msg) {
			return true
		}
	}
	return false
}

func TestHandleLimitPerTarget(t *testing.T) {
	a := &fake{name: "a"}
	r := newRule("r", []string{"web-01", "web-02"}, task(a, "restart"))
	r.Limits = alexis.Limits{PerTarget: 2, Window: time.Hour}
	now := time.Date(2026, 5, 17, 12, 0, 0, 0, time.UTC)
	e, sink := newEngine(t, []*alexis.Rule{r}, alexis.WithClock(func() time.Time { return now }))
	limited := skipped("r", "web-01", "a", "restart", "limit: rule r already acted 2 times on web-01 within 1h0m0s")

	for i, step := range []struct {
		advance time.Duration
		targets []string // of this event
		want    alexis.Status
	}{
		{0, []string{"web-01"}, alexis.StatusSuccess},
		{time.Minute, []string{"web-01", "web-02"}, alexis.StatusSuccess},
		{time.Minute, []string{"web-01"}, alexis.StatusSkipped},             // third within the hour
		{time.Minute, []string{"web-02"}, alexis.StatusSuccess},             // web-02 has run once
		{time.Hour - time.Minute, []string{"web-01"}, alexis.StatusSuccess}, // the first run left the window
	} {
		now = now.Add(step.advance)
		r.Targets = alexis.StaticTargets(step.targets)
		rep := handle(t, e)
		if got := rep.RuleStatus("r"); got != step.want {
			t.Errorf("step %d: RuleStatus %s, want %s (runs %+v)", i, got, step.want, rep.Runs)
		}
		if step.want == alexis.StatusSkipped {
			if diff := cmp.Diff([]alexis.TaskRun{limited}, rep.Runs, ignoreTimes); diff != "" {
				t.Errorf("step %d (-want +got):\n%s", i, diff)
			}
		}
	}
	count := map[string]int{}
	for _, target := range a.ran() {
		count[target]++
	}
	if want := map[string]int{"web-01": 3, "web-02": 2}; !cmp.Equal(count, want) {
		t.Errorf("runs per target %v, want %v", count, want)
	}
	if !sink.has("rule over its limit") {
		t.Error("the limit was not logged")
	}
}

func TestHandleLimitNotCountedInDryRun(t *testing.T) {
	a := &fake{name: "a"}
	r := newRule("r", []string{"web-01"}, task(a, ""))
	r.Limits = alexis.Limits{PerTarget: 1, Window: time.Hour}
	r.DryRun = true
	e, _ := newEngine(t, []*alexis.Rule{r})
	for i := 0; i < 3; i++ {
		if got := handle(t, e).RuleStatus("r"); got != alexis.StatusDryRun {
			t.Fatalf("dry run %d: %s", i, got)
		}
	}
	r.DryRun = false
	if got := handle(t, e).RuleStatus("r"); got != alexis.StatusSuccess {
		t.Errorf("first real run: %s, want success (dry runs do not count)", got)
	}
}

func TestRuleStatus(t *testing.T) {
	run := func(s alexis.Status) alexis.TaskRun {
		return alexis.TaskRun{Rule: "r", Result: alexis.Result{Status: s}}
	}
	for _, tc := range []struct {
		runs []alexis.TaskRun
		want alexis.Status
	}{
		{nil, alexis.StatusSkipped},
		{[]alexis.TaskRun{run(alexis.StatusSuccess), run(alexis.StatusSuccess)}, alexis.StatusSuccess},
		{[]alexis.TaskRun{run(alexis.StatusSuccess), run(alexis.StatusFailure), run(alexis.StatusSkipped)}, alexis.StatusFailure},
		{[]alexis.TaskRun{run(alexis.StatusSuccess), run(alexis.StatusSkipped)}, alexis.StatusSkipped},
		{[]alexis.TaskRun{run(alexis.StatusSkipped)}, alexis.StatusSkipped},
		{[]alexis.TaskRun{run(alexis.StatusDryRun), run(alexis.StatusDryRun)}, alexis.StatusDryRun},
		{[]alexis.TaskRun{{Rule: "other", Result: alexis.Result{Status: alexis.StatusFailure}}, run(alexis.StatusSuccess)}, alexis.StatusSuccess},
	} {
		rep := &alexis.Report{Runs: tc.runs}
		if got := rep.RuleStatus("r"); got != tc.want {
			t.Errorf("RuleStatus(%v) = %s, want %s", tc.runs, got, tc.want)
		}
	}
}
