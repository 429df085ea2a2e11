package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/internal/fakeopsgenie"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/server"
	"github.com/alexis-project/alexis/source"
	"github.com/alexis-project/alexis/sqlite"
	"github.com/google/go-cmp/cmp"
)

// escalationSetup returns a config whose one rule escalates an OpsGenie
// alert that is still open `after` its remediation (to ops-escalation),
// the fake OpsGenie holding that alert, and the alert's webhook body.
func escalationSetup(t *testing.T, after time.Duration) (*config.Config, server.LoadFunc, *fakeopsgenie.Server, []byte) {
	t.Helper()
	og := fakeopsgenie.New(t, escalationKey)
	og.AddAlert(fakeopsgenie.Alert{ID: escalationAlert, TinyID: "5120", Message: "Long garbage-collection time on duplicator (day)", Status: "open"})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gc.yaml"), []byte(fmt.Sprintf(`rules:
  - name: duplicator-gc
    sources: [opsgenie]
    when: has_tag("syn.duplicator")
    escalate_after: %s
    on_failure: {escalate: ops-escalation}
    tasks:
      - action: exec
        program: /bin/true
`, after)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Rules = dir
	cfg.OpsGenie.URL, cfg.OpsGenie.APIKey = og.URL, config.Literal(escalationKey)
	reg := builtin.Registry(builtin.Config{})
	load := func(d string) (*alexis.RuleSet, error) { return rule.LoadDir(d, reg) }
	body, err := os.ReadFile("testdata/opsgenie_create_duplicator_gc.json")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, load, og, body
}

const (
	escalationKey   = "og-escalation-key"
	escalationAlert = "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"
)

// storedEscalations lists what the server's store holds.
func storedEscalations(t *testing.T, st server.Store) []sqlite.Escalation {
	t.Helper()
	es, err := st.(*sqlite.DB).Escalations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func escalations(og *fakeopsgenie.Server) []string {
	a, _ := og.Alert(escalationAlert)
	return a.Escalations
}

// TestEscalationSurvivesRestart: an escalate_after escalation still
// pending when the server stops gracefully stays in the store and runs
// after the next start, when it is due and the alert is still open.
func TestEscalationSurvivesRestart(t *testing.T) {
	cfg, load, og, body := escalationSetup(t, 3*time.Second)
	ts := start(t, cfg, load, server.WithParser(source.Parse))
	if r := do(t, "POST", ts.url+"/v1/opsgenie", body, "Content-Type", "application/json", "X-Alexis-Token", testToken); r.status != 202 {
		t.Fatalf("POST = %d %s", r.status, r.body)
	}
	waitFor(t, 10*time.Second, func() bool { a, _ := og.Alert(escalationAlert); return len(a.Notes) > 0 })
	ts.stop(t) // graceful: the escalation, due in 3s, is cancelled and stays stored

	if e := escalations(og); len(e) != 0 {
		t.Fatalf("escalated before it was due: %v", e)
	}
	start(t, cfg, load, server.WithParser(source.Parse))
	waitFor(t, 15*time.Second, func() bool { return len(escalations(og)) > 0 })
	if e := escalations(og); e[0] != "ops-escalation" {
		t.Errorf("escalations = %v", e)
	}
}

// TestEscalationSurvivesCrash: an escalate_after escalation is in the
// store from the moment it is scheduled, so the crash image of a running
// server (its database files copied while it runs, as SIGKILL or a power
// loss leaves them) holds it. A server started on that image escalates the
// alert once: at once when it fell due meanwhile, at its time otherwise.
// It then deletes it: a further restart escalates nothing.
func TestEscalationSurvivesCrash(t *testing.T) {
	tests := []struct {
		name     string
		downtime bool // restart after the escalation fell due
	}{
		{"fell due while down", true},
		{"not yet due", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const after = 2 * time.Second
			cfg, load, og, body := escalationSetup(t, after)
			ts := start(t, cfg, load, server.WithParser(source.Parse))
			if r := do(t, "POST", ts.url+"/v1/opsgenie", body, "Content-Type", "application/json", "X-Alexis-Token", testToken); r.status != 202 {
				t.Fatalf("POST = %d %s", r.status, r.body)
			}
			// Done: every write of the event is committed, none is in flight.
			waitFor(t, 10*time.Second, func() bool { s, _ := eventStatus(t, ts.Store(), 1); return s == "done" })
			stored := storedEscalations(t, ts.Store())
			if len(stored) != 1 || stored[0].AlertID != escalationAlert || stored[0].Name != "ops-escalation" {
				t.Fatalf("stored escalations = %+v", stored)
			}
			due := stored[0].Due

			crashed := *cfg
			crashed.DataDir = t.TempDir()
			copyCrashImage(t, cfg.DBPath(), crashed.DBPath())
			// The original goes away; it saves nothing on the way (and its
			// own data directory is not used again).
			ts.stop(t)
			if e := escalations(og); len(e) != 0 {
				t.Fatalf("escalated before it was due: %v", e)
			}

			if tt.downtime {
				time.Sleep(time.Until(due) + 200*time.Millisecond)
			}
			started := time.Now()
			ts2 := start(t, &crashed, load, server.WithParser(source.Parse))
			waitFor(t, 10*time.Second, func() bool { return len(escalations(og)) > 0 })
			switch {
			case tt.downtime && time.Since(started) > time.Second:
				t.Errorf("a due escalation ran %v after the start, want at once", time.Since(started))
			case !tt.downtime && time.Now().Before(due):
				t.Errorf("escalated %v before it was due", time.Until(due))
			}
			waitFor(t, 5*time.Second, func() bool { return len(storedEscalations(t, ts2.Store())) == 0 })
			if err := contains(ts2.logs.String(), "escalations restored", "count=1", "msg=escalated"); err != nil {
				t.Error(err)
			}
			ts2.stop(t)

			ts3 := start(t, &crashed, load, server.WithParser(source.Parse))
			time.Sleep(300 * time.Millisecond)
			ts3.stop(t)
			if d := cmp.Diff([]string{"ops-escalation"}, escalations(og)); d != "" {
				t.Errorf("escalations, want exactly one (-want +got):\n%s", d)
			}
			if strings.Contains(ts3.logs.String(), "escalations restored") {
				t.Errorf("an escalation that ran was restored again:\n%s", ts3.logs)
			}
		})
	}
}

// An earlier version saved the pending escalations on a graceful stop, as
// one list in the meta table: the first start of this one runs them (the
// one due at once) and empties the list.
func TestEscalationFromEarlierVersion(t *testing.T) {
	cfg, load, og, _ := escalationSetup(t, time.Hour)
	db, err := sqlite.Open(cfg.DBPath())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	saved := fmt.Sprintf(`[{"alert_id":%q,"rule":"duplicator-gc","escalation":"ops-escalation","due":%q}]`,
		escalationAlert, time.Now().Add(-time.Minute).Format(time.RFC3339Nano))
	if err := db.SetMeta(ctx, "opsgenie.pending_escalations", saved); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ts := start(t, cfg, load, server.WithParser(source.Parse))
	waitFor(t, 10*time.Second, func() bool { return len(escalations(og)) > 0 })
	waitFor(t, 5*time.Second, func() bool { return len(storedEscalations(t, ts.Store())) == 0 })
	if v, _, err := ts.Store().(*sqlite.DB).Meta(ctx, "opsgenie.pending_escalations"); v != "[]" || err != nil {
		t.Errorf("earlier version's list = %q, %v; want []", v, err)
	}
	if d := cmp.Diff([]string{"ops-escalation"}, escalations(og)); d != "" {
		t.Errorf("escalations (-want +got):\n%s", d)
	}
}

// copyCrashImage copies a running store's database and write-ahead log
// (not the shared-memory index, which SQLite rebuilds from the log) to
// dst. No write may be in flight.
func copyCrashImage(t *testing.T, src, dst string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
