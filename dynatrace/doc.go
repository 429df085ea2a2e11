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
package dynatrace
