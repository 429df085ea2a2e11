package e2e

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/ssh"
	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/internal/fakedynatrace"
	"github.com/alexis-project/alexis/internal/fakeopsgenie"
	"github.com/alexis-project/alexis/internal/sshtest"
	"github.com/alexis-project/alexis/opsgenie"
	"github.com/alexis-project/alexis/rule"
	"github.com/google/go-cmp/cmp"
)

const (
	ogKey   = "og-test-key"
	dtToken = "dt0c01.E2ETESTTOKEN.SECRETPART"
	// From testdata/opsgenie_create_duplicator_gc.json.
	gcAlertID = "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"
	gcPID     = "-5512093387112045567_1732876440000V2"
	gcHost    = "wayvsymdup01.dev.example.com"
	// From testdata/opsgenie_create_from_dynatrace.json.
	dtAlertID = "6d1f3a9e-4b7c-4f2e-9a51-0c8e7d2b5f43-1715950921337"
)

// world is one Alexis wired as the server would wire it, against an SSH
// server and fake vendor APIs, all on 127.0.0.1.
type world struct {
	srv    *sshtest.Server
	og     *fakeopsgenie.Server
	dt     *fakedynatrace.Server
	eng    *alexis.Engine
	ogN    *opsgenie.Notifier
	outDir string
	// start builds the notifiers and the engine afresh, as a restart would.
	start func()
}

