package opsgenie_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis/internal/fakeopsgenie"
	"github.com/alexis-project/alexis/opsgenie"
	"github.com/google/go-cmp/cmp"
)

const alertID = "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"
const alias = "-5512093387112045567_1732876440000V2"

func newClient(t *testing.T, opts ...opsgenie.ClientOption) (*opsgenie.Client, *fakeopsgenie.Server) {
	t.Helper()
	og := fakeopsgenie.New(t, "test-key")
	og.AddAlert(fakeopsgenie.Alert{ID: alertID, TinyID: "5120", Alias: alias, Message: "Long GC", Status: "open"})
	opts = append([]opsgenie.ClientOption{opsgenie.WithBaseURL(og.URL),
		opsgenie.WithRetry(opsgenie.Retry{BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}),
		opsgenie.WithConfirmPolling(time.Millisecond, 5*time.Second)}, opts...)
	c, err := opsgenie.NewClient("test-key", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, og
}

func TestClientWrites(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		call      func(c *opsgenie.Client) (string, error)
		wantPath  string // escaped, as on the wire
		wantQuery string
		wantBody  string
	}{
		{"note by id", func(c *opsgenie.Client) (string, error) {
			return c.AddNote(ctx, opsgenie.AlertID(alertID), "restarted duplicator")
		}, "/v2/alerts/" + alertID + "/notes", "identifierType=id", `{"user":"alexis","source":"alexis","note":"restarted duplicator"}`},
		{"team by tiny id", func(c *opsgenie.Client) (string, error) {
			return c.AddTeam(ctx, opsgenie.TinyID("5120"), opsgenie.Team{Name: "ops_remediation"}, "")
		}, "/v2/alerts/5120/teams", "identifierType=tiny", `{"team":{"name":"ops_remediation"},"user":"alexis","source":"alexis"}`},
		{"responder by alias", func(c *opsgenie.Client) (string, error) {
			return c.AddResponder(ctx, opsgenie.AliasRef(alias), opsgenie.Responder{Type: "user", Username: "oncall@example.com"}, "")
		}, "/v2/alerts/" + alias + "/responders", "identifierType=alias", `{"responder":{"type":"user","username":"oncall@example.com"},"user":"alexis","source":"alexis"}`},
		{"tags", func(c *opsgenie.Client) (string, error) {
			return c.AddTags(ctx, opsgenie.AlertID(alertID), []string{"alexis:remediated", "alexis:remediated", " "}, "")
		}, "/v2/alerts/" + alertID + "/tags", "identifierType=id", `{"tags":["alexis:remediated"],"user":"alexis","source":"alexis"}`},
		{"details", func(c *opsgenie.Client) (string, error) {
			return c.AddDetails(ctx, opsgenie.AlertID(alertID), map[string]string{"alexis.rule": "gc"}, "")
		}, "/v2/alerts/" + alertID + "/details", "identifierType=id", `{"details":{"alexis.rule":"gc"},"user":"alexis","source":"alexis"}`},
		{"escalate", func(c *opsgenie.Client) (string, error) {
			return c.Escalate(ctx, opsgenie.AlertID(alertID), opsgenie.Escalation{Name: "ops_escalation"}, "remediation failed")
		}, "/v2/alerts/" + alertID + "/escalate", "identifierType=id", `{"escalation":{"name":"ops_escalation"},"user":"alexis","source":"alexis","note":"remediation failed"}`},
		{"acknowledge", func(c *opsgenie.Client) (string, error) {
			return c.Acknowledge(ctx, opsgenie.AlertID(alertID), "")
		}, "/v2/alerts/" + alertID + "/acknowledge", "identifierType=id", `{"user":"alexis","source":"alexis"}`},
		{"close", func(c *opsgenie.Client) (string, error) {
			return c.Close(ctx, opsgenie.AlertID(alertID), "fixed")
		}, "/v2/alerts/" + alertID + "/close", "identifierType=id", `{"user":"alexis","source":"alexis","note":"fixed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, og := newClient(t)
			reqID, err := tt.call(c)
			if err != nil {
				t.Fatal(err)
			}
			calls := og.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d calls, want 1", len(calls))
			}
			got := calls[0]
			if got.Method != http.MethodPost || got.RawPath != tt.wantPath || got.Query.Encode() != tt.wantQuery || got.Status != http.StatusAccepted {
				t.Errorf("%s %s?%s → %d, want POST %s?%s → 202", got.Method, got.RawPath, got.Query.Encode(), got.Status, tt.wantPath, tt.wantQuery)
			}
			if h := got.Header.Get("Authorization"); h != "GenieKey test-key" {
				t.Errorf("Authorization = %q", h)
			}
			if h := got.Header.Get("Content-Type"); h != "application/json" {
				t.Errorf("Content-Type = %q", h)
			}
			if diff := cmp.Diff(canon(t, tt.wantBody), canon(t, string(got.Body))); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			st, err := c.Confirm(ctx, reqID)
			if err != nil || !st.IsSuccess || st.AlertID != alertID {
				t.Errorf("Confirm = %+v, %v", st, err)
			}
		})
	}
}

func canon(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

func TestAliasIsEscaped(t *testing.T) {
	c, og := newClient(t)
	weird := "svc/a b?x=1#frag"
	og.AddAlert(fakeopsgenie.Alert{ID: "a2", Alias: weird})
	if _, err := c.AddNote(context.Background(), opsgenie.AliasRef(weird), "n"); err != nil {
		t.Fatal(err)
	}
	got := og.Calls()[0]
	if want := "/v2/alerts/" + url.PathEscape(weird) + "/notes"; got.RawPath != want || got.Identifier != weird {
		t.Errorf("path %s (identifier %q), want %s", got.RawPath, got.Identifier, want)
	}
	if a, _ := og.Alert("a2"); len(a.Notes) != 1 {
		t.Errorf("note not applied to the aliased alert: %+v", a)
	}
}

func TestGet(t *testing.T) {
	c, og := newClient(t)
	a, err := c.Get(context.Background(), opsgenie.AliasRef(alias))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != alertID || a.Status != "open" || a.TinyID != "5120" || a.CreatedAt.IsZero() {
		t.Errorf("Get = %+v", a)
	}
	call := og.Calls()[0]
	if call.Method != "GET" || call.Query.Get("identifierType") != "alias" || len(call.Body) != 0 {
		t.Errorf("call = %+v", call)
	}
	_, err = c.Get(context.Background(), opsgenie.AlertID("nope"))
	var ae *opsgenie.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Message != "Alert does not exist" || ae.Retryable() {
		t.Errorf("unknown alert: %v", err)
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	c, og := newClient(t)
	og.Fail(2, http.StatusInternalServerError, "")
	og.Fail(1, http.StatusTooManyRequests, "0")
	if _, err := c.AddNote(context.Background(), opsgenie.AlertID(alertID), "x"); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, call := range og.Calls() {
		statuses = append(statuses, call.Status)
	}
	if diff := cmp.Diff([]int{500, 500, 429, 202}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	c, og := newClient(t)
	og.Fail(1, http.StatusTooManyRequests, "1")
	start := time.Now()
	if _, err := c.AddNote(context.Background(), opsgenie.AlertID(alertID), "x"); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %v; Retry-After said 1s", el)
	}
	if n := len(og.Calls()); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestGivesUp(t *testing.T) {
	c, og := newClient(t, opsgenie.WithRetry(opsgenie.Retry{MaxAttempts: 3, BaseDelay: time.Millisecond}))
	og.Fail(10, http.StatusServiceUnavailable, "")
	_, err := c.Close(context.Background(), opsgenie.AlertID(alertID), "")
	var ae *opsgenie.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || !ae.Retryable() {
		t.Fatalf("err = %v", err)
	}
	if n := len(og.Calls()); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
	if a, _ := og.Alert(alertID); a.Status != "open" {
		t.Error("alert closed although every attempt failed")
	}
}

func TestUnauthorized(t *testing.T) {
	og := fakeopsgenie.New(t, "right-key")
	c, err := opsgenie.NewClient("wrong-key", opsgenie.WithBaseURL(og.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AddNote(context.Background(), opsgenie.AlertID(alertID), "x")
	var ae *opsgenie.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || !ae.Unauthorized() || ae.Retryable() || ae.RequestID == "" {
		t.Fatalf("err = %#v", err)
	}
	if strings.Contains(err.Error(), "wrong-key") {
		t.Errorf("error leaks the key: %v", err)
	}
	if n := len(og.Calls()); n != 1 {
		t.Errorf("401 retried: %d calls", n)
	}
}

func TestConfirm(t *testing.T) {
	c, og := newClient(t)
	og.NotProcessedPolls = 3
	id, err := c.Close(context.Background(), opsgenie.AlertID(alertID), "")
	if err != nil {
		t.Fatal(err)
	}
	// One poll answers 404 RequestNotProcessed: a typed "not yet".
	_, err = c.RequestStatus(context.Background(), id)
	var ae *opsgenie.APIError
	if !errors.As(err, &ae) || !ae.NotProcessed() {
		t.Fatalf("first poll: %v", err)
	}
	st, err := c.Confirm(context.Background(), id)
	if err != nil || st.Action != "Close" || !st.IsSuccess {
		t.Fatalf("Confirm = %+v, %v", st, err)
	}
	if n := len(og.CallsOf("request-status")); n != 4 {
		t.Errorf("%d polls, want 4 (3 not processed, then done)", n)
	}

	// A request on an alert that does not exist is accepted, then fails.
	id, err = c.AddNote(context.Background(), opsgenie.AlertID("gone"), "x")
	if err != nil {
		t.Fatal(err)
	}
	og.NotProcessedPolls = 0
	_, err = c.Confirm(context.Background(), id)
	var rf *opsgenie.RequestFailedError
	if !errors.As(err, &rf) || rf.Status.IsSuccess || rf.Status.Status != "Alert does not exist" {
		t.Errorf("Confirm on unknown alert: %v", err)
	}
}

func TestConfirmTimesOut(t *testing.T) {
	c, og := newClient(t, opsgenie.WithConfirmPolling(time.Millisecond, 50*time.Millisecond))
	og.NotProcessedPolls = 1 << 30
	id, _ := c.Close(context.Background(), opsgenie.AlertID(alertID), "")
	if _, err := c.Confirm(context.Background(), id); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}

func TestLimits(t *testing.T) {
	c, og := newClient(t)
	ctx := context.Background()
	if _, err := c.AddNote(ctx, opsgenie.AlertID(alertID), strings.Repeat("x", 30000)); err != nil {
		t.Fatal(err)
	}
	var tags []string
	for i := range 25 {
		tags = append(tags, strings.Repeat(string(rune('a'+i)), 60))
	}
	if _, err := c.AddTags(ctx, opsgenie.AlertID(alertID), tags, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddDetails(ctx, opsgenie.AlertID(alertID), map[string]string{"out": strings.Repeat("o", 9000), "rule": "gc"}, ""); err != nil {
		t.Fatal(err)
	}
	a, _ := og.Alert(alertID)
	if n := len([]rune(a.Notes[0])); n != opsgenie.MaxNote || !strings.HasSuffix(a.Notes[0], "[…truncated]") {
		t.Errorf("note of %d runes, marker %v", n, strings.HasSuffix(a.Notes[0], "[…truncated]"))
	}
	if len(a.Tags) != 20 || len([]rune(a.Tags[0])) != 50 {
		t.Errorf("tags = %d, first %d runes", len(a.Tags), len([]rune(a.Tags[0])))
	}
	if !strings.Contains(a.Notes[1], "not added") {
		t.Errorf("dropped tags not named in a note: %q", a.Notes[1])
	}
	if a.Details["rule"] != "gc" || len(a.Details["out"]) > 8000 {
		t.Errorf("details: rule %q, out %d", a.Details["rule"], len(a.Details["out"]))
	}
}

func TestBadArguments(t *testing.T) {
	c, og := newClient(t)
	ctx := context.Background()
	for name, err := range map[string]error{
		"empty id":      errOf(c.AddNote(ctx, opsgenie.AlertID(""), "x")),
		"bad type":      errOf(c.AddNote(ctx, opsgenie.Ref{Value: "x", Type: "name"}, "x")),
		"empty note":    errOf(c.AddNote(ctx, opsgenie.AlertID(alertID), " ")),
		"no team":       errOf(c.AddTeam(ctx, opsgenie.AlertID(alertID), opsgenie.Team{}, "")),
		"no escalation": errOf(c.Escalate(ctx, opsgenie.AlertID(alertID), opsgenie.Escalation{}, "")),
		"bad responder": errOf(c.AddResponder(ctx, opsgenie.AlertID(alertID), opsgenie.Responder{Type: "schedule", Name: "x"}, "")),
		"no tags":       errOf(c.AddTags(ctx, opsgenie.AlertID(alertID), nil, "")),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := len(og.Calls()); n != 0 {
		t.Errorf("bad arguments reached the API: %d calls", n)
	}
	for _, base := range []string{"", "api.opsgenie.com", "https://x/?k=v"} {
		if _, err := opsgenie.NewClient("k", opsgenie.WithBaseURL(base)); err == nil {
			t.Errorf("base %q accepted", base)
		}
	}
	if _, err := opsgenie.NewClient(" "); err == nil {
		t.Error("empty key accepted")
	}
}

func errOf(_ string, err error) error { return err }
