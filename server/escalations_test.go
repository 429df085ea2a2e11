package server_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/internal/fakeopsgenie"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/server"
	"github.com/alexis-project/alexis/source"
)

// TestEscalationSurvivesRestart: an escalate_after escalation still
// pending when the server stops gracefully is saved in the store and runs
// after the next start, when it is due and the alert is still open.
func TestEscalationSurvivesRestart(t *testing.T) {
	const (
		ogKey   = "og-escalation-key"
		alertID = "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"
	)
	og := fakeopsgenie.New(t, ogKey)
	og.AddAlert(fakeopsgenie.Alert{ID: alertID, TinyID: "5120", Message: "Long garbage-collection time on duplicator (day)", Status: "open"})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gc.yaml"), []byte(`rules:
  - name: duplicator-gc
    sources: [opsgenie]
    when: has_tag("syn.duplicator")
    escalate_after: 3s
    on_failure: {escalate: ops-escalation}
    tasks:
      - action: exec
        program: /bin/true
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Rules = dir
	cfg.OpsGenie.URL, cfg.OpsGenie.APIKey = og.URL, config.Literal(ogKey)
	reg := builtin.Registry(builtin.Config{})
	load := func(d string) (*alexis.RuleSet, error) { return rule.LoadDir(d, reg) }

	ts := start(t, cfg, load, server.WithParser(source.Parse))
	body, err := os.ReadFile("testdata/opsgenie_create_duplicator_gc.json")
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, "POST", ts.url+"/v1/opsgenie", body, "Content-Type", "application/json", "X-Alexis-Token", testToken); r.status != 202 {
		t.Fatalf("POST = %d %s", r.status, r.body)
	}
	waitFor(t, 10*time.Second, func() bool { a, _ := og.Alert(alertID); return len(a.Notes) > 0 })
	ts.stop(t) // graceful: the escalation, due in 3s, is saved

	if a, _ := og.Alert(alertID); len(a.Escalations) != 0 {
		t.Fatalf("escalated before it was due: %v", a.Escalations)
	}
	start(t, cfg, load, server.WithParser(source.Parse))
	waitFor(t, 15*time.Second, func() bool { a, _ := og.Alert(alertID); return len(a.Escalations) > 0 })
	if a, _ := og.Alert(alertID); a.Escalations[0] != "ops-escalation" {
		t.Errorf("escalations = %v", a.Escalations)
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
