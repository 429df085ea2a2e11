package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/internal/fakedynatrace"
	"github.com/alexis-project/alexis/internal/fakeopsgenie"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/server"
	"github.com/alexis-project/alexis/source"
)

// TestWriteBackFromConfig: with OpsGenie and Dynatrace keys in the
// configuration, the server builds both notifiers itself. An alert raised
// by the Dynatrace integration gets an OpsGenie note and the remediation
// team, and its Dynatrace problem a numbered attempt comment; the OpsGenie
// note takes its attempt number from the problem's earlier comments.
func TestWriteBackFromConfig(t *testing.T) {
	const (
		ogKey   = "og-server-key"
		dtToken = "dt0c01.SERVERTEST.SECRETPART"
		alertID = "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"
		pid     = "-5512093387112045567_1732876440000V2"
	)
	og := fakeopsgenie.New(t, ogKey)
	og.AddAlert(fakeopsgenie.Alert{ID: alertID, TinyID: "5120", Message: "Long garbage-collection time on duplicator (day)", Status: "open"})
	dt := fakedynatrace.New(t, dtToken)
	dt.AddProblem(fakedynatrace.Problem{ID: pid, DisplayID: "P-241129512", Title: "Long garbage-collection time", Status: "OPEN",
		Impacted: []fakedynatrace.Entity{{ID: "HOST-5D7E9A1B3C2F4E68", Type: "HOST", Name: "wayvsymdup01.dev.example.com"}},
		Comments: []fakedynatrace.Comment{{ID: "c1", Content: "Autoremediation Attempt 1\nearlier run", Context: "Alexis", AuthorName: "alexis"}}})

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gc.yaml"), []byte(`rules:
  - name: duplicator-gc
    sources: [opsgenie]
    when: has_tag("syn.duplicator")
    tasks:
      - action: exec
        reason: restart-gc
        program: /bin/true
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Rules = dir
	cfg.Queues.Remediation = "ops_autoremediation"
	cfg.OpsGenie.URL, cfg.OpsGenie.APIKey = og.URL, config.Literal(ogKey)
	cfg.Dynatrace.URL, cfg.Dynatrace.Token = dt.URL, config.Literal(dtToken)
	reg := builtin.Registry(builtin.Config{})
	ts := start(t, cfg, func(d string) (*alexis.RuleSet, error) { return rule.LoadDir(d, reg) },
		server.WithParser(source.Parse))

	body, err := os.ReadFile("testdata/opsgenie_create_duplicator_gc.json")
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, "POST", ts.url+"/v1/opsgenie", body, "Content-Type", "application/json", "X-Alexis-Token", testToken)
	if r.status != 202 {
		t.Fatalf("POST /v1/opsgenie = %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, _ := og.Alert(alertID)
		p, _ := dt.Problem(pid)
		if len(a.Notes) > 0 && len(a.Teams) > 0 && len(p.Comments) > 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("write-back incomplete: alert %+v, problem comments %+v\nlogs:\n%s", a, p.Comments, ts.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	a, _ := og.Alert(alertID)
	if !strings.Contains(a.Notes[0], `rule "duplicator-gc", attempt 2`) {
		t.Errorf("OpsGenie note = %q, want attempt 2 (after the problem's Attempt 1)", a.Notes[0])
	}
	if a.Teams[0] != "ops_autoremediation" {
		t.Errorf("teams = %v, want the remediation queue", a.Teams)
	}
	p, _ := dt.Problem(pid)
	if !strings.HasPrefix(p.Comments[1].Content, "Autoremediation Attempt 2") {
		t.Errorf("Dynatrace comment = %q", p.Comments[1].Content)
	}
}
