package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/server"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestIntakeRunsActionAndRecordsHistory(t *testing.T) {
	rec := &recorder{}
	ts := start(t, testConfig(t), staticLoader(ruleSet(rec, 3, "h1")))
	r := post(t, ts.url+"/v1/opsgenie", opsgenie(t, "alert-1"))
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var acc server.Accepted
	r.json(t, &acc)
	want := server.Accepted{ID: 1, Events: []alexis.Receipt{{ID: 1, Key: "opsgenie/alert-1/Create", Status: "queued"}}}
	if d := cmp.Diff(want, acc); d != "" {
		t.Errorf("answer (-want +got):\n%s", d)
	}
	eventually(t, "event done", func() bool { s, _ := eventStatus(t, ts.Store(), 1); return s == "done" })
	if d := cmp.Diff([]string{"opsgenie/alert-1/Create wayvsymdup01.dev.example.com"}, rec.Runs()); d != "" {
		t.Errorf("runs (-want +got):\n%s", d)
	}
	var xs struct{ Executions []alexis.Execution }
	get(t, ts.url+"/v1/executions?rule=gc&target=wayvsymdup01.dev.example.com&since=1h").json(t, &xs)
	if len(xs.Executions) != 1 {
		t.Fatalf("executions = %+v", xs)
	}
	x := xs.Executions[0]
	got := []any{x.EventID, x.Event, x.Source, x.Rule, x.Target, x.Action, x.Reason, x.Command, x.Status, x.Output}
	wantX := []any{int64(1), "opsgenie/alert-1/Create", alexis.SourceOpsGenie, "gc", "wayvsymdup01.dev.example.com", "recorder",
		"restart-gc", "restart duplicator on wayvsymdup01.dev.example.com", alexis.StatusSuccess, "restarted"}
	if d := cmp.Diff(wantX, got); d != "" {
		t.Errorf("execution (-want +got):\n%s", d)
	}
	var sum struct{ Summary []alexis.ExecutionStats }
	get(t, ts.url+"/v1/summary?since=1h").json(t, &sum)
	if len(sum.Summary) != 1 || sum.Summary[0].Runs != 1 || sum.Summary[0].SuccessRate == nil || *sum.Summary[0].SuccessRate != 1 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestDuplicateDeliveryRunsOnce(t *testing.T) {
	rec := &recorder{}
	ts := start(t, testConfig(t), staticLoader(ruleSet(rec, 0, "h1")))
	body := opsgenie(t, "alert-dup")
	var first, second server.Accepted
	post(t, ts.url+"/v1/opsgenie", body).json(t, &first)
	eventually(t, "event done", func() bool { s, _ := eventStatus(t, ts.Store(), first.ID); return s == "done" })
	r := post(t, ts.url+"/v1/opsgenie", body)
	r.json(t, &second)
	if r.status != http.StatusAccepted || second.ID != first.ID || !second.Events[0].Duplicate || second.Events[0].Status != "done" {
		t.Fatalf("second delivery: %d %s", r.status, r.body)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(rec.Runs()); n != 1 {
		t.Errorf("action ran %d times, want 1", n)
	}
}

func TestIgnoredEventIsAcknowledgedNotRun(t *testing.T) {
	rec := &recorder{}
	ts := start(t, testConfig(t), staticLoader(ruleSet(rec, 0, "h1")))
	body := bytes.Replace(opsgenie(t, "echo-1"), []byte(`"username": "System"`), []byte(`"username": "alexis"`), 1)
	r := post(t, ts.url+"/v1/opsgenie", body)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if err := contains(r.body, `"status":"ignored"`, `"ignored":"our own change"`); err != nil {
		t.Error(err)
	}
	time.Sleep(100 * time.Millisecond)
	if s, n := eventStatus(t, ts.Store(), 1); s != "ignored" || n != 0 {
		t.Errorf("stored as %s, claimed %d times", s, n)
	}
	if len(rec.Runs()) != 0 {
		t.Errorf("ignored event ran: %v", rec.Runs())
	}
}

func TestAlertmanagerGroupGetsOneIDPerAlert(t *testing.T) {
	ts := start(t, testConfig(t), staticLoader(ruleSet(&recorder{}, 0, "h1")))
	body := []byte(`{"version":"4","alerts":[{"status":"firing","fingerprint":"aa","labels":{"alertname":"A"}},{"status":"firing","fingerprint":"bb","labels":{"alertname":"B"}}]}`)
	var acc server.Accepted
	r := post(t, ts.url+"/v1/alertmanager", body)
	r.json(t, &acc)
	if r.status != 202 || len(acc.Events) != 2 || acc.Events[0].Key != "alertmanager/aa/firing" || acc.Events[1].ID != 2 {
		t.Errorf("answer %d %s", r.status, r.body)
	}
}

func TestAuth(t *testing.T) {
	cfg := testConfig(t)
	ts := start(t, cfg, staticLoader(ruleSet(&recorder{}, 0, "h1")))
	body := opsgenie(t, "auth-1")
	ct := "Content-Type"
	tests := []struct {
		name string
		url  string
		hdr  []string
		want int
	}{
		{"no token", "/v1/opsgenie", []string{ct, "application/json"}, 401},
		{"wrong bearer", "/v1/opsgenie", []string{ct, "application/json", "Authorization", "Bearer nope"}, 401},
		{"token as basic", "/v1/opsgenie", []string{ct, "application/json", "Authorization", "Basic " + testToken}, 401},
		{"prefix of a token", "/v1/opsgenie", []string{ct, "application/json", "Authorization", "Bearer " + testToken[:5]}, 401},
		{"wrong header", "/v1/opsgenie", []string{ct, "application/json", "X-Alexis-Token", "nope"}, 401},
		{"wrong query", "/v1/opsgenie?token=nope", []string{ct, "application/json"}, 401},
		{"bearer", "/v1/opsgenie", []string{ct, "application/json", "Authorization", "bearer " + testToken}, 202},
		{"header", "/v1/opsgenie", []string{ct, "application/json", "X-Alexis-Token", testToken}, 202},
		{"query", "/v1/opsgenie?token=" + testToken, []string{ct, "application/json"}, 202},
		{"second client", "/v1/opsgenie", []string{ct, "application/json", "Authorization", "Bearer another-token"}, 202},
		{"rules need a token", "/v1/rules", nil, 401},
		{"metrics closed by default", "/metrics", nil, 401},
		{"metrics with token", "/metrics?token=" + testToken, nil, 200},
		{"health open by default", "/healthz", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "POST"
			if !strings.HasPrefix(tt.url, "/v1/opsgenie") {
				method = "GET"
			}
			r := do(t, method, ts.url+tt.url, body, tt.hdr...)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.want == 401 && r.body != `{"error":"unauthorized"}`+"\n" {
				t.Errorf("401 body = %q", r.body)
			}
		})
	}
	if strings.Contains(ts.logs.String(), testToken) {
		t.Errorf("a token was logged:\n%s", ts.logs.String())
	}
	if err := contains(ts.logs.String(), `query="token=REDACTED"`, "client=opsgenie", "client=other",
		"level=INFO msg=request component=http method=POST path=/v1/opsgenie status=202 elapsed_ms="); err != nil {
		t.Error(err)
	}
}

