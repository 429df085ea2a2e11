// Package alertmanager reads Prometheus Alertmanager webhook notifications
// into Alexis events.
//
// Point a webhook_config receiver at Alexis (send_resolved: true to see
// resolutions) and parse each POSTed body:
//
//	events, err := alertmanager.Parse(body)
//	if err != nil {
//		// *alexis.Error, code EINVALID, e.g. `alerts[1].fingerprint: required`
//	}
//	for _, ev := range events {
//		// one event per alert of the group: ID = fingerprint,
//		// Action = firing | resolved
//	}
//
// Each event's Raw is {"group": ..., "alert": ...}, so rules reach the
// alert as alert.labels.instance and the group as group.commonLabels.team.
// Alertmanager retries only on 5xx; answer 2xx once the events are queued.
package alertmanager
