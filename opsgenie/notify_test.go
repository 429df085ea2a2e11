package opsgenie_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/fakeopsgenie"
	"github.com/alexis-project/alexis/opsgenie"
	"github.com/google/go-cmp/cmp"
)

// report builds the Report of one OpsGenie event after the given rules ran,
// each rule with one run per status given.
func report(action string, rules map[*alexis.Rule][]alexis.Status) *alexis.Report {
	ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: alertID, ShortID: "5120", Alias: alias, Action: action,
		Message: "Long garbage-collection time on duplicator (day)"}
	r := &alexis.Report{Event: ev, Plan: alexis.Plan{Event: ev.Key()}}
	// Stable order: by rule name.
	var names []*alexis.Rule
	for rule := range rules {
		names = append(names, rule)
	}
	for i := 0; i < len(names); i++ {
		for j := i + 1; j < len(names); j++ {
			if names[j].Name < names[i].Name {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	for _, rule := range names {
		r.Rules = append(r.Rules, rule)
		r.Plan.Matches = append(r.Plan.Matches, alexis.Match{Rule: rule.Name, Targets: []string{"wayvsymdup01.dev.example.com"}})
		for _, st := range rules[rule] {
			run := alexis.TaskRun{Rule: rule.Name, Target: "wayvsymdup01.dev.example.com", Action: "ssh", Reason: "restart-gc",
				Command: "sudo systemctl restart duplicator", Result: alexis.Result{Status: st, Duration: 1500 * time.Millisecond, Output: "done"}}
			if st == alexis.StatusFailure {
				run.ExitCode, run.Output, run.Error = 3, "Job failed; token=abc123def456", "exit status 3"
			}
			r.Runs = append(r.Runs, run)
		}
	}
	return r
}

func newNotifier(t *testing.T, opts ...opsgenie.NotifierOption) (*opsgenie.Notifier, *fakeopsgenie.Server) {
	t.Helper()
	c, og := newClient(t)
	og.NotProcessedPolls = 0
	opts = append([]opsgenie.NotifierOption{opsgenie.WithNotifyLogger(slog.New(slog.DiscardHandler))}, opts...)
	n := opsgenie.NewNotifier(c, opts...)
	t.Cleanup(func() { n.Close() })
	return n, og
}

func ops(og *fakeopsgenie.Server) []string {
	var out []string
	for _, c := range og.Calls() {
		if c.Op != "request-status" {
			out = append(out, c.Op)
		}
	}
	return out
}

func TestNotifySuccess(t *testing.T) {
	n, og := newNotifier(t, opsgenie.WithRemediationTeam("ops_remediation"))
	rule := &alexis.Rule{Name: "duplicator-gc", OnSuccess: alexis.Reaction{Team: "ops_duplicator", Tags: []string{"alexis:remediated"}, Close: true}}
	if err := n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess}})); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"notes", "teams", "tags", "close"}, ops(og)); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	a, _ := og.Alert(alertID)
	if a.Status != "closed" || !cmp.Equal(a.Teams, []string{"ops_duplicator"}) || !cmp.Equal(a.Tags, []string{"alexis:remediated"}) {
		t.Errorf("alert = %+v", a)
	}
	for _, want := range []string{`Alexis remediation success: rule "duplicator-gc", attempt 1`, "wayvsymdup01.dev.example.com ssh (restart-gc): success, exit 0, 1.5s"} {
		if !strings.Contains(a.Notes[0], want) {
			t.Errorf("note lacks %q:\n%s", want, a.Notes[0])
		}
	}
}

func TestNotifyFailure(t *testing.T) {
	n, og := newNotifier(t, opsgenie.WithRemediationTeam("ops_remediation"))
	rule := &alexis.Rule{Name: "duplicator-gc", OnSuccess: alexis.Reaction{Close: true},
		OnFailure: alexis.Reaction{Escalate: "ops_escalation", Note: "{{.Rule}} failed on {{.Target}} with exit {{.ExitCode}}: {{.Output}}"}}
	if err := n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess, alexis.StatusFailure}})); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"notes", "teams", "escalate"}, ops(og)); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	a, _ := og.Alert(alertID)
	want := "duplicator-gc failed on wayvsymdup01.dev.example.com with exit 3: Job failed; token=[REDACTED]"
	if a.Status != "open" || a.Notes[0] != want || !cmp.Equal(a.Teams, []string{"ops_remediation"}) || !cmp.Equal(a.Escalations, []string{"ops_escalation"}) {
		t.Errorf("alert = %+v", a)
	}
}

