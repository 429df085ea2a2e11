package opsgenie_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/opsgenie"
)

// exampleServer prints each request it gets and answers like the Alert
// API: 202 with a request id for writes, the alert for a GET.
func exampleServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println(strings.TrimSpace(r.Method + " " + r.URL.RequestURI() + " " + string(body)))
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			io.WriteString(w, `{"data":{"id":"a1","tinyId":"5120","status":"open","acknowledged":false},"took":0.01,"requestId":"r0"}`)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"result":"Request will be processed","took":0.3,"requestId":"43a29c5c-3dbf-4fa4-9c26-f4f71023e120"}`)
	}))
}

func ExampleClient_AddNote() {
	srv := exampleServer()
	defer srv.Close()
	c, err := opsgenie.NewClient("api-key-from-env", opsgenie.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	reqID, err := c.AddNote(ctx, opsgenie.AliasRef("-5512093387112045567_1732876440000V2"), "Alexis restarted the duplicator.")
	fmt.Println(reqID, err)
	a, err := c.Get(ctx, opsgenie.TinyID("5120"))
	fmt.Println(a.ID, a.Status, err)
	// Output:
	// POST /v2/alerts/-5512093387112045567_1732876440000V2/notes?identifierType=alias {"user":"alexis","source":"alexis","note":"Alexis restarted the duplicator."}
	// 43a29c5c-3dbf-4fa4-9c26-f4f71023e120 <nil>
	// GET /v2/alerts/5120?identifierType=tiny
	// a1 open <nil>
}

func ExampleNotifier() {
	srv := exampleServer()
	defer srv.Close()
	c, _ := opsgenie.NewClient("api-key-from-env", opsgenie.WithBaseURL(srv.URL))
	n := opsgenie.NewNotifier(c, opsgenie.WithRemediationTeam("ops_remediation"))
	defer n.Close()

	// The Report an Engine hands its notifiers after running one rule.
	ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: "a1", ShortID: "5120", Action: "Create"}
	rule := &alexis.Rule{Name: "duplicator-gc", OnSuccess: alexis.Reaction{Note: "Restarted on {{ .Target }} for alert {{ .ShortID }}.", Close: true}}
	rep := &alexis.Report{Event: ev, Rules: []*alexis.Rule{rule},
		Plan: alexis.Plan{Matches: []alexis.Match{{Rule: rule.Name, Targets: []string{"web-01"}}}},
		Runs: []alexis.TaskRun{{Rule: rule.Name, Target: "web-01", Action: "ssh", Result: alexis.Result{Status: alexis.StatusSuccess}}}}
	fmt.Println(n.Notify(context.Background(), rep))
	// Output:
	// POST /v2/alerts/a1/notes?identifierType=id {"user":"alexis","source":"alexis","note":"Restarted on web-01 for alert 5120."}
	// POST /v2/alerts/a1/teams?identifierType=id {"team":{"name":"ops_remediation"},"user":"alexis","source":"alexis"}
	// POST /v2/alerts/a1/close?identifierType=id {"user":"alexis","source":"alexis"}
	// <nil>
}
