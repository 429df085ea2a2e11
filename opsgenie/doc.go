// Package opsgenie connects Alexis to Atlassian OpsGenie.
//
// # Receiving alerts
//
// Parse reads the body of an OpsGenie outgoing webhook (Settings →
// Integrations → Webhook, with "Add Alert Description to Payload" and "Add
// Alert Details to Payload" ticked) into an alexis.Event:
//
//	ev, err := opsgenie.Parse(body, opsgenie.WithSelf("alexis"))
//	if err != nil {
//		// *alexis.Error, code EINVALID, e.g.
//		// alert.priority: want "P1".."P5" or 1..5, got true
//	}
//	if ev.Ignore != "" {
//		// the echo of Alexis' own AddNote/Close/...: acknowledge, do nothing
//	}
//
// Every action is an event, custom actions under their own name. Escalate
// carries only alert.alertId, so rules that need the alert's tags or
// details should fetch it (GET /v2/alerts/{id}) and parse the response,
// which Parse accepts as an event with Action "Replay". The whole body stays
// in Event.Raw for gjson paths such as alert.details.host_regex or
// alert.note.
//
// # Writing back
//
// Client calls the Alert API v2 (US BaseUS by default, BaseEU,
// BaseSandbox, or any URL) with the key of an API integration, which the
// caller reads from the environment or a file:
//
//	c, err := opsgenie.NewClient(os.Getenv("OPSGENIE_API_KEY"), opsgenie.WithBaseURL(opsgenie.BaseEU))
//	reqID, err := c.AddNote(ctx, opsgenie.AlertID(ev.ID), "restarted duplicator")
//	status, err := c.Confirm(ctx, reqID) // waits for OpsGenie to process it
//
// Every write carries user DefaultUser (so Parse recognises the echo) and
// source DefaultSource, and is answered 202 with a request id; Confirm polls
// GET /v2/alerts/requests/{id}. Requests are retried on 429 and 5xx (not
// 501) with exponential backoff and jitter, honouring Retry-After, within 5
// attempts and 30s by default. Errors from OpsGenie are *APIError (Status,
// Message, RequestID, Errors, Retryable()). Notes, tags and details are cut
// to the API's limits with a visible marker.
//
// Notifier (an alexis.Notifier) turns an Engine's Report into notes, team
// routing, tags, acknowledge, escalate and close, and escalates alerts still
// open EscalateAfter after a remediation:
//
//	n := opsgenie.NewNotifier(c, opsgenie.WithRemediationTeam("ops_remediation"),
//		opsgenie.WithInvestigationTeam("ops_investigation"))
//	defer n.Close()
//	eng, err := alexis.New(rs, alexis.WithNotifiers(n))
//
// Notes are templates over writeback.Data (rule, target, kind, reason,
// status, exit code, duration, attempt, output tail with secrets redacted,
// and the event's fields). Attempts are counted in memory unless
// WithAttemptCounter says otherwise; dynatrace.AttemptCounter counts the
// problem's "Autoremediation Attempt" comments, which survives restarts
// (list the OpsGenie notifier before the Dynatrace one). Pending
// escalations are in memory too: Pending lists them, Schedule restores them.
//
// It depends on the AlertWriter interface only, so another alerting tool
// (Jira Service Management Ops, PagerDuty) can take Client's place.
package opsgenie
