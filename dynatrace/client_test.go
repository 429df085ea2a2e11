package dynatrace_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/internal/fakedynatrace"
	"github.com/google/go-cmp/cmp"
)

const (
	pid   = "-3791384261738475918_1715950860000V2"
	token = "dt0c01.ABCDEFGHIJ.KLMNOPQRST"
)

func newClient(t *testing.T, opts ...dynatrace.ClientOption) (*dynatrace.Client, *fakedynatrace.Server) {
	t.Helper()
	dt := fakedynatrace.New(t, token)
	dt.AddProblem(fakedynatrace.Problem{ID: pid, DisplayID: "P-240517133", Title: "Failure rate increase",
		Impacted: []fakedynatrace.Entity{{ID: "SERVICE-8A2C4E6B1D3F5A79", Type: "SERVICE", Name: "duplicator"}}})
	opts = append([]dynatrace.ClientOption{dynatrace.WithRetry(dynatrace.Retry{BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond})}, opts...)
	// A trailing slash is accepted (base paths such as Managed's
	// /e/{env-id} are kept: see the httpx tests).
	c, err := dynatrace.NewClient(dt.URL+"/", token, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, dt
}

func TestAddCommentAndCountAttempts(t *testing.T) {
	c, dt := newClient(t)
	ctx := context.Background()
	for i, msg := range []string{"Autoremediation Attempt 1\nrestarted", "a person's comment", "Autoremediation Attempt 2\nrestarted again"} {
		cx := ""
		if i == 1 {
			cx = "INC-42"
		}
		if err := c.AddComment(ctx, pid, msg, cx); err != nil {
			t.Fatal(err)
		}
	}
	// A comment that looks like ours but carries another context is not ours.
	if err := c.AddComment(ctx, pid, "Autoremediation Attempt 9 (copied)", "someone"); err != nil {
		t.Fatal(err)
	}
	call := dt.CallsOf("add-comment")[0]
	if call.Method != "POST" || call.RawPath != "/api/v2/problems/"+pid+"/comments" || call.Status != 201 ||
		call.Header.Get("Authorization") != "Api-Token "+token || call.Header.Get("Content-Type") != "application/json" {
		t.Errorf("call = %s %s → %d, headers %v", call.Method, call.RawPath, call.Status, call.Header)
	}
	var body map[string]string
	json.Unmarshal(call.Body, &body)
	if diff := cmp.Diff(map[string]string{"message": "Autoremediation Attempt 1\nrestarted", "context": "Alexis"}, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}

	cs, err := c.Comments(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 4 || cs[1].Context != "INC-42" {
		t.Fatalf("comments = %+v", cs)
	}
	// PageSize 2 on the fake: 4 comments take 2 pages.
	lists := dt.CallsOf("list-comments")
	if len(lists) != 2 || lists[0].Query.Get("pageSize") != "500" || lists[1].Query.Get("nextPageKey") == "" || len(lists[1].Query) != 1 {
		t.Errorf("list calls: %+v", lists)
	}
	n, err := c.CountAttempts(ctx, pid)
	if err != nil || n != 2 {
		t.Errorf("CountAttempts = %d, %v; want 2", n, err)
	}
}

func TestClose(t *testing.T) {
	c, dt := newClient(t)
	ctx := context.Background()
	if err := c.Close(ctx, pid, "closed by Alexis after a successful remediation"); err != nil {
		t.Fatal(err)
	}
	if p, _ := dt.Problem(pid); p.Status != "CLOSED" {
		t.Errorf("status %s", p.Status)
	}
	// Already closed: 204, not an error.
	if err := c.Close(ctx, pid, "again"); err != nil {
		t.Errorf("second close: %v", err)
	}
	calls := dt.CallsOf("close")
	if len(calls) != 2 || calls[0].Status != 200 || calls[1].Status != 204 {
		t.Errorf("close calls: %+v", calls)
	}
}

func TestIngestEvent(t *testing.T) {
	c, dt := newClient(t)
	ev := dynatrace.EventIngest{EventType: dynatrace.EventInfo, Title: "Auto-remediation: restarted duplicator.jar on web-01",
		EntitySelector: dynatrace.EntitySelector("PROCESS_GROUP_INSTANCE-3F1B9C7D2E4A6B80"),
		Properties:     map[string]string{"remediation.action": "restart-process", "dynatrace.problemId": pid, "triggeredBy": "alexis"}}
	res, err := c.IngestEvent(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.ReportCount != 1 || res.EventIngestResults[0].Status != "OK" {
		t.Errorf("result = %+v", res)
	}
	got := dt.Events()
	if len(got) != 1 || got[0].EntitySelector != `entityId("PROCESS_GROUP_INSTANCE-3F1B9C7D2E4A6B80")` || got[0].Properties["triggeredBy"] != "alexis" {
		t.Errorf("events = %+v", got)
	}
	if call := dt.CallsOf("ingest")[0]; call.RawPath != "/api/v2/events/ingest" || call.Status != 201 {
		t.Errorf("call %s → %d", call.RawPath, call.Status)
	}
}

func TestProblem(t *testing.T) {
	c, dt := newClient(t)
	p, err := c.Problem(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	if p.DisplayID != "P-240517133" || !p.Open() || p.EndTime != -1 || len(p.ImpactedEntities) != 1 || p.ImpactedEntities[0].EntityID.ID != "SERVICE-8A2C4E6B1D3F5A79" {
		t.Errorf("problem = %+v", p)
	}
	if q := dt.CallsOf("get-problem")[0].Query.Get("fields"); q != "evidenceDetails,impactAnalysis,recentComments" {
		t.Errorf("fields = %q", q)
	}
	_, err = c.Problem(context.Background(), "-1_1V2")
	var ae *dynatrace.APIError
	if !errors.As(err, &ae) || !ae.NotFound() || !strings.Contains(ae.Message, "does not exist") {
		t.Errorf("unknown problem: %v", err)
	}
}

func TestRetryAndGiveUp(t *testing.T) {
	c, dt := newClient(t)
	dt.Fail(1, http.StatusTooManyRequests, "1")
	dt.Fail(1, http.StatusBadGateway, "")
	start := time.Now()
	if err := c.AddComment(context.Background(), pid, "x", ""); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("Retry-After 1 not honoured: retried within %v", el)
	}
	if n := len(dt.Calls()); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}

	c2, dt2 := newClient(t, dynatrace.WithRetry(dynatrace.Retry{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	dt2.Fail(5, http.StatusServiceUnavailable, "")
	err := c2.AddComment(context.Background(), pid, "x", "")
	var ae *dynatrace.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || !ae.Retryable() {
		t.Fatalf("err = %v", err)
	}
	if n := len(dt2.Calls()); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestUnauthorized(t *testing.T) {
	dt := fakedynatrace.New(t, token)
	c, _ := dynatrace.NewClient(dt.URL, "dt0c01.WRONG.WRONG")
	err := c.AddComment(context.Background(), pid, "x", "")
	var ae *dynatrace.APIError
	if !errors.As(err, &ae) || !ae.Unauthorized() || ae.Retryable() || strings.Contains(err.Error(), "WRONG") {
		t.Errorf("err = %v", err)
	}
}

func TestBadArguments(t *testing.T) {
	c, dt := newClient(t)
	ctx := context.Background()
	if err := c.AddComment(ctx, "P-240517133", "x", ""); err == nil || !strings.Contains(err.Error(), "display id") {
		t.Errorf("display id accepted: %v", err)
	}
	if err := c.AddComment(ctx, pid, " ", ""); err == nil {
		t.Error("empty comment accepted")
	}
	if _, err := c.IngestEvent(ctx, dynatrace.EventIngest{EventType: dynatrace.EventInfo}); err == nil {
		t.Error("event without title accepted")
	}
	if n := len(dt.Calls()); n != 0 {
		t.Errorf("bad arguments reached the API: %d calls", n)
	}
	for _, u := range []string{"abc.live.dynatrace.com", "https://abc.apps.dynatrace.com"} {
		if _, err := dynatrace.NewClient(u, token); err == nil {
			t.Errorf("env URL %q accepted", u)
		}
	}
	c3, err := dynatrace.NewClient("https://dt.example.com/e/env-1/api/v2", token)
	if err != nil || c3 == nil {
		t.Errorf("Managed URL with /api/v2: %v", err)
	}
}

func TestEntitySelector(t *testing.T) {
	if got := dynatrace.EntitySelector(`HOST-1"),type(X`); got != `entityId("HOST-1\"),type(X")` {
		t.Errorf("EntitySelector = %s", got)
	}
}
