package source_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/alertmanager"
	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/opsgenie"
	"github.com/alexis-project/alexis/source"
)

var fixtures = []struct {
	file string
	src  alexis.Source
}{
	{"opsgenie_create_from_dynatrace.json", alexis.SourceOpsGenie},
	{"opsgenie_create_duplicator_gc.json", alexis.SourceOpsGenie},
	{"opsgenie_addnote.json", alexis.SourceOpsGenie},
	{"dynatrace_problem_open.json", alexis.SourceDynatrace},
	{"dynatrace_test_notification.json", alexis.SourceDynatrace},
	{"alertmanager_firing.json", alexis.SourceAlertmanager},
	{"generic_backup.json", alexis.SourceGeneric},
	{"generic_with_raw.json", alexis.SourceGeneric},
}

// direct parses body with the source's own parser.
func direct(src alexis.Source, body []byte) ([]*alexis.Event, error) {
	var (
		ev  *alexis.Event
		err error
	)
	switch src {
	case alexis.SourceOpsGenie:
		ev, err = opsgenie.Parse(body)
	case alexis.SourceDynatrace:
		ev, err = dynatrace.Parse(body)
	case alexis.SourceAlertmanager:
		return alertmanager.Parse(body)
	default:
		ev, err = source.ParseGeneric(body)
	}
	if err != nil {
		return nil, err
	}
	return []*alexis.Event{ev}, nil
}

func TestParseDispatches(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			body := payloadtest.Read(t, f.file)
			got, err := source.Parse(f.src, body)
			if err != nil {
				t.Fatal(err)
			}
			want, err := direct(f.src, body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("source.Parse differs from the %s parser (-want +got):\n%s", f.src, diff)
			}
			for _, ev := range got {
				if ev.Source != f.src {
					t.Errorf("event source %q, want %q", ev.Source, f.src)
				}
			}
		})
	}
}

// Every fixture parsed as any other source is an error or, for the
// lenient generic and OpsGenie-replay shapes, at least not a silent
// success of the wrong source.
func TestParseWrongSource(t *testing.T) {
	for _, f := range fixtures {
		body := payloadtest.Read(t, f.file)
		for _, src := range alexis.Sources {
			if src == f.src {
				continue
			}
			evs, err := source.Parse(src, body)
			if err == nil {
				t.Errorf("%s parsed as %s: %+v", f.file, src, evs[0])
			}
		}
	}
}

func TestParserOptions(t *testing.T) {
	body := payloadtest.Read(t, "opsgenie_addnote.json")
	p := source.Parser{OpsGenie: []opsgenie.ParseOption{opsgenie.WithSelf("jane.doe@example.com")}}
	evs, err := p.Parse(alexis.SourceOpsGenie, body)
	if err != nil {
		t.Fatal(err)
	}
	if want := `echo of Alexis' own AddNote (alert.username "jane.doe@example.com")`; evs[0].Ignore != want {
		t.Errorf("Ignore %q, want %q", evs[0].Ignore, want)
	}
}

func TestParseUnknownSource(t *testing.T) {
	for _, src := range []alexis.Source{"", "pagerduty", "OpsGenie"} {
		evs, err := source.Parse(src, []byte(`{}`))
		if evs != nil {
			t.Errorf("%q: events %+v", src, evs)
		}
		payloadtest.CheckError(t, err, alexis.EINVALID,
			`source "`+string(src)+`": unknown, want one of opsgenie, dynatrace, alertmanager, generic`)
	}
}

func TestNames(t *testing.T) {
	want := []string{"opsgenie", "dynatrace", "alertmanager", "generic"}
	if diff := cmp.Diff(want, source.Names()); diff != "" {
		t.Error(diff)
	}
}

func TestDetect(t *testing.T) {
	for _, f := range fixtures {
		if got := source.Detect(payloadtest.Read(t, f.file)); got != f.src {
			t.Errorf("%s: Detect = %q, want %q", f.file, got, f.src)
		}
	}
	for body, want := range map[string]alexis.Source{
		`{"data":{"id":"a","tinyId":"1"}}`:      alexis.SourceOpsGenie,
		`{"id":"a","tinyId":"1","message":"m"}`: alexis.SourceOpsGenie,
		`{"alerts":[],"receiver":"alexis"}`:     alexis.SourceAlertmanager,
		`{"ProblemDetailsJSONv2":{}}`:           alexis.SourceDynatrace,
		`{"id":"a","message":"m"}`:              alexis.SourceGeneric,
		`not json`:                              alexis.SourceGeneric,
	} {
		if got := source.Detect([]byte(body)); got != want {
			t.Errorf("Detect(%s) = %q, want %q", body, got, want)
		}
	}
}
