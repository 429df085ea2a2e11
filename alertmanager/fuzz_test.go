package alertmanager_test

import (
	"testing"

	"github.com/tidwall/gjson"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/alertmanager"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
)

// FuzzParse checks that no body makes Parse panic, that failures are coded
// *alexis.Errors, and that every event has a fingerprint, a valid status
// and a Raw whose alert.fingerprint is that fingerprint. Seeds: every file
// in testdata plus a few broken shapes.
func FuzzParse(f *testing.F) {
	payloadtest.Seeds(f,
		``, `{}`, `{"alerts":[]}`, `{"version":"4","alerts":[{"fingerprint":"f","status":"firing"}]}`,
		`{"alerts":[{"fingerprint":"f","status":"resolved","labels":{"instance":"[::1]:9100"}}]}`,
		`{"status":"firing","alerts":[{"fingerprint":"\u0066","labels":{"a":"b:c"}}],"alerts2":null}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := alertmanager.Parse(body)
		if err != nil {
			payloadtest.Coded(t, err)
			if evs != nil {
				t.Fatalf("events returned with error %v", err)
			}
			return
		}
		if len(evs) == 0 {
			t.Fatal("no events and no error")
		}
		for _, ev := range evs {
			if ev.Source != alexis.SourceAlertmanager || ev.ID == "" || ev.Action != "firing" && ev.Action != "resolved" {
				t.Fatalf("bad event %+v", ev)
			}
			if !gjson.ValidBytes(ev.Raw) || gjson.GetBytes(ev.Raw, "alert.fingerprint").String() != ev.ID {
				t.Fatalf("Raw %s does not hold fingerprint %q", ev.Raw, ev.ID)
			}
		}
	})
}
