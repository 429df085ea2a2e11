package dynatrace_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/internal/fakedynatrace"
	"github.com/google/go-cmp/cmp"
)

func problemEvent(t *testing.T) *alexis.Event {
	t.Helper()
	body, err := os.ReadFile("testdata/dynatrace_problem_open.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := dynatrace.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func reportFor(ev *alexis.Event, rule *alexis.Rule, target string, statuses ...alexis.Status) *alexis.Report {
	r := &alexis.Report{Event: ev, Rules: []*alexis.Rule{rule},
		Plan: alexis.Plan{Event: ev.Key(), Matches: []alexis.Match{{Rule: rule.Name, Targets: []string{target}}}}}
	for _, st := range statuses {
		run := alexis.TaskRun{Rule: rule.Name, Target: target, Action: "ssh", Reason: "restart-process",
			Command: "sudo systemctl restart duplicator", Result: alexis.Result{Status: st, Duration: 2 * time.Second, Output: "ok"}}
		if st == alexis.StatusFailure {
			run.ExitCode = 1
		}
		r.Runs = append(r.Runs, run)
	}
	return r
}

func TestNotifyDynatraceEvent(t *testing.T) {
	c, dt := newClient(t)
	n := dynatrace.NewNotifier(c)
	ev := problemEvent(t)
	if ev.ID != pid {
		t.Fatalf("parsed PID %q", ev.ID)
	}
	rule := &alexis.Rule{Name: "duplicator-restart", OnSuccess: alexis.Reaction{Close: true}}
	ctx := context.Background()
	// A person's comment and an earlier attempt are already there.
	c.AddComment(ctx, pid, "looking into it", "INC-7")
	c.AddComment(ctx, pid, dynatrace.AttemptPrefix+" 1\nearlier", "")

	if err := n.Notify(ctx, reportFor(ev, rule, "web-01", alexis.StatusSuccess)); err != nil {
		t.Fatal(err)
	}
	p, _ := dt.Problem(pid)
	if len(p.Comments) != 4 { // 2 before, the attempt, the closing comment
		t.Fatalf("comments = %+v", p.Comments)
	}
	got := p.Comments[2]
	if got.Context != "Alexis" || !strings.HasPrefix(got.Content, "Autoremediation Attempt 2\nAlexis remediation success: rule \"duplicator-restart\", attempt 2") {
		t.Errorf("comment = %+v", got)
	}
	if p.Status != "CLOSED" {
		t.Errorf("problem not closed: %s", p.Status)
	}
	evs := dt.Events()
	if len(evs) != 1 {
		t.Fatalf("events = %+v", evs)
	}
	want := fakedynatrace.Event{EventType: "CUSTOM_INFO", Title: "Alexis remediation success: duplicator-restart on web-01",
		EntitySelector: `entityId("HOST-5D7E9A1B3C2F4E68")`, // the entity named like the target
		Properties: map[string]string{"alexis.rule": "duplicator-restart", "alexis.status": "success", "alexis.attempt": "2",
			"alexis.event": ev.Key(), "dynatrace.problemId": pid, "triggeredBy": "alexis", "alexis.target": "web-01",
			"alexis.targets": "web-01", "alexis.action": "ssh", "alexis.reason": "restart-process", "alexis.exit_code": "0",
			"alexis.duration_ms": "2000"}}
	if diff := cmp.Diff(want, evs[0]); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	if n := len(dt.CallsOf("get-problem")); n != 0 {
		t.Errorf("fetched the problem %d times although the event named its entities", n)
	}
}

func TestNotifyFailureDoesNotClose(t *testing.T) {
	c, dt := newClient(t)
	n := dynatrace.NewNotifier(c)
	rule := &alexis.Rule{Name: "r", OnSuccess: alexis.Reaction{Close: true}, OnFailure: alexis.Reaction{Comment: "{{.Rule}} failed: exit {{.ExitCode}}"}}
	if err := n.Notify(context.Background(), reportFor(problemEvent(t), rule, "web-01", alexis.StatusFailure)); err != nil {
		t.Fatal(err)
	}
	p, _ := dt.Problem(pid)
	if p.Status != "OPEN" || len(p.Comments) != 1 || p.Comments[0].Content != "Autoremediation Attempt 1\nr failed: exit 1" {
		t.Errorf("problem = %+v", p)
	}
}

func TestNotifyCommentFallsBackToNote(t *testing.T) {
	c, dt := newClient(t)
	n := dynatrace.NewNotifier(c)
	rule := &alexis.Rule{Name: "r", OnSuccess: alexis.Reaction{Note: "restarted {{ .Target }} for {{ .ShortID }}"}}
	if err := n.Notify(context.Background(), reportFor(problemEvent(t), rule, "web-01", alexis.StatusSuccess)); err != nil {
		t.Fatal(err)
	}
	if p, _ := dt.Problem(pid); len(p.Comments) != 1 || p.Comments[0].Content != "Autoremediation Attempt 1\nrestarted web-01 for P-240517133" {
		t.Errorf("comments = %+v", p.Comments)
	}
}

func TestNotifyOpsGenieEventFromDynatrace(t *testing.T) {
	c, dt := newClient(t)
	n := dynatrace.NewNotifier(c)
	ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: "og-1", Action: "Create", Alias: "not-a-pid",
		Details: map[string]string{"pid": pid}}
	rule := &alexis.Rule{Name: "r"}
	if err := n.Notify(context.Background(), reportFor(ev, rule, "elsewhere", alexis.StatusSuccess)); err != nil {
		t.Fatal(err)
	}
	// The event names no entity: the problem's impacted entity is used.
	if n := len(dt.CallsOf("get-problem")); n != 1 {
		t.Errorf("%d problem fetches, want 1", n)
	}
	evs := dt.Events()
	if len(evs) != 1 || evs[0].EntitySelector != `entityId("SERVICE-8A2C4E6B1D3F5A79")` || evs[0].Properties["opsgenie.alertId"] != "og-1" {
		t.Errorf("events = %+v", evs)
	}
}

