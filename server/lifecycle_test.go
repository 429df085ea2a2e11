package server_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/server"
	"github.com/alexis-project/alexis/sqlite"
)

// A crash between the durable commit and the execution: the event was
// answered 202 and claimed, but the process died before any action ran.
// The next start must run the action, once.
func TestRestartResumesAcceptedEvent(t *testing.T) {
	cfg := testConfig(t)
	rec := &recorder{}
	load := staticLoader(ruleSet(rec, 0, "h1"))
	claimed := make(chan struct{}, 1)
	ts1 := start(t, cfg, load, server.WithHooks(server.Hooks{AfterClaim: func(*alexis.QueuedEvent) error {
		claimed <- struct{}{}
		return errCrash
	}}))
	if r := post(t, ts1.url+"/v1/opsgenie", opsgenie(t, "resume-1")); r.status != 202 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	<-claimed
	ts1.stop(t)
	if len(rec.Runs()) != 0 {
		t.Fatalf("action ran before the crash: %v", rec.Runs())
	}

	ts2 := start(t, cfg, load)
	eventually(t, "resumed event done", func() bool { s, _ := eventStatus(t, ts2.Store(), 1); return s == "done" })
	if got := rec.Runs(); len(got) != 1 {
		t.Errorf("action ran %d times after restart, want 1: %v", len(got), got)
	}
	// Claimed but with nothing written yet (no task had begun), the event
	// comes back from the intake log, as accepted.
	if _, attempts := eventStatus(t, ts2.Store(), 1); attempts != 1 {
		t.Errorf("attempts = %d, want 1", attempts)
	}
	if err := contains(ts2.logs.String(), "resuming events the previous run accepted and did not finish", "events=1"); err != nil {
		t.Error(err)
	}
}

// A crash after the actions ran but before the event was marked done: the
// next start handles the event again but must not run the action again;
// the history keeps one row for the one run.
func TestRestartDoesNotRunFinishedActionAgain(t *testing.T) {
	cfg := testConfig(t)
	rec := &recorder{}
	rs := ruleSet(rec, 0, "h1")
	// Two tasks on the target, to see both replayed from the journal.
	gc := rs.Rules[len(rs.Rules)-1]
	gc.Tasks = append(gc.Tasks, alexis.Task{Action: "recorder", Run: rec, Reason: "verify"})
	load := staticLoader(rs)
	handled := make(chan struct{}, 1)
	ts1 := start(t, cfg, load, server.WithHooks(server.Hooks{AfterHandle: func(*alexis.QueuedEvent, *alexis.Report) error {
		handled <- struct{}{}
		return errCrash
	}}))
	post(t, ts1.url+"/v1/opsgenie", opsgenie(t, "resume-2"))
	<-handled
	ts1.stop(t)
	if got := len(rec.Runs()); got != 2 {
		t.Fatalf("first run: %d task runs, want 2", got)
	}

	ts2 := start(t, cfg, load)
	eventually(t, "resumed event done", func() bool { s, _ := eventStatus(t, ts2.Store(), 1); return s == "done" })
	if got := rec.Runs(); len(got) != 2 {
		t.Errorf("tasks ran again after restart: %v", got)
	}
	xs, err := ts2.Store().Executions(context.Background(), alexis.ExecutionFilter{EventID: 1})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, x := range xs {
		reasons = append(reasons, x.Reason+"="+string(x.Status))
	}
	if strings.Join(reasons, ",") != "verify=success,restart-gc=success" {
		t.Errorf("history = %v, want one success row per task", reasons)
	}
	if err := contains(ts2.logs.String(), "task already ran for this event; not run again"); err != nil {
		t.Error(err)
	}
}

func TestGracefulShutdownFinishesRunningAndKeepsQueued(t *testing.T) {
	cfg := testConfig(t)
	cfg.Workers = 1
	rec := &recorder{delay: 300 * time.Millisecond, start: make(chan string, 4)}
	ts := start(t, cfg, staticLoader(ruleSet(rec, 0, "h1")))
	post(t, ts.url+"/v1/opsgenie", opsgenie(t, "running"))
	<-rec.start
	post(t, ts.url+"/v1/opsgenie", opsgenie(t, "waiting"))
	ts.cancel()
	// The listener closes at once: new connections are refused.
	eventually(t, "listener closed", func() bool {
		_, err := http.Get(ts.url + "/healthz")
		return err != nil
	})
	if err := <-ts.done; err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	ts.cancel = nil
	if s, _ := eventStatus(t, ts.Store(), 1); s != "done" {
		t.Errorf("running event: %s, want done", s)
	}
	if s, n := eventStatus(t, ts.Store(), 2); s != "queued" || n != 0 {
		t.Errorf("waiting event: %s after %d claims, want queued", s, n)
	}
	if got := rec.Runs(); len(got) != 1 {
		t.Errorf("runs = %v", got)
	}
}

