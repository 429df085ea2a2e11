package alertmanager_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/alertmanager"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
)

func dupEvent(occurrence, fp, instance, host, descr string) *alexis.Event {
	labels := map[string]string{
		"alertname": "DuplicatorHighErrorRate", "app": "duplicator", "env": "prod",
		"instance": instance, "job": "duplicator", "severity": "critical", "team": "sre-platform",
	}
	details := map[string]string{
		"description": descr,
		"runbook_url": "https://runbooks.example.com/duplicator/high-error-rate",
		"summary":     "duplicator 5xx ratio above 5% for 5m",
	}
	for k, v := range labels {
		details[k] = v
	}
	return &alexis.Event{
		Source: alexis.SourceAlertmanager, ID: fp, Action: "firing", Occurrence: occurrence,
		Message: "duplicator 5xx ratio above 5% for 5m", Description: descr, Priority: "critical",
		Tags: []string{
			"alertname:DuplicatorHighErrorRate", "app:duplicator", "env:prod", "instance:" + instance,
			"job:duplicator", "severity:critical", "team:sre-platform",
		},
		TagValues: labels, Details: details,
		Entities: []alexis.Entity{{Name: host, Type: "instance"}},
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		want []*alexis.Event
	}{
		{"alertmanager_firing.json", []*alexis.Event{
			dupEvent("2024-05-17T13:01:30.512Z", "a3f9c1e2b47d6805", "web-01:8080", "web-01", "web-01:8080 is returning 37% 5xx (threshold 5%)."),
			dupEvent("2024-05-17T13:02:00.104Z", "5c0d8e7a19b2f364", "web-02:8080", "web-02", "web-02:8080 is returning 9% 5xx (threshold 5%)."),
		}},
		{"mixed_no_version.json", []*alexis.Event{
			{
				// The label severity wins over the annotation; no summary,
				// so the alertname is the message; IPv6 instance.
				Source: alexis.SourceAlertmanager, ID: "0f6a2b9c3d4e5f61", Action: "resolved", Occurrence: "2024-05-17T12:00:00Z",
				Message: "NodeDiskFull", Priority: "warning",
				Tags: []string{"alertname:NodeDiskFull", "instance:[2001:db8::7]:9100", "job:node", "mountpoint:/var", "severity:warning"},
				TagValues: map[string]string{
					"alertname": "NodeDiskFull", "instance": "[2001:db8::7]:9100", "job": "node", "mountpoint": "/var", "severity": "warning",
				},
				Details: map[string]string{
					"alertname": "NodeDiskFull", "instance": "[2001:db8::7]:9100", "job": "node", "mountpoint": "/var",
					"severity": "warning", "runbook_url": "https://runbooks.example.com/node/disk-full",
				},
				Entities: []alexis.Entity{{Name: "2001:db8::7", Type: "instance"}},
			},
			{
				// No status: the group's. Instance without port.
				Source: alexis.SourceAlertmanager, ID: "7e1d3c5b9a2f4860", Action: "firing", Occurrence: "2024-05-17T12:05:00Z",
				Message:   "/var on db-02 is 97% full",
				Tags:      []string{"alertname:NodeDiskFull", "instance:db-02", "job:node"},
				TagValues: map[string]string{"alertname": "NodeDiskFull", "instance": "db-02", "job": "node"},
				Details:   map[string]string{"alertname": "NodeDiskFull", "instance": "db-02", "job": "node", "summary": "/var on db-02 is 97% full"},
				Entities:  []alexis.Entity{{Name: "db-02", Type: "instance"}},
			},
			{Source: alexis.SourceAlertmanager, ID: "1111222233334444", Action: "firing"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := alertmanager.Parse(payloadtest.Read(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			// Raw is checked by TestParseRaw.
			for _, ev := range got {
				ev.Raw = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Raw is {"group": <body without alerts>, "alert": <the alert>}: the
// documented gjson paths reach both.
func TestParseRaw(t *testing.T) {
	evs, err := alertmanager.Parse(payloadtest.Read(t, "alertmanager_firing.json"))
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{
		"alert.labels.instance", "alert.fingerprint", "alert.annotations.runbook_url",
		"group.groupKey", "group.commonLabels.team", "group.externalURL", "group.version",
		"group.truncatedAlerts", "group.alerts",
	}
	var got [][]string
	for _, ev := range evs {
		if !gjson.ValidBytes(ev.Raw) {
			t.Fatalf("Raw is not JSON: %s", ev.Raw)
		}
		var row []string
		for _, p := range paths {
			row = append(row, gjson.GetBytes(ev.Raw, p).String())
		}
		got = append(got, row)
	}
	group := []string{`{}/{env="prod"}:{alertname="DuplicatorHighErrorRate"}`, "sre-platform", "http://alertmanager.monitoring.svc:9093", "4", "0", ""}
	want := [][]string{
		append([]string{"web-01:8080", "a3f9c1e2b47d6805", "https://runbooks.example.com/duplicator/high-error-rate"}, group...),
		append([]string{"web-02:8080", "5c0d8e7a19b2f364", "https://runbooks.example.com/duplicator/high-error-rate"}, group...),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gjson paths (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	const alert = `{"status":"firing","fingerprint":"a3f9c1e2b47d6805"}`
	tests := []struct{ name, body, want string }{
		{"empty", ``, `body: empty, want a JSON object`},
		{"array", `[` + alert + `]`, `body: want a JSON object, got array`},
		{"version 3", `{"version":"3","alerts":[` + alert + `]}`, `version: want "4", got "3"`},
		{"version number", `{"version":4,"alerts":[` + alert + `]}`, `version: want "4", got 4`},
		{"no alerts", `{"version":"4"}`, `alerts: want at least one alert, got nothing`},
		{"empty alerts", `{"version":"4","alerts":[]}`, `alerts: want at least one alert, got []`},
		{"alerts object", `{"version":"4","alerts":` + alert + `}`, `alerts: want array of objects, got object`},
		{"alert string", `{"alerts":[` + alert + `,"x"]}`, `alerts[1]: want object, got "x"`},
		{"no fingerprint", `{"alerts":[` + alert + `,{"status":"firing"}]}`, `alerts[1].fingerprint: required`},
		{"no status", `{"alerts":[{"fingerprint":"f"}]}`, `alerts[0].status: required`},
		{"bad status", `{"alerts":[{"fingerprint":"f","status":"pending"}]}`, `alerts[0].status: want "firing" or "resolved", got "pending"`},
		{"label number", `{"alerts":[{"fingerprint":"f","status":"firing","labels":{"port":8080}}]}`, `alerts[0].labels.port: want string, got 8080`},
		{"annotations list", `{"alerts":[{"fingerprint":"f","status":"firing","annotations":["a"]}]}`, `alerts[0].annotations: want object, got array`},
		{"duplicate label", `{"alerts":[{"fingerprint":"f","status":"firing","labels":{"a":"1","a":"2"}}]}`, `alerts[0].labels.a: duplicate key`},
		{"invalid utf8", "{\"alerts\":[{\"fingerprint\":\"\xfe\"}]}", `body: invalid UTF-8 at byte 27`},
		{"too deep", `{"alerts":[{"fingerprint":"f","status":"firing","x":` + strings.Repeat("[", 100) + `]}]}`, `body: nested deeper than 64 levels at byte 113`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := alertmanager.Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", evs)
			}
			if evs != nil {
				t.Errorf("events returned with the error: %+v", evs)
			}
			payloadtest.CheckError(t, err, alexis.EINVALID, tt.want)
		})
	}
}

// TestRefiringIsANewEvent: the same label set (same fingerprint) firing
// again after it resolved is a new event with a new key, while
// Alertmanager's repeated notification of one firing keeps its key, so
// the server runs the first again and deduplicates the second.
func TestRefiringIsANewEvent(t *testing.T) {
	body := func(startsAt string) []byte {
		return []byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","fingerprint":"a3f9c1e2b47d6805",
			"labels":{"alertname":"X"},"startsAt":"` + startsAt + `"}]}`)
	}
	key := func(b []byte) string {
		evs, err := alertmanager.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return evs[0].Key()
	}
	first, repeat, again := key(body("2024-05-17T13:01:30Z")), key(body("2024-05-17T13:01:30Z")), key(body("2024-05-24T08:00:00Z"))
	if first != repeat {
		t.Errorf("repeated notification: key %q, want %q", repeat, first)
	}
	if first == again {
		t.Errorf("firing again after resolving kept the key %q", first)
	}
}