func TestNotifyTwoRulesShareTheDefaultTeam(t *testing.T) {
	n, og := newNotifier(t, opsgenie.WithRemediationTeam("ops_remediation"))
	r1, r2 := &alexis.Rule{Name: "a-gc"}, &alexis.Rule{Name: "b-disk"}
	if err := n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{r1: {alexis.StatusSuccess}, r2: {alexis.StatusSuccess}})); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"notes", "teams", "notes"}, ops(og)); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
}

func TestNotifyNoMatch(t *testing.T) {
	tests := []struct {
		action string
		want   []string
	}{
		{"Create", []string{"teams"}},
		{"AddNote", nil},
	}
	for _, tt := range tests {
		n, og := newNotifier(t, opsgenie.WithInvestigationTeam("ops_investigation"))
		if err := n.Notify(context.Background(), report(tt.action, nil)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, ops(og)); diff != "" {
			t.Errorf("%s: operations (-want +got):\n%s", tt.action, diff)
		}
		if tt.want != nil {
			a, _ := og.Alert(alertID)
			if !cmp.Equal(a.Teams, []string{"ops_investigation"}) || len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "no remediation rule matched") {
				t.Errorf("alert = %+v", a)
			}
		}
	}
}

func TestNotifyLeavesOtherEventsAlone(t *testing.T) {
	n, og := newNotifier(t, opsgenie.WithInvestigationTeam("ops_investigation"), opsgenie.WithRemediationTeam("r"))
	rule := &alexis.Rule{Name: "x"}
	r := report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess}})
	r.Event.Source = alexis.SourceDynatrace
	n.Notify(context.Background(), r)
	r = report("AddNote", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess}})
	r.Event.Ignore = "echo of alexis"
	n.Notify(context.Background(), r)
	if calls := og.Calls(); len(calls) != 0 {
		t.Errorf("%d calls", len(calls))
	}
}

func TestNotifyDynatraceEventByAlias(t *testing.T) {
	n, og := newNotifier(t, opsgenie.WithDynatraceAlias(true), opsgenie.WithDefaultEscalation("ops_escalation"))
	rule := &alexis.Rule{Name: "x", EscalateAfter: 20 * time.Millisecond}
	r := report("OPEN", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess}})
	r.Event.Source, r.Event.ID = alexis.SourceDynatrace, alias
	if err := n.Notify(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(og.CallsOf("escalate")) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for _, c := range og.Calls() {
		if c.Op != "request-status" && (c.Query.Get("identifierType") != "alias" || c.Identifier != alias) {
			t.Errorf("%s addressed %s %s", c.Op, c.Query.Get("identifierType"), c.Identifier)
		}
	}
	if a, _ := og.Alert(alertID); len(a.Notes) != 2 || !strings.Contains(a.Notes[1], "still open") || !cmp.Equal(a.Escalations, []string{"ops_escalation"}) {
		t.Errorf("alert = %+v", a)
	}
}

func TestNotifyDryRunOnlyNotes(t *testing.T) {
	n, og := newNotifier(t, opsgenie.WithRemediationTeam("ops_remediation"))
	rule := &alexis.Rule{Name: "gc", OnSuccess: alexis.Reaction{Close: true, Team: "t"}, EscalateAfter: time.Millisecond}
	if err := n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusDryRun}})); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"notes"}, ops(og)); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	if a, _ := og.Alert(alertID); !strings.Contains(a.Notes[0], "dry-run") || !strings.Contains(a.Notes[0], "sudo systemctl restart duplicator") {
		t.Errorf("note = %q", a.Notes[0])
	}
	if len(n.Pending()) != 0 {
		t.Error("dry run scheduled an escalation")
	}
}

func TestNotifyAttemptsCount(t *testing.T) {
	n, og := newNotifier(t)
	rule := &alexis.Rule{Name: "gc"}
	for range 3 {
		n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusFailure}}))
	}
	a, _ := og.Alert(alertID)
	for i, note := range a.Notes {
		if want := "attempt " + string(rune('1'+i)); !strings.Contains(note, want) {
			t.Errorf("note %d lacks %q: %s", i, want, note)
		}
	}
}