func TestShutdownTimeoutCancelsAndRequeues(t *testing.T) {
	cfg := testConfig(t)
	cfg.ShutdownTimeout = 200 * time.Millisecond
	rec := &recorder{block: make(chan struct{}), start: make(chan string, 1)}
	ts := start(t, cfg, staticLoader(ruleSet(rec, 0, "h1")))
	post(t, ts.url+"/v1/opsgenie", opsgenie(t, "stuck"))
	<-rec.start
	t0 := time.Now()
	ts.cancel()
	if err := <-ts.done; err != nil {
		t.Fatal(err)
	}
	ts.cancel = nil
	defer ts.Close()
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("shutdown took %v with a 200ms timeout", d)
	}
	if s, _ := eventStatus(t, ts.Store(), 1); s != "queued" {
		t.Errorf("cancelled event: %s, want queued for the next start", s)
	}
	xs, _ := ts.Store().Executions(context.Background(), alexis.ExecutionFilter{})
	if len(xs) != 1 || xs[0].Status != alexis.StatusFailure || xs[0].Error != "context canceled" {
		t.Errorf("the cancelled task's record: %+v", xs)
	}
	if err := contains(ts.logs.String(), "shutdown timeout: cancelling running events", "event interrupted by shutdown; requeued"); err != nil {
		t.Error(err)
	}
}

// dirLoader reads rules.txt in the directory: "HASH N" builds N+1 rules
// with that hash; anything else is an error, as a broken rule file.
func dirLoader(rec *recorder) server.LoadFunc {
	return func(dir string) (*alexis.RuleSet, error) {
		b, err := os.ReadFile(filepath.Join(dir, "rules.txt"))
		if err != nil {
			return nil, err
		}
		f := strings.Fields(string(b))
		if len(f) != 2 {
			return nil, alexis.Errorf(alexis.EINVALID, "rules.txt:1:1: want HASH N")
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, alexis.Errorf(alexis.EINVALID, "rules.txt:1:%d: %v", len(f[0])+2, err)
		}
		return ruleSet(rec, n, f[0]), nil
	}
}

func TestReload(t *testing.T) {
	cfg := testConfig(t)
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(cfg.Rules, "rules.txt"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("h1 0")
	ts := start(t, cfg, dirLoader(&recorder{}))
	rules := func() server.Rules {
		var r server.Rules
		get(t, ts.url+"/v1/rules").json(t, &r)
		return r
	}
	if r := rules(); r.Hash != "h1" || len(r.Rules) != 1 {
		t.Fatalf("initial rules %+v", r)
	}

	write("h2 1")
	if err := ts.Reload(); err != nil {
		t.Fatal(err)
	}
	if r := rules(); r.Hash != "h2" || len(r.Rules) != 2 {
		t.Errorf("after reload: %s with %d rules", r.Hash, len(r.Rules))
	}

	write("h3 many")
	err := ts.Reload()
	if err == nil || err.Error() != `rules.txt:1:4: strconv.Atoi: parsing "many": invalid syntax` {
		t.Fatalf("bad reload: %v", err)
	}
	if r := rules(); r.Hash != "h2" || r.LastReloadError == "" {
		t.Errorf("after a bad reload: hash %s, last error %q", r.Hash, r.LastReloadError)
	}
	var ready server.Readiness
	rr := do(t, "GET", ts.url+"/readyz", nil, "X-Alexis-Token", testToken)
	rr.json(t, &ready)
	if rr.status != 200 || ready.RulesHash != "h2" || !strings.Contains(ready.LastReloadError, "rules.txt:1:4") || ready.LastReloadAt == nil {
		t.Errorf("readyz after a bad reload: %d %s", rr.status, rr.body)
	}
	// Open /readyz without a token says that the reload failed, not where.
	var open server.Readiness
	rr = do(t, "GET", ts.url+"/readyz", nil)
	rr.json(t, &open)
	if rr.status != 200 || open.RulesHash != "" || open.LastReloadError == "" || strings.Contains(rr.body, "rules.txt") {
		t.Errorf("readyz without a token after a bad reload: %d %s", rr.status, rr.body)
	}
	if err := contains(get(t, ts.url+"/metrics").body, `alexis_rule_reloads_total{result="error"} 1`, `alexis_rule_reloads_total{result="ok"} 1`); err != nil {
		t.Error(err)
	}

	// The watcher picks up a fixed file by itself.
	write("h4 2")
	eventually(t, "watched reload", func() bool { r := rules(); return r.Hash == "h4" && r.LastReloadError == "" })
	if n := len(ts.Engine().RuleSet().Rules); n != 3 {
		t.Errorf("engine has %d rules, want 3", n)
	}
}

func TestNewRefusesBrokenRules(t *testing.T) {
	cfg := testConfig(t)
	_, err := server.New(cfg, server.WithParser(fakeParse), server.WithLoader(dirLoader(&recorder{})))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("New with no rules file: %v", err)
	}
}

