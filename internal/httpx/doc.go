// Package httpx is the small HTTP layer that the vendor API clients
// (packages opsgenie and dynatrace) share: a base URL, an Authorization
// header that is never logged, a timeout per attempt, and retries with
// exponential backoff and full jitter on 429 and 5xx (not 501) that honour
// Retry-After, bounded in attempts and in total time.
//
// The shortest use:
//
//	base, _ := httpx.ParseBase("https://api.opsgenie.com")
//	c := &httpx.Client{Base: base, Auth: "GenieKey " + key}
//	resp, err := c.Do(ctx, httpx.Request{Method: "GET", Path: "/v2/alerts/abc"})
//
// Do returns the final response whatever its status; turning a status into a
// typed error is the vendor package's business.
//
// Writes are retried like reads. OpsGenie and Dynatrace refuse a request
// with 429 or 5xx before acting on it in the usual case; a connection lost
// after a request was sent can still make a note or comment appear twice.
package httpx