func TestNotifyDryRunAndUnrelated(t *testing.T) {
	c, dt := newClient(t)
	n := dynatrace.NewNotifier(c)
	rule := &alexis.Rule{Name: "r", OnSuccess: alexis.Reaction{Close: true}}
	ctx := context.Background()
	if err := n.Notify(ctx, reportFor(problemEvent(t), rule, "web-01", alexis.StatusDryRun)); err != nil {
		t.Fatal(err)
	}
	p, _ := dt.Problem(pid)
	if len(p.Comments) != 1 || !strings.HasPrefix(p.Comments[0].Content, dynatrace.DryRunPrefix+"\n") || p.Status != "OPEN" || len(dt.Events()) != 0 {
		t.Errorf("dry run: %+v, %d events", p, len(dt.Events()))
	}
	if a, _ := c.CountAttempts(ctx, pid); a != 0 {
		t.Errorf("dry run counted as attempt: %d", a)
	}
	before := len(dt.Calls())
	for _, ev := range []*alexis.Event{
		{Source: alexis.SourceOpsGenie, ID: "x", Alias: "web-01 down"}, // no PID anywhere
		{Source: alexis.SourceAlertmanager, ID: "abc"},
		{Source: alexis.SourceDynatrace, ID: pid, Ignore: "test notification"},
	} {
		n.Notify(ctx, reportFor(ev, rule, "web-01", alexis.StatusSuccess))
	}
	n.Notify(ctx, &alexis.Report{Event: problemEvent(t)}) // no rule matched
	if after := len(dt.Calls()); after != before {
		t.Errorf("%d calls for events that concern no problem", after-before)
	}
}

func TestProblemID(t *testing.T) {
	tests := []struct {
		ev   alexis.Event
		want string
	}{
		{alexis.Event{Source: alexis.SourceDynatrace, ID: pid}, pid},
		{alexis.Event{Source: alexis.SourceOpsGenie, Alias: "-1113367559322804549"}, "-1113367559322804549"},
		{alexis.Event{Source: alexis.SourceOpsGenie, Alias: "x", Details: map[string]string{"PID": " " + pid + " "}}, pid},
		{alexis.Event{Source: alexis.SourceOpsGenie, Alias: "P-240517133"}, ""},
		{alexis.Event{Source: alexis.SourceOpsGenie, Details: map[string]string{"PID": "{PID}"}}, ""},
		{alexis.Event{Source: alexis.SourceGeneric, ID: pid}, ""},
	}
	for _, tt := range tests {
		if got := dynatrace.ProblemID(&tt.ev); got != tt.want {
			t.Errorf("ProblemID(%+v) = %q, want %q", tt.ev, got, tt.want)
		}
	}
}

func TestNotifyReportsErrors(t *testing.T) {
	c, dt := newClient(t)
	n := dynatrace.NewNotifier(c)
	dt.AddProblem(fakedynatrace.Problem{ID: pid, Status: "OPEN"})     // no entities
	ev := &alexis.Event{Source: alexis.SourceDynatrace, ID: "-9_9V2"} // unknown problem
	err := n.Notify(context.Background(), reportFor(ev, &alexis.Rule{Name: "r"}, "h", alexis.StatusSuccess))
	var ae *dynatrace.APIError
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !errors.As(err, &ae) || !ae.NotFound() {
		t.Errorf("err = %v", err)
	}
}

func TestAttemptCounter(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	count := dynatrace.AttemptCounter(c, "")
	ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: "og-1", Alias: pid}
	if n, err := count(ctx, ev, "r"); n != 0 || err != nil {
		t.Errorf("no comments: %d, %v", n, err)
	}
	c.AddComment(ctx, pid, dynatrace.AttemptPrefix+" 1\nx", "")
	c.AddComment(ctx, pid, dynatrace.DryRunPrefix+"\nx", "")
	if n, err := count(ctx, ev, "r"); n != 1 || err != nil {
		t.Errorf("one attempt: %d, %v", n, err)
	}
	if n, err := count(ctx, &alexis.Event{Source: alexis.SourceAlertmanager, ID: "f"}, "r"); n != -1 || err != nil {
		t.Errorf("no problem: %d, %v", n, err)
	}
	if n, err := count(ctx, &alexis.Event{Source: alexis.SourceDynatrace, ID: "-1_1V2"}, "r"); n != -1 || err == nil {
		t.Errorf("unknown problem: %d, %v", n, err)
	}
}
