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
package opsgenie
