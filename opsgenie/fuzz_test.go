package opsgenie_test

import (
	"bytes"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/opsgenie"
)

// FuzzParse checks that no body makes Parse panic, that every failure is an
// *alexis.Error with a code and a message, and that every success is a
// well-formed OpsGenie event. Seeds: every file in testdata plus a few
// broken shapes; the plain test run executes only these.
func FuzzParse(f *testing.F) {
	payloadtest.Seeds(f,
		``, `{}`, `[]`, `{"action":"Create","alert":{"alertId":"a","priority":true}}`,
		`{"action":"Escalate","alert":{"alertId":"a"},"escalationNotify":{"name":1}}`,
		`{"data":{"id":"x","createdAt":"2024-01-01T00:00:00Z"}}`, "{\"action\":\"\xff\"}",
		`{"action":"Create","alert":{"alert\u0049d":"x\u00e9"}}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := opsgenie.Parse(body)
		if err != nil {
			payloadtest.Coded(t, err)
			if ev != nil {
				t.Fatalf("event returned with error %v", err)
			}
			return
		}
		if ev.Source != alexis.SourceOpsGenie || ev.ID == "" || ev.Action == "" {
			t.Fatalf("incomplete event %+v", ev)
		}
		switch ev.Priority {
		case "", "P1", "P2", "P3", "P4", "P5":
		default:
			t.Fatalf("priority %q", ev.Priority)
		}
		if !bytes.Equal(ev.Raw, body) {
			t.Fatalf("Raw is not the body")
		}
		// Rules see the same values by gjson path as in the Event.
		path := "alert.alertId"
		if ev.Action == opsgenie.ActionReplay {
			path = "id"
			if gjson.GetBytes(body, "data").Exists() {
				path = "data.id"
			}
		}
		if got := gjson.GetBytes(body, path).String(); got != ev.ID {
			t.Fatalf("gjson %s = %q, Event.ID = %q", path, got, ev.ID)
		}
	})
}