func TestReadyzReportsUnwritableStore(t *testing.T) {
	cfg := testConfig(t)
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, cfg, staticLoader(ruleSet(&recorder{}, 0, "h1")), server.WithStore(db))
	eventually(t, "ready", func() bool { return do(t, "GET", ts.url+"/readyz", nil).status == 200 })
	db.Close() // the store fails from now on
	r := do(t, "GET", ts.url+"/readyz", nil, "X-Alexis-Token", testToken)
	var ready server.Readiness
	r.json(t, &ready)
	if r.status != 503 || ready.Status != "not ready" || !strings.HasPrefix(ready.Reason, "store not writable: ") {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	if r := post(t, ts.url+"/v1/opsgenie", opsgenie(t, "x")); r.status != 500 || r.body != `{"error":"internal error"}`+"\n" {
		t.Errorf("intake with a broken store: %d %s", r.status, r.body)
	}
}

// limits.per_target survives a restart: the limiter is loaded from the
// history.
func TestRuleLimitSurvivesRestart(t *testing.T) {
	cfg := testConfig(t)
	rec := &recorder{}
	rs := ruleSet(rec, 0, "h1")
	rs.Rules[0].Limits = alexis.Limits{PerTarget: 1, Window: time.Hour}
	load := staticLoader(rs)
	ts1 := start(t, cfg, load)
	post(t, ts1.url+"/v1/opsgenie", opsgenie(t, "limit-1"))
	eventually(t, "first event done", func() bool { s, _ := eventStatus(t, ts1.Store(), 1); return s == "done" })
	ts1.stop(t)

	ts2 := start(t, cfg, load)
	post(t, ts2.url+"/v1/opsgenie", opsgenie(t, "limit-2"))
	eventually(t, "second event done", func() bool { s, _ := eventStatus(t, ts2.Store(), 2); return s == "done" })
	if got := rec.Runs(); len(got) != 1 {
		t.Errorf("runs = %v; the limit of 1 per hour was forgotten", got)
	}
	xs, _ := ts2.Store().Executions(context.Background(), alexis.ExecutionFilter{EventID: 2})
	if len(xs) != 1 || xs[0].Status != alexis.StatusSkipped || !strings.HasPrefix(xs[0].Error, "limit: rule gc already acted 1 times") {
		t.Errorf("second event's history: %+v", xs)
	}
	if err := contains(ts2.logs.String(), "rule limits restored from the history", "runs=1"); err != nil {
		t.Error(err)
	}
}

type panicCond struct{}

func (panicCond) Eval(alexis.Scope) (bool, error) { panic("condition bug") }

// A panic while handling an event is recorded on the event; the server
// goes on with the next one.
func TestPanicInHandlingIsContained(t *testing.T) {
	rec := &recorder{}
	rs := ruleSet(rec, 0, "h1")
	rs.Rules = append([]*alexis.Rule{{Name: "buggy", Enabled: true, When: panicCond{}, Sources: []alexis.Source{alexis.SourceAlertmanager},
		Tasks: []alexis.Task{{Action: "recorder", Run: rec}}}}, rs.Rules...)
	ts := start(t, testConfig(t), staticLoader(rs))
	post(t, ts.url+"/v1/alertmanager", []byte(`{"alerts":[{"status":"firing","fingerprint":"p1","labels":{}}]}`))
	post(t, ts.url+"/v1/opsgenie", opsgenie(t, "after-panic"))
	eventually(t, "both events done", func() bool {
		s1, _ := eventStatus(t, ts.Store(), 1)
		s2, _ := eventStatus(t, ts.Store(), 2)
		return s1 == "done" && s2 == "done"
	})
	if len(rec.Runs()) != 1 {
		t.Errorf("runs = %v", rec.Runs())
	}
	if err := contains(ts.logs.String(), "handling the event panicked; marked done", "condition bug"); err != nil {
		t.Error(err)
	}
}
