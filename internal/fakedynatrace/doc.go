// Package fakedynatrace is an in-process Dynatrace Problems API v2 and
// Events API v2 for tests: an httptest server on 127.0.0.1 that checks each
// request against the documented contract (method, path, query, Api-Token
// Authorization, Content-Type, body fields: unknown fields rejected,
// required fields present, event types that would open problems refused),
// records the calls, keeps problem state (comments, status, ingested
// events), pages comment lists with nextPageKey, and can be told to fail
// the next requests with 429 (and Retry-After) or 5xx.
//
//	dt := fakedynatrace.New(t, "dt0c01.TOKEN")
//	dt.AddProblem(fakedynatrace.Problem{ID: pid, DisplayID: "P-1", Status: "OPEN"})
//	c, _ := dynatrace.NewClient(dt.URL, "dt0c01.TOKEN")
package fakedynatrace