func TestAuthQueryTokenDisabled(t *testing.T) {
	cfg := testConfig(t)
	f := false
	cfg.Auth.QueryToken = &f
	cfg.Auth.OpenHealth = &f
	ts := start(t, cfg, staticLoader(ruleSet(&recorder{}, 0, "h1")))
	if r := do(t, "POST", ts.url+"/v1/opsgenie?token="+testToken, opsgenie(t, "q"), "Content-Type", "application/json"); r.status != 401 {
		t.Errorf("query token accepted while disabled: %d", r.status)
	}
	if r := do(t, "GET", ts.url+"/healthz", nil); r.status != 401 {
		t.Errorf("closed /healthz answered %d without a token", r.status)
	}
}

func TestBadBodies(t *testing.T) {
	cfg := testConfig(t)
	cfg.BodyLimit = 2048
	ts := start(t, cfg, staticLoader(ruleSet(&recorder{}, 0, "h1")))
	auth := []string{"Authorization", "Bearer " + testToken}
	js := append([]string{"Content-Type", "application/json"}, auth...)
	deep := `{"a":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + "}"
	tests := []struct {
		name string
		body string
		hdr  []string
		want int
		msg  string
	}{
		{"malformed", "{\"action\": \"Create\",\n \"alert\": {\"alertId\": }}", js, 400, "malformed JSON at 2:23: invalid character '}' looking for beginning of value"},
		{"truncated", `{"action": "Create"`, js, 400, "malformed JSON at 1:20: unexpected end of JSON input"},
		{"empty", "", js, 400, "body: empty, want a JSON object"},
		{"not an object", `[1]`, js, 400, "body: want a JSON object, got array"},
		{"two values", `{} {}`, js, 400, "malformed JSON at 1:4: invalid character '{' after top-level value"},
		{"invalid utf-8", "{\"alert\": {\"message\": \"caf\xe9\"}}", js, 400, "body: invalid UTF-8 at byte 26"},
		{"deeply nested", deep, js, 400, "body: nested deeper than 64 levels at byte 68"},
		{"missing field", `{"action": "Create", "alert": {}}`, js, 400, "opsgenie: alert.alertId is missing"},
		{"text/plain", `{}`, append([]string{"Content-Type", "text/plain"}, auth...), 415, `Content-Type must be application/json, not "text/plain"`},
		{"form", `a=b`, append([]string{"Content-Type", "application/x-www-form-urlencoded"}, auth...), 415, `Content-Type must be application/json, not "application/x-www-form-urlencoded"`},
		{"no content type", `{}`, auth, 415, "Content-Type must be application/json; none given"},
		{"too large", `{"pad": "` + strings.Repeat("x", 4096) + `"}`, js, 413, "body larger than the limit of 2048 bytes"},
		{"json with charset", `{"action": "Create", "alert": {}}`, append([]string{"Content-Type", "application/json; charset=utf-8"}, auth...), 400, "opsgenie: alert.alertId is missing"},
		{"+json media type", `{"action": "Create", "alert": {}}`, append([]string{"Content-Type", "application/vnd.example+json"}, auth...), 400, "opsgenie: alert.alertId is missing"},
		{"malformed content type", `{}`, append([]string{"Content-Type", "application/json; =x"}, auth...), 415, `Content-Type must be application/json, not "application/json; =x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "POST", ts.url+"/v1/opsgenie", []byte(tt.body), tt.hdr...)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			var e struct{ Error string }
			r.json(t, &e)
			if e.Error != tt.msg {
				t.Errorf("error = %q\nwant    %q", e.Error, tt.msg)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	// A too-large body sent chunked (no Content-Length) is refused too.
	req, _ := http.NewRequest("POST", ts.url+"/v1/opsgenie", struct{ *strings.Reader }{strings.NewReader(strings.Repeat(" ", 5000) + "{}")})
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("chunked oversize: status %d", resp.StatusCode)
	}
	if n, _ := ts.Store().QueueDepth(context.Background()); n != 0 {
		t.Errorf("%d events stored from bad requests", n)
	}
	if r := do(t, "GET", ts.url+"/v1/nowhere", nil, auth...); r.status != 404 || r.body != `{"error":"not found"}`+"\n" {
		t.Errorf("unknown path: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", ts.url+"/v1/opsgenie", nil, auth...); r.status != 405 && r.body != `{"error":"not found"}`+"\n" {
		t.Errorf("GET on intake: %d %s", r.status, r.body)
	}
}

func TestPlanTouchesNothing(t *testing.T) {
	rec := &recorder{}
	ts := start(t, testConfig(t), staticLoader(ruleSet(rec, 2, "h1")))
	r := post(t, ts.url+"/v1/plan?source=opsgenie", opsgenie(t, "plan-1"))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got struct {
		RulesHash string `json:"rules_hash"`
		Plans     []alexis.Plan
	}
	r.json(t, &got)
	want := []alexis.Plan{{Event: "opsgenie/plan-1/Create", Matches: []alexis.Match{{Rule: "gc", Targets: []string{"wayvsymdup01.dev.example.com"},
		Tasks: []alexis.PlannedTask{{Target: "wayvsymdup01.dev.example.com", Action: "recorder", Reason: "restart-gc", Command: "restart duplicator on wayvsymdup01.dev.example.com"}}}}}}
	if d := cmp.Diff(want, got.Plans); d != "" || got.RulesHash != "h1" {
		t.Errorf("plan (-want +got):\n%s (hash %q)", d, got.RulesHash)
	}
	time.Sleep(50 * time.Millisecond)
	if n, _ := ts.Store().QueueDepth(context.Background()); n != 0 || len(rec.Runs()) != 0 {
		t.Errorf("plan stored %d events and ran %v", n, rec.Runs())
	}
	if r := post(t, ts.url+"/v1/plan?source=nagios", []byte(`{}`)); r.status != 400 || !strings.Contains(r.body, `source: must be one of`) {
		t.Errorf("bad source: %d %s", r.status, r.body)
	}
}

func TestRulesHealthMetrics(t *testing.T) {
	ts := start(t, testConfig(t), staticLoader(ruleSet(&recorder{}, 1, "h1")))
	var rules server.Rules
	get(t, ts.url+"/v1/rules").json(t, &rules)
	want := server.Rules{Hash: "h1", Files: []string{"rules/gc.yaml"}, Rules: []server.RuleInfo{
		{Name: "other-0", Enabled: true, Sources: []alexis.Source{"opsgenie"}, Tasks: []server.TaskInfo{{Action: "recorder", Reason: "other"}}},
		{Name: "gc", Enabled: true, File: "rules/gc.yaml", Line: 3, When: `"app:duplicator" in tags`, Tasks: []server.TaskInfo{{Action: "recorder", Reason: "restart-gc"}}},
	}}
	if d := cmp.Diff(want, rules, cmpopts.IgnoreFields(server.Rules{}, "Loaded")); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
	if r := do(t, "GET", ts.url+"/healthz", nil); r.status != 200 || r.body != `{"status":"ok"}`+"\n" {
		t.Errorf("healthz %d %s", r.status, r.body)
	}
	var ready server.Readiness
	r := do(t, "GET", ts.url+"/readyz", nil, "X-Alexis-Token", testToken)
	r.json(t, &ready)
	if r.status != 200 || cmp.Diff(server.Readiness{Status: "ready", Rules: 2, RulesHash: "h1"}, ready) != "" {
		t.Errorf("readyz %d %s", r.status, r.body)
	}
	post(t, ts.url+"/v1/opsgenie", opsgenie(t, "m-1"))
	post(t, ts.url+"/v1/opsgenie", []byte(`{`))
	eventually(t, "event done", func() bool { s, _ := eventStatus(t, ts.Store(), 1); return s == "done" })
	m := get(t, ts.url+"/metrics").body
	if err := contains(m,
		`alexis_events_total{result="accepted",source="opsgenie"} 1`,
		`alexis_events_total{result="invalid",source="opsgenie"} 1`,
		`alexis_rule_matches_total{rule="gc"} 1`,
		`alexis_actions_total{action="recorder",status="success"} 1`,
		`alexis_action_duration_seconds_count{action="recorder"} 1`,
		`alexis_event_to_action_seconds_count 1`,
		`alexis_queue_depth 0`,
		`alexis_rule_reloads_total{result="error"} 0`,
		`alexis_rules_loaded 2`,
		`alexis_intake_seconds_count{source="opsgenie"} 1`,
		// Series exported at 0 before their first event.
		`alexis_events_total{result="duplicate",source="opsgenie"} 0`,
		`alexis_events_total{result="ignored",source="dynatrace"} 0`,
		`alexis_intake_seconds_count{source="alertmanager"} 0`,
	); err != nil {
		t.Error(err)
	}
	// One accepted event: one write of the intake log.
	if !regexp.MustCompile(`(?m)^alexis_intake_log_writes_total 1$`).MatchString(m) {
		t.Error("alexis_intake_log_writes_total is not 1")
	}
	if sec := regexp.MustCompile(`(?m)^alexis_intake_log_write_seconds_total (\S+)$`).FindStringSubmatch(m); sec == nil {
		t.Error("no alexis_intake_log_write_seconds_total")
	} else if v, err := strconv.ParseFloat(sec[1], 64); err != nil || v <= 0 || v > 10 {
		t.Errorf("alexis_intake_log_write_seconds_total = %s, want the time of one write and fdatasync", sec[1])
	}
}

func TestExecutionsQueryErrors(t *testing.T) {
	ts := start(t, testConfig(t), staticLoader(ruleSet(&recorder{}, 0, "h1")))
	for q, msg := range map[string]string{
		"since=yesterday": `since: must be an RFC 3339 time or a duration such as 24h, not "yesterday"`,
		"until=-5h":       `until: must be an RFC 3339 time or a duration such as 24h, not "-5h"`,
		"status=ok":       `status: must be success, failure, skipped or dry-run, not "ok"`,
		"limit=0":         `limit: must be a positive number, not "0"`,
		"event=x":         `event: must be an event ID, not "x"`,
	} {
		r := get(t, ts.url+"/v1/executions?"+q)
		if r.status != 400 || r.body != fmt.Sprintf(`{"error":%q}`+"\n", msg) {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	if r := get(t, ts.url+"/v1/executions?since=2026-11-29T00:00:00Z&status=dry-run&limit=5"); r.status != 200 || r.body != `{"executions":[]}`+"\n" {
		t.Errorf("empty query: %d %s", r.status, r.body)
	}
}

func TestDryRunRecordsPlannedCommands(t *testing.T) {
	cfg := testConfig(t)
	cfg.DryRun = true
	rec := &recorder{}
	ts := start(t, cfg, staticLoader(ruleSet(rec, 0, "h1")))
	post(t, ts.url+"/v1/opsgenie", opsgenie(t, "dry-1"))
	eventually(t, "event done", func() bool { s, _ := eventStatus(t, ts.Store(), 1); return s == "done" })
	var xs struct{ Executions []alexis.Execution }
	get(t, ts.url+"/v1/executions?status=dry-run").json(t, &xs)
	if len(xs.Executions) != 1 || xs.Executions[0].Command != "restart duplicator on wayvsymdup01.dev.example.com" || len(rec.Runs()) != 0 {
		t.Errorf("dry run: executions %+v, runs %v", xs.Executions, rec.Runs())
	}
}
