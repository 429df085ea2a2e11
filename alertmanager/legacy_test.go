package alertmanager

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/internal/payload/payloadtest/legacy"
)

// legacyParse is Parse as it was before package payload became a one-pass
// scanner (commit cf97486), on the decoder of that time: the oracle of
// FuzzParseLegacy. Only the names differ; the helpers that never touched
// the decoder (instanceHost, first) are shared.
func legacyParse(body []byte) ([]*alexis.Event, error) {
	top, err := legacy.Parse(body)
	if err != nil {
		return nil, err
	}
	if v := top.Raw("version"); v != nil && top.Peek("version") != Version {
		top.Doc.Fail("version", "want %q, got %s", Version, legacy.Describe(v))
	}
	groupStatus := top.Str("status")
	alerts := top.Objs("alerts")
	if err := top.Doc.Err(); err != nil {
		return nil, err
	}
	if len(alerts) == 0 {
		return nil, legacy.Invalid("alerts", "want at least one alert, got %s", legacyDescribeAlerts(top))
	}
	group := legacyGroupJSON(top)
	events := make([]*alexis.Event, 0, len(alerts))
	for _, a := range alerts {
		ev := legacyParseAlert(a, groupStatus)
		ev.Raw = json.RawMessage(fmt.Sprintf(`{"group":%s,"alert":%s}`, group, a.Bytes()))
		events = append(events, ev)
	}
	if err := top.Doc.Err(); err != nil {
		return nil, err
	}
	return events, nil
}

func legacyDescribeAlerts(top legacy.Object) string {
	if v := top.Raw("alerts"); v != nil {
		return legacy.Describe(v)
	}
	return "nothing"
}

func legacyParseAlert(a legacy.Object, groupStatus string) *alexis.Event {
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

	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ev.Tags = append(ev.Tags, k+":"+labels[k])
	}
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

func legacyGroupJSON(top legacy.Object) []byte {
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for _, k := range top.Keys {
		if k == "alerts" {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		kj, _ := json.Marshal(k)
		b.Write(kj)
		b.WriteByte(':')
		b.Write(top.Raw(k))
		if top.Raw(k) == nil {
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// FuzzParseLegacy checks that Parse returns exactly what it returned
// before (the same events, Raw byte for byte, or an error of the same code
// and message) for every body.
func FuzzParseLegacy(f *testing.F) {
	payloadtest.Seeds(f,
		``, `{}`, `{"alerts":[]}`, `{"alerts":{}}`, `{"version":"3","alerts":[{"fingerprint":"f"}]}`,
		`{"version":4,"alerts":[{"fingerprint":"f","status":"firing"}]}`,
		`{"status":"resolved","alerts":[{"fingerprint":"f"},{"fingerprint":"g","status":"firing"}]}`,
		`{"alerts":[{"fingerprint":"f","status":"odd"}]}`, `{"alerts":[{"status":"firing"}]}`,
		`{"alerts":[{"fingerprint":"f","status":"firing","labels":{"a":1}}]}`,
		`{"alerts":[{"fingerprint":"f","status":"firing","labels":{"instance":"[::1]:9100","severity":"page","alertname":"A"},`+
			`"annotations":{"summary":"","description":"d\u00e9","severity":"x"},"startsAt":"t"}]}`,
		`{"a\u003cb":1,"<&>":null,"k\u2028":"v","x\"y":[1],"alerts":[{"fingerprint":"f","status":"firing"}],"z":{}}`,
		`{"alerts":[{"fingerprint":"f","status":"firing","labels":{"instance":"web"}}],"alerts2":[]}`,
		`{"alerts":[1]}`, `{"alerts":[{"fingerprint":"f","status":"firing"},{"fingerprint":""}]}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotErr := Parse(body)
		want, wantErr := legacyParse(body)
		payloadtest.Same(t, got, gotErr, want, wantErr)
	})
}
