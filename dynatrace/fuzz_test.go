package dynatrace_test

import (
	"bytes"
	"testing"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
)

// FuzzParse checks that no body makes Parse panic, that failures are coded
// *alexis.Errors, that a test notification is never an error, and that a
// real problem always has a PID and a normalized state. Seeds: every file
// in testdata plus a few broken shapes.
func FuzzParse(f *testing.F) {
	payloadtest.Seeds(f,
		``, `{}`, `{"PID":"{PID}"}`, `{"PID":"1_2","State":"CLOSED"}`,
		`{"ProblemDetailsJSON":{"id":"1_2","status":"OPEN","tagsOfAffectedEntities":[{"key":"a"}]}}`,
		`{"PID":"1_2","State":"OPEN","ProblemDetailsJSONv2":{"impactedEntities":[{"entityId":{"id":"HOST-1"}}]}}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := dynatrace.Parse(body)
		if dynatrace.IsTest(body) && (err != nil || ev.Ignore != dynatrace.TestIgnore) {
			t.Fatalf("test notification not ignored: %v", err)
		}
		if err != nil {
			payloadtest.Coded(t, err)
			if ev != nil {
				t.Fatalf("event returned with error %v", err)
			}
			return
		}
		if ev.Source != alexis.SourceDynatrace || !bytes.Equal(ev.Raw, body) {
			t.Fatalf("bad source or Raw: %+v", ev)
		}
		if ev.Ignore == "" && (ev.ID == "" || ev.Action == "" || ev.Action == "CLOSED") {
			t.Fatalf("incomplete event %+v", ev)
		}
		seen := map[string]bool{}
		for _, tag := range ev.Tags {
			if tag == "" || seen[tag] {
				t.Fatalf("empty or repeated tag %q in %q", tag, ev.Tags)
			}
			seen[tag] = true
		}
	})
}
