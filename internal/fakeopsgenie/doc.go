// Package fakeopsgenie is an in-process OpsGenie Alert API v2 for tests: an
// httptest server on 127.0.0.1 that checks every request against the
// documented contract (method, path, identifierType query, GenieKey
// Authorization, Content-Type, body fields: unknown fields rejected,
// required fields present, field limits), records the calls, keeps alert
// state (status, notes, tags, teams, escalations) and answers writes with
// 202 and a request id whose status can be polled. It can be told to fail
// the next requests with 429 (and Retry-After) or 5xx.
//
//	og := fakeopsgenie.New(t, "key")
//	og.AddAlert(fakeopsgenie.Alert{ID: "a1", TinyID: "7", Alias: "pid", Status: "open"})
//	c, _ := opsgenie.NewClient("key", opsgenie.WithBaseURL(og.URL))
package fakeopsgenie