// rules are the rule file of the tests. OUT is replaced by a directory the
// remote command writes into, to prove it ran.
const rules = `
rules:
  - name: duplicator-gc
    description: Restart the duplicator when its GC time is too long.
    sources: [opsgenie]
    when: all_tags("syn.duplicator", "app:duplicator") && message contains "garbage-collection"
    targets_from: details.host_regex
    tasks:
      - action: ssh
        reason: restart-gc
        timeout: 20s
        command: echo restarted {{ .ShortID }} on {{ .Target }} > OUT/ran && cat OUT/ran && exit $(cat OUT/exit 2>/dev/null || echo 0)
    on_success:
      team: ops_duplicator
      tags: [alexis:remediated]
      note: "Alexis restarted the duplicator on {{ .Target }} for alert {{ .ShortID }} ({{ .TagValues.app }}): {{ .Kind }} {{ .Reason }} {{ .Status }}, exit {{ .ExitCode }}, attempt {{ .Attempt }}."
      close: true
    on_failure:
      escalate: ops_escalation
      tags: [alexis:failed]
`

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{srv: sshtest.Start(t, nil), og: fakeopsgenie.New(t, ogKey), dt: fakedynatrace.New(t, dtToken), outDir: t.TempDir()}
	w.og.NotProcessedPolls = 1
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	kind := ssh.New(ssh.Config{User: "alexis", KeyFile: w.srv.ClientKey.WriteFile(t, ""),
		KnownHostsFile: sshtest.WriteKnownHosts(t, w.srv), ConnectTimeout: 5 * time.Second, Logger: quiet})
	rs, err := rule.Parse("e2e.yaml", []byte(strings.ReplaceAll(rules, "OUT", w.outDir)), alexis.NewRegistry(kind))
	if err != nil {
		t.Fatal(err)
	}
	fast := opsgenie.Retry{BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}
	ogc, err := opsgenie.NewClient(ogKey, opsgenie.WithBaseURL(w.og.URL), opsgenie.WithRetry(fast),
		opsgenie.WithConfirmPolling(time.Millisecond, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	dtc, err := dynatrace.NewClient(w.dt.URL, dtToken, dynatrace.WithRetry(fast))
	if err != nil {
		t.Fatal(err)
	}
	w.start = func() {
		// As the server wires them: OpsGenie first, numbering attempts
		// from the Dynatrace comments so the count survives a restart.
		w.ogN = opsgenie.NewNotifier(ogc, opsgenie.WithRemediationTeam("ops_remediation"),
			opsgenie.WithInvestigationTeam("ops_investigation"), opsgenie.WithConfirm(true), opsgenie.WithNotifyLogger(quiet),
			opsgenie.WithAttemptCounter(dynatrace.AttemptCounter(dtc, "")))
		t.Cleanup(func() { w.ogN.Close() })
		dtN := dynatrace.NewNotifier(dtc, dynatrace.WithNotifyLogger(quiet))
		w.eng, err = alexis.New(rs, alexis.WithNotifiers(w.ogN, dtN), alexis.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
	}
	w.start()
	w.og.AddAlert(fakeopsgenie.Alert{ID: gcAlertID, TinyID: "5120", Alias: gcPID, Message: "Long garbage-collection time on duplicator (day)"})
	w.dt.AddProblem(fakedynatrace.Problem{ID: gcPID, DisplayID: "P-241129512", Title: "Long garbage-collection time",
		Impacted: []fakedynatrace.Entity{
			{ID: "PROCESS_GROUP_INSTANCE-3F1B9C7D2E4A6B80", Type: "PROCESS_GROUP_INSTANCE", Name: "duplicator.jar (wayvsymdup01)"},
			{ID: "HOST-5D7E9A1B3C2F4E68", Type: "HOST", Name: "wayvsymdup01"}}})
	return w
}

// gcEvent parses the duplicator fixture with its host pointed at the SSH
// server (the fixture's host is not reachable from a test).
func (w *world) gcEvent(t *testing.T) *alexis.Event {
	t.Helper()
	body, err := os.ReadFile("testdata/opsgenie_create_duplicator_gc.json")
	if err != nil {
		t.Fatal(err)
	}
	body = bytes.Replace(body, []byte(`"host_regex": "`+gcHost+`"`), []byte(`"host_regex": "`+w.srv.Addr+`"`), 1)
	ev, err := opsgenie.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Details["host_regex"] != w.srv.Addr {
		t.Fatalf("fixture not redirected to the SSH server: %v", ev.Details)
	}
	ev.Received = time.Now()
	return ev
}

func (w *world) ran(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(w.outDir, "ran"))
	if err != nil {
		return ""
	}
	return string(b)
}

func opsOf(og *fakeopsgenie.Server) []string {
	var out []string
	for _, c := range og.Calls() {
		if c.Op != "request-status" {
			out = append(out, c.Op)
		}
	}
	return out
}

func TestRemediationSucceeds(t *testing.T) {
	w := newWorld(t)
	rep, err := w.eng.Handle(context.Background(), w.gcEvent(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"duplicator-gc"}, rep.Plan.RuleNames()); diff != "" {
		t.Fatalf("matched rules (-want +got):\n%s", diff)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Status != alexis.StatusSuccess || rep.Runs[0].Target != w.srv.Addr {
		t.Fatalf("runs = %+v", rep.Runs)
	}
	want := "restarted 5120 on " + w.srv.Addr + "\n"
	if got := w.ran(t); got != want {
		t.Errorf("remote command wrote %q, want %q", got, want)
	}

	// OpsGenie: note, team, tags, close (confirmed through request status).
	if diff := cmp.Diff([]string{"notes", "teams", "tags", "close"}, opsOf(w.og)); diff != "" {
		t.Errorf("OpsGenie operations (-want +got):\n%s", diff)
	}
	a, _ := w.og.Alert(gcAlertID)
	wantNote := "Alexis restarted the duplicator on " + w.srv.Addr + " for alert 5120 (duplicator): ssh restart-gc success, exit 0, attempt 1."
	if diff := cmp.Diff([]string{wantNote}, a.Notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	if a.Status != "closed" || !cmp.Equal(a.Teams, []string{"ops_duplicator"}) || !cmp.Equal(a.Tags, []string{"alexis:remediated"}) {
		t.Errorf("alert = %+v", a)
	}
	if len(w.og.CallsOf("request-status")) < 2 {
		t.Error("close was not confirmed by polling the request status")
	}
	for _, c := range w.og.Calls() {
		if c.Op == "notes" && !strings.Contains(string(c.Body), `"user":"alexis"`) {
			t.Errorf("note written without user alexis: %s", c.Body)
		}
	}

	// Dynatrace (the alert came from the Dynatrace integration: alias = PID):
	// a numbered comment, a marker event on the impacted host, the problem
	// closed.
	p, _ := w.dt.Problem(gcPID)
	// The comment has the note's text (the rule gives no comment template).
	if len(p.Comments) != 2 || p.Comments[0].Content != "Autoremediation Attempt 1\n"+wantNote || p.Comments[0].Context != "Alexis" {
		t.Errorf("comments = %+v", p.Comments)
	}
	if p.Status != "CLOSED" {
		t.Errorf("problem status %s", p.Status)
	}
	evs := w.dt.Events()
	if len(evs) != 1 || evs[0].EventType != "CUSTOM_INFO" || evs[0].EntitySelector != `entityId("HOST-5D7E9A1B3C2F4E68")` ||
		evs[0].Properties["opsgenie.alertId"] != gcAlertID || evs[0].Properties["alexis.target"] != w.srv.Addr {
		t.Errorf("events = %+v", evs)
	}
}

func TestRemediationFails(t *testing.T) {
	w := newWorld(t)
	os.WriteFile(filepath.Join(w.outDir, "exit"), []byte("3\n"), 0o644)
	ev := w.gcEvent(t)
	rep, err := w.eng.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Status != alexis.StatusFailure || rep.Runs[0].ExitCode != 3 {
		t.Fatalf("runs = %+v", rep.Runs)
	}
	// Default note, the remediation queue (on_failure names no team), the
	// failure tag and the escalation; the alert stays open.
	if diff := cmp.Diff([]string{"notes", "teams", "tags", "escalate"}, opsOf(w.og)); diff != "" {
		t.Errorf("OpsGenie operations (-want +got):\n%s", diff)
	}
	a, _ := w.og.Alert(gcAlertID)
	if a.Status != "open" || !cmp.Equal(a.Teams, []string{"ops_remediation"}) || !cmp.Equal(a.Escalations, []string{"ops_escalation"}) ||
		!strings.Contains(a.Notes[0], "Alexis remediation failure") || !strings.Contains(a.Notes[0], "exit 3") {
		t.Errorf("alert = %+v", a)
	}
	p, _ := w.dt.Problem(gcPID)
	if p.Status != "OPEN" || len(p.Comments) != 1 || !strings.HasPrefix(p.Comments[0].Content, "Autoremediation Attempt 1\n") {
		t.Errorf("problem = %+v", p)
	}

	// After a restart (no in-memory state), a second delivery that fails
	// again is attempt 2 on both sides.
	w.start()
	if _, err := w.eng.Handle(context.Background(), w.gcEvent(t)); err != nil {
		t.Fatal(err)
	}
	if a, _ := w.og.Alert(gcAlertID); !strings.HasPrefix(a.Notes[1], `Alexis remediation failure: rule "duplicator-gc", attempt 2`) {
		t.Errorf("note after restart = %q", a.Notes[1])
	}

	// A third delivery succeeds: attempt 3.
	os.WriteFile(filepath.Join(w.outDir, "exit"), []byte("0\n"), 0o644)
	if _, err := w.eng.Handle(context.Background(), w.gcEvent(t)); err != nil {
		t.Fatal(err)
	}
	p, _ = w.dt.Problem(gcPID)
	if !strings.HasPrefix(p.Comments[1].Content, "Autoremediation Attempt 2\nAlexis remediation failure") ||
		!strings.HasPrefix(p.Comments[2].Content, "Autoremediation Attempt 3\nAlexis restarted the duplicator") {
		t.Errorf("comments = %+v", p.Comments)
	}
	if a, _ := w.og.Alert(gcAlertID); len(a.Notes) != 3 || !strings.HasSuffix(a.Notes[2], "success, exit 0, attempt 3.") || a.Status != "closed" {
		t.Errorf("after the third delivery: %+v", a)
	}
}

func TestNoRuleMatchesGoesToInvestigation(t *testing.T) {
	w := newWorld(t)
	w.og.AddAlert(fakeopsgenie.Alert{ID: dtAlertID, TinyID: "4187"})
	body, err := os.ReadFile("testdata/opsgenie_create_from_dynatrace.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := opsgenie.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.eng.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Plan.Matches) != 0 || len(rep.Runs) != 0 {
		t.Fatalf("report = %+v", rep)
	}
	if diff := cmp.Diff([]string{"teams"}, opsOf(w.og)); diff != "" {
		t.Errorf("OpsGenie operations (-want +got):\n%s", diff)
	}
	a, _ := w.og.Alert(dtAlertID)
	if !cmp.Equal(a.Teams, []string{"ops_investigation"}) || len(a.Notes) != 1 {
		t.Errorf("alert = %+v", a)
	}
	if n := len(w.dt.Calls()); n != 0 {
		t.Errorf("%d Dynatrace calls for an unmatched alert", n)
	}
	if w.ran(t) != "" || w.srv.Execs() != 0 {
		t.Error("a command ran for an unmatched alert")
	}
}

// TestOwnEchoIsIgnored feeds back the webhook that Alexis' own note
// causes: it must not be acted on, or Alexis would loop.
func TestOwnEchoIsIgnored(t *testing.T) {
	w := newWorld(t)
	echo := `{"action":"AddNote","alert":{"alertId":"` + gcAlertID + `","message":"Long garbage-collection time on duplicator (day)",
	  "tags":["syn.day","syn.duplicator","app:duplicator"],"tinyId":"5120","alias":"` + gcPID + `","createdAt":1732876500412,
	  "updatedAt":1732876560488013000,"username":"alexis","source":"alexis","note":"Alexis restarted the duplicator",
	  "details":{"host_regex":"` + w.srv.Addr + `"}},"source":{"name":"alexis","type":"API"},"integrationName":"alexis-outgoing"}`
	ev, err := opsgenie.Parse([]byte(echo))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.eng.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Plan.Ignored == "" || len(rep.Runs) != 0 || len(w.og.Calls()) != 0 || len(w.dt.Calls()) != 0 || w.srv.Execs() != 0 {
		t.Errorf("echo acted on: plan %+v, %d OpsGenie calls, %d Dynatrace calls, %d execs", rep.Plan, len(w.og.Calls()), len(w.dt.Calls()), w.srv.Execs())
	}
}

// TestDynatraceWebhook runs the Dynatrace problem notification through a
// Dynatrace-sourced rule: the comment and marker go to the problem, and
// OpsGenie is not touched (the event carries no alert id).
func TestDynatraceWebhook(t *testing.T) {
	w := newWorld(t)
	const pid = "-3791384261738475918_1715950860000V2"
	w.dt.AddProblem(fakedynatrace.Problem{ID: pid, DisplayID: "P-240517133"})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	kind := ssh.New(ssh.Config{User: "alexis", KeyFile: w.srv.ClientKey.WriteFile(t, ""),
		KnownHostsFile: sshtest.WriteKnownHosts(t, w.srv), ConnectTimeout: 5 * time.Second, Logger: quiet})
	rs, err := rule.Parse("dt.yaml", []byte(`
rules:
  - name: duplicator-failure-rate
    sources: [dynatrace]
    when: action == "OPEN" && any(entities, .id == "SERVICE-8A2C4E6B1D3F5A79")
    targets: [`+w.srv.Addr+`]
    tasks:
      - action: ssh
        reason: restart-process
        command: echo {{ .ShortID }} > `+w.outDir+`/ran
`), alexis.NewRegistry(kind))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.eng.Swap(rs); err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile("testdata/dynatrace_problem_open.json")
	ev, err := dynatrace.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.eng.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Status != alexis.StatusSuccess || w.ran(t) != "P-240517133\n" {
		t.Fatalf("runs = %+v, remote wrote %q", rep.Runs, w.ran(t))
	}
	p, _ := w.dt.Problem(pid)
	if len(p.Comments) != 1 || !strings.HasPrefix(p.Comments[0].Content, "Autoremediation Attempt 1\n") || p.Status != "OPEN" {
		t.Errorf("problem = %+v", p)
	}
	// The event names its entities; none is called like the target, so the
	// marker goes on the impacted host.
	if evs := w.dt.Events(); len(evs) != 1 || evs[0].EntitySelector != `entityId("HOST-5D7E9A1B3C2F4E68")` {
		t.Errorf("events = %+v", evs)
	}
	if n := len(w.og.Calls()); n != 0 {
		t.Errorf("%d OpsGenie calls for a Dynatrace event", n)
	}
}