func TestEscalateAfter(t *testing.T) {
	tests := []struct {
		name     string
		change   func(og *fakeopsgenie.Server)
		wantEsc  []string
		wantOps  []string
		closeNow bool
	}{
		{"still open: escalate", nil, []string{"ops_escalation"}, []string{"notes", "get", "escalate"}, false},
		{"closed meanwhile: nothing", func(og *fakeopsgenie.Server) { og.SetStatus(alertID, "closed") }, nil, []string{"notes", "get"}, false},
		{"notifier closed: cancelled", nil, nil, []string{"notes"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, og := newNotifier(t, opsgenie.WithDefaultEscalation("ops_escalation"))
			rule := &alexis.Rule{Name: "gc", EscalateAfter: 100 * time.Millisecond}
			if err := n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess}})); err != nil {
				t.Fatal(err)
			}
			p := n.Pending()
			if len(p) != 1 || p[0].AlertID != alertID || p[0].Escalation != "ops_escalation" || p[0].Rule != "gc" {
				t.Fatalf("pending = %+v", p)
			}
			if tt.change != nil {
				tt.change(og)
			}
			if tt.closeNow {
				n.Close()
			}
			deadline := time.Now().Add(3 * time.Second)
			for len(ops(og)) < len(tt.wantOps) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(150 * time.Millisecond) // nothing more must happen
			n.Close()
			if diff := cmp.Diff(tt.wantOps, ops(og)); diff != "" {
				t.Errorf("operations (-want +got):\n%s", diff)
			}
			if a, _ := og.Alert(alertID); !cmp.Equal(a.Escalations, tt.wantEsc) {
				t.Errorf("escalations = %v, want %v", a.Escalations, tt.wantEsc)
			}
			if len(n.Pending()) != 0 {
				t.Error("escalation still pending")
			}
		})
	}
}

func TestNoDelayedEscalationAfterAnEscalation(t *testing.T) {
	n, og := newNotifier(t, opsgenie.WithDefaultEscalation("later"))
	rule := &alexis.Rule{Name: "gc", EscalateAfter: time.Millisecond, OnFailure: alexis.Reaction{Escalate: "now"}}
	if err := n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusFailure}})); err != nil {
		t.Fatal(err)
	}
	if p := n.Pending(); len(p) != 0 {
		t.Errorf("pending = %+v", p)
	}
	time.Sleep(50 * time.Millisecond)
	if a, _ := og.Alert(alertID); !cmp.Equal(a.Escalations, []string{"now"}) {
		t.Errorf("escalations = %v", a.Escalations)
	}
}

func TestNotifyJoinsErrorsAndKeepsGoing(t *testing.T) {
	og := fakeopsgenie.New(t, "right")
	og.AddAlert(fakeopsgenie.Alert{ID: alertID})
	c, _ := opsgenie.NewClient("wrong", opsgenie.WithBaseURL(og.URL))
	n := opsgenie.NewNotifier(c, opsgenie.WithRemediationTeam("r"), opsgenie.WithNotifyLogger(slog.New(slog.DiscardHandler)))
	defer n.Close()
	rule := &alexis.Rule{Name: "gc", OnSuccess: alexis.Reaction{Close: true}}
	err := n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess}}))
	var ae *opsgenie.APIError
	if !errors.As(err, &ae) || ae.Status != 401 {
		t.Fatalf("err = %v", err)
	}
	if got := len(og.Calls()); got != 3 { // note, team, close: all tried
		t.Errorf("%d calls, want 3", got)
	}
}

func TestNotifyConfirmReportsFailedRequest(t *testing.T) {
	n, og := newNotifier(t, opsgenie.WithConfirm(true))
	rule := &alexis.Rule{Name: "gc", OnSuccess: alexis.Reaction{Close: true}}
	r := report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess}})
	r.Event.ID = "deleted-alert"
	err := n.Notify(context.Background(), r)
	var rf *opsgenie.RequestFailedError
	if !errors.As(err, &rf) || rf.Status.Action != "Close" {
		t.Fatalf("err = %v", err)
	}
	if len(og.CallsOf("request-status")) == 0 {
		t.Error("close not confirmed")
	}
}
