// Package dynatrace connects Alexis to Dynatrace problem notifications.
//
// # Receiving problems
//
// Configure a custom integration webhook (Settings → Integration → Problem
// notifications → Custom integration) with the default payload template,
// ideally extended with "ProblemSeverity": "{ProblemSeverity}",
// "ImpactedEntityNames": "{ImpactedEntityNames}" and
// "ProblemDetailsJSONv2": {ProblemDetailsJSONv2}; tick "Call webhook if
// problem is closed" to receive RESOLVED. Parse turns a body into an
// alexis.Event:
//
//	ev, err := dynatrace.Parse(body)
//	if err != nil {
//		// *alexis.Error, code EINVALID, e.g. "PID: required"
//	}
//	if ev.Ignore != "" {
//		// "Send test notification": answer 2xx, do nothing
//	}
//
// The event's ID is the PID (what the Problems API v2 takes in its path),
// ShortID the display ID P-…, Action OPEN or RESOLVED. Repeated OPEN
// notifications for merged events share Event.Key. The whole body stays in
// Event.Raw for gjson paths such as ProblemDetailsJSON.rankedEvents.0.entityName.
//
// # Writing back
//
// Client calls the Problems API v2 and Events API v2 of one environment
// (SaaS https://{env-id}.live.dynatrace.com, Managed
// https://{domain}/e/{env-id}, or an ActiveGate) with an API token holding
// problems.read, problems.write and events.ingest, read by the caller from
// the environment or a file:
//
//	c, err := dynatrace.NewClient("https://abc12345.live.dynatrace.com", os.Getenv("DT_API_TOKEN"))
//	n, err := c.CountAttempts(ctx, ev.ID)
//	err = c.AddComment(ctx, ev.ID, fmt.Sprintf("%s %d\nrestarted", dynatrace.AttemptPrefix, n+1), "")
//
// Requests are retried on 429 and 5xx (not 501) with backoff and jitter,
// honouring Retry-After; errors from Dynatrace are *APIError.
//
// Notifier (an alexis.Notifier) writes a numbered "Autoremediation Attempt
// N" comment per matched rule, a CUSTOM_INFO event on the impacted entity,
// and closes the problem when the rule says so. It serves Dynatrace events
// and OpsGenie alerts raised by the Dynatrace integration (ProblemID), and
// depends on the ProblemWriter interface only.
package dynatrace
