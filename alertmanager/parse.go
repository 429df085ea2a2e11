package alertmanager

import (
	"bytes"
	"encoding/json"
	"net"
	"slices"
	"strings"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload"
)

// Version is the webhook message version Parse understands.
const Version = "4"

// Parse reads a Prometheus Alertmanager webhook body (webhook_config,
// message version 4) and returns one Event per alert of the group, in the
// order of alerts[]:
//
//   - ID = fingerprint, Action = the alert's status ("firing" or
//     "resolved"; the group's status when the alert has none);
//   - Message = annotations.summary, else labels.alertname;
//     Description = annotations.description; Priority = labels.severity;
//   - Details = the annotations and the labels in one flat map; when a
//     label and an annotation share a name the label wins (the annotation
//     stays reachable in Raw as alert.annotations.<name>);
//   - Tags = "name:value" for every label, sorted by name, and TagValues
//     the labels again (alexis.ParseTags);
//   - Entities = the instance label's host, without its port, as an Entity
//     of Type "instance" ("web-01:8080" gives "web-01").
//
// Raw is not the body (one body yields several events) but
// {"group": <the body without alerts>, "alert": <this alert as received>},
// so rules use gjson paths like alert.labels.instance,
// alert.annotations.runbook_url, alert.generatorURL, group.groupKey,
// group.commonLabels.team, group.externalURL.
//
// A missing version is accepted as 4 (hand-written and test senders omit
// it); any other version is an error, as is an empty alerts list, an alert
// without fingerprint or with a status other than firing or resolved, and
// labels or annotations whose values are not strings. Errors are
// *alexis.Error with code EINVALID naming the field ("alerts[1].fingerprint:
// required"), or ETOOLARGE for a body over 1 MiB. Received is left zero.
func Parse(body []byte) ([]*alexis.Event, error) {
	top, err := payload.Parse(body)
	if err != nil {
		return nil, err
	}
	defer top.Doc.Release()
	if v := top.Raw("version"); v != nil && top.Peek("version") != Version {
		top.Doc.Fail("version", "want %q, got %s", Version, payload.Describe(v))
	}
	groupStatus := top.Str("status")
	alerts := top.Objs("alerts")
	if err := top.Doc.Err(); err != nil {
		return nil, err
	}
	if len(alerts) == 0 {
		return nil, payload.Invalid("alerts", "want at least one alert, got %s", describeAlerts(top))
	}
	group := groupJSON(top)
	events := make([]*alexis.Event, 0, len(alerts))
	for _, a := range alerts {
		ev := parseAlert(a, groupStatus)
		ev.Raw = alertRaw(group, a.Bytes())
		events = append(events, ev)
	}
	if err := top.Doc.Err(); err != nil {
		return nil, err
	}
	return events, nil
}

func describeAlerts(top payload.Object) string {
	if v := top.Raw("alerts"); v != nil {
		return payload.Describe(v)
	}
	return "nothing"
}

func parseAlert(a payload.Object, groupStatus string) *alexis.Event {
	labels := a.StrMap("labels")
	annotations := a.StrMap("annotations")
	ev := &alexis.Event{
		Source: alexis.SourceAlertmanager,
		ID:     a.ReqStr("fingerprint"),
		Action: a.Str("status"),
		// The same label set firing again after it resolved is a new
		// event; Alertmanager's repeated notifications of one firing are not.
		Occurrence:  a.Str("startsAt"),
		Message:     first(annotations["summary"], labels["alertname"]),
		Description: annotations["description"],
		Priority:    labels["severity"],
	}
	if ev.Action == "" {
		ev.Action = groupStatus
	}
	switch ev.Action {
	case "firing", "resolved":
	case "":
		a.Doc.Fail(a.Field("status"), "required")
	default:
		a.Doc.Fail(a.Field("status"), `want "firing" or "resolved", got %q`, ev.Action)
	}

	ev.Tags = labelTags(labels)
	ev.TagValues = alexis.ParseTags(ev.Tags)

	if len(labels)+len(annotations) > 0 {
		ev.Details = make(map[string]string, len(labels)+len(annotations))
		for k, v := range annotations {
			ev.Details[k] = v
		}
		for k, v := range labels {
			ev.Details[k] = v
		}
	}
	if inst := labels["instance"]; inst != "" {
		ev.Entities = []alexis.Entity{{Name: instanceHost(inst), Type: "instance"}}
	}
	return ev
}

// labelTags returns "name:value" for every label, sorted by name, built in
// one allocation; nil when there are no labels.
func labelTags(labels map[string]string) []string {
	if len(labels) == 0 {
		return nil
	}
	names := make([]string, 0, len(labels))
	size := 0
	for k, v := range labels {
		names = append(names, k)
		size += len(k) + 1 + len(v)
	}
	slices.Sort(names)
	var b strings.Builder
	b.Grow(size)
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(labels[k])
	}
	all := b.String()
	for i, k := range names {
		n := len(k) + 1 + len(labels[k])
		names[i], all = all[:n], all[n:]
	}
	return names
}

// instanceHost strips the port from an instance label: "web-01:8080" →
// "web-01", "[::1]:9100" → "::1". Anything else is returned as it is.
func instanceHost(inst string) string {
	if h, _, err := net.SplitHostPort(inst); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(inst, "["), "]")
}

// groupJSON is the body's object without "alerts", keys in body order
// (as json.Marshal writes them) and values byte for byte.
func groupJSON(top payload.Object) []byte {
	b := make([]byte, 0, len(top.Bytes()))
	b = append(b, '{')
	n := 0
	for k, v := range top.Members() {
		if string(k) == "alerts" {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendKey(b, k)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}')
}

// appendKey appends the decoded key k as json.Marshal writes it: quoted,
// with '"', '\\', control characters, <, >, & and U+2028, U+2029 escaped.
func appendKey(b, k []byte) []byte {
	if bytes.ContainsFunc(k, func(r rune) bool {
		return r < 0x20 || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029
	}) {
		kj, _ := json.Marshal(string(k))
		return append(b, kj...)
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"')
}

// alertRaw is an event's Raw: {"group":<group>,"alert":<alert>}.
func alertRaw(group, alert []byte) json.RawMessage {
	const pre, mid = `{"group":`, `,"alert":`
	b := make([]byte, 0, len(pre)+len(group)+len(mid)+len(alert)+1)
	b = append(b, pre...)
	b = append(b, group...)
	b = append(b, mid...)
	b = append(b, alert...)
	return append(b, '}')
}

func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
