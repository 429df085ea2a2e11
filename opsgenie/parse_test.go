package opsgenie_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/opsgenie"
)

const (
	dtAlertID  = "6d1f3a9e-4b7c-4f2e-9a51-0c8e7d2b5f43-1715950921337"
	dtAlias    = "-3791384261738475918_1715950860000V2"
	dtMessage  = "SERVICE Problem P-240517133: Failure rate increase"
	gcAlertID  = "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"
	gcAlias    = "-5512093387112045567_1732876440000V2"
	gcMessage  = "Long garbage-collection time on duplicator (day)"
	gcDescr    = "Long garbage-collection time\nProcess duplicator.jar on host wayvsymdup01.dev.example.com spent 41% of the last 5 minutes in garbage collection."
	diskID     = "e91a7c3d-52b4-4f0e-8d6a-3c1b9f7e2a05"
	diskMsg    = "disk /var 91% full on web-03"
	dtDescr    = "Failure rate increase on Web request service duplicator"
	dtProblemU = "https://abc12345.live.dynatrace.com/#problems/problemdetails;pid=-3791384261738475918_1715950860000V2"
)

var (
	dtTags      = []string{"Environment:Prod", "app:duplicator", "[AWS]Name:web-01"}
	dtTagValues = map[string]string{"Environment": "Prod", "app": "duplicator", "[AWS]Name": "web-01", "Name": "web-01"}
	duplicator  = []alexis.Entity{{Name: "duplicator"}}
)

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		opts []opsgenie.ParseOption
		want alexis.Event
	}{
		{file: "opsgenie_create_from_dynatrace.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: dtAlertID, ShortID: "4187", Alias: dtAlias,
			Action: "Create", Occurrence: "1715950921402113000", Message: dtMessage,
			Description: dtDescr + "\nRoot cause: High connectivity failures on process duplicator.jar (web-01)\n" + dtProblemU,
			Tags:        dtTags, TagValues: dtTagValues,
			Details: map[string]string{
				"State": "OPEN", "PID": dtAlias, "ProblemID": "P-240517133",
				"ProblemTitle": "Failure rate increase", "ProblemImpact": "SERVICE", "ProblemSeverity": "ERROR",
				"ImpactedEntity": dtDescr, "ImpactedEntityNames": "duplicator", "ProblemURL": dtProblemU,
				"Tags": "Environment:Prod, app:duplicator, [AWS]Name:web-01",
			},
			Entities: duplicator, Priority: "P2",
		}},
		{file: "opsgenie_create_duplicator_gc.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: gcAlertID, ShortID: "5120", Alias: gcAlias,
			Action: "Create", Occurrence: "1732876500488013000", Message: gcMessage, Description: gcDescr,
			Tags:      []string{"syn.day", "syn.duplicator", "Environment:Day", "app:duplicator"},
			TagValues: map[string]string{"Environment": "Day", "app": "duplicator"},
			Details: map[string]string{
				"host_regex": "wayvsymdup01.dev.example.com", "ProblemID": "P-241129512", "PID": gcAlias,
				"State": "OPEN", "ProblemImpact": "INFRASTRUCTURE", "ProblemSeverity": "RESOURCE_CONTENTION",
			},
			Entities: duplicator, Priority: "P3",
		}},
		{file: "opsgenie_addnote.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: dtAlertID, ShortID: "4187", Alias: dtAlias,
			Action: "AddNote", Occurrence: "1715951244907552000", Message: dtMessage, Tags: dtTags, TagValues: dtTagValues,
			Entities: duplicator, Priority: "P2",
		}},
		{file: "close.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: dtAlertID, ShortID: "4187", Alias: dtAlias,
			Action: "Close", Occurrence: "1715952402118734000", Message: dtMessage, Tags: dtTags, TagValues: dtTagValues,
			Entities: duplicator, Priority: "P2",
		}},
		{file: "acknowledge.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: gcAlertID, ShortID: "5120", Alias: gcAlias,
			Action: "Acknowledge", Occurrence: "1732876622950011000", Message: gcMessage, Tags: []string{"syn.day", "syn.duplicator"},
			Priority: "P3",
		}},
		{file: "addtags.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: gcAlertID, ShortID: "5120", Alias: gcAlias,
			Action: "AddTags", Occurrence: "1732876700000123000", Message: gcMessage,
			Tags:      []string{"syn.day", "syn.duplicator", "runbook:RB-112", "owner:ops_unix"},
			TagValues: map[string]string{"runbook": "RB-112", "owner": "ops_unix"},
			Entities:  duplicator,
		}},
		{file: "escalate.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: gcAlertID, Action: "Escalate", Occurrence: "900000",
			Details: map[string]string{
				"escalationId":            "0f4b8e21-93c7-4d5a-b6e2-71a9c3d5f804",
				"escalationName":          "ops_unix_escalation",
				"escalationTime":          "900000",
				"repeatCount":             "1",
				"escalationNotify.id":     "7a0c2e51-3f4b-4c9d-8e16-b2d5f0a9c7e3",
				"escalationNotify.name":   "ops_unix",
				"escalationNotify.type":   "default",
				"escalationNotify.entity": "team",
			},
		}},
		{file: "customaction.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: dtAlertID, ShortID: "4187", Alias: dtAlias,
			Action: "Restart duplicator", Occurrence: "1715951301000000001", Message: dtMessage, Description: dtDescr,
			Tags:      []string{"Environment:Prod", "app:duplicator"},
			TagValues: map[string]string{"Environment": "Prod", "app": "duplicator"},
			Details:   map[string]string{"host_regex": "web-01"},
			Entities:  duplicator, Priority: "P2",
		}},
		{file: "create_priority_int.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: diskID, ShortID: "12", Alias: "disk-var-web-03",
			Action: "Create", Occurrence: "1502709956288000110", Message: diskMsg, Tags: []string{"disk"},
			Entities: []alexis.Entity{{Name: "web-03"}}, Priority: "P3",
		}},
		{file: "create_minimal.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: "4f2a9d61-0b7e-4c3a-9e85-d1c6b2a7f390",
			Action: "Create", Message: "ping failed",
		}},
		{file: "alert_get.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: gcAlertID, ShortID: "5120", Alias: gcAlias,
			Action: "Replay", Occurrence: "2024-11-29T10:37:02.950Z", Message: gcMessage, Description: gcDescr,
			Tags:      []string{"syn.day", "syn.duplicator", "Environment:Day", "app:duplicator"},
			TagValues: map[string]string{"Environment": "Day", "app": "duplicator"},
			Details: map[string]string{
				"host_regex": "wayvsymdup01.dev.example.com", "ProblemID": "P-241129512",
				"PID": gcAlias, "State": "OPEN",
			},
			Entities: duplicator, Priority: "P3",
		}},
		{file: "alert_inner.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: diskID, ShortID: "12", Alias: "disk-var-web-03",
			Action: "Replay", Occurrence: "2017-08-14T11:40:12Z", Message: diskMsg, Tags: []string{"disk"},
			Entities: []alexis.Entity{{Name: "web-03"}}, Priority: "P4",
		}},
		{file: "echo_addnote.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: gcAlertID, ShortID: "5120", Alias: gcAlias,
			Action: "AddNote", Occurrence: "1732876800123456789", Message: gcMessage, Tags: []string{"syn.day", "syn.duplicator"},
			Priority: "P3", Ignore: `echo of Alexis' own AddNote (alert.username "Alexis")`,
		}},
		{file: "echo_close_source.json", want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: gcAlertID, ShortID: "5120",
			Action: "Close", Occurrence: "1732876900000000000", Message: gcMessage, Priority: "P3",
			Ignore: `echo of Alexis' own Close (source.name "ALEXIS")`,
		}},
		// A different self: the same echo is now a person's action...
		{file: "echo_addnote.json", opts: []opsgenie.ParseOption{opsgenie.WithSelf("remediator")}, want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: gcAlertID, ShortID: "5120", Alias: gcAlias,
			Action: "AddNote", Occurrence: "1732876800123456789", Message: gcMessage, Tags: []string{"syn.day", "syn.duplicator"},
			Priority: "P3",
		}},
		// ...and a person's note is Alexis' echo when Alexis acts as that person.
		{file: "opsgenie_addnote.json", opts: []opsgenie.ParseOption{opsgenie.WithSelf("JANE.DOE@example.com")}, want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: dtAlertID, ShortID: "4187", Alias: dtAlias,
			Action: "AddNote", Occurrence: "1715951244907552000", Message: dtMessage, Tags: dtTags, TagValues: dtTagValues,
			Entities: duplicator, Priority: "P2",
			Ignore: `echo of Alexis' own AddNote (alert.username "jane.doe@example.com")`,
		}},
		// WithSelf("") turns the echo check off.
		{file: "echo_close_source.json", opts: []opsgenie.ParseOption{opsgenie.WithSelf("")}, want: alexis.Event{
			Source: alexis.SourceOpsGenie, ID: gcAlertID, ShortID: "5120",
			Action: "Close", Occurrence: "1732876900000000000", Message: gcMessage, Priority: "P3",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := payloadtest.Read(t, tt.file)
			got, err := opsgenie.Parse(body, tt.opts...)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tt.want
			want.Raw = body
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePriority(t *testing.T) {
	for in, want := range map[string]string{
		`"P1"`: "P1", `"p5"`: "P5", `1`: "P1", `5`: "P5", `""`: "", `null`: "",
	} {
		body := `{"action":"Create","alert":{"alertId":"a","priority":` + in + `}}`
		ev, err := opsgenie.Parse([]byte(body))
		if err != nil {
			t.Errorf("priority %s: %v", in, err)
			continue
		}
		if ev.Priority != want {
			t.Errorf("priority %s: got %q, want %q", in, ev.Priority, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const ok = `"action":"Create","alert":{"alertId":"a"}`
	tests := []struct {
		name, body, want string
		code             string
	}{
		{"empty", ``, `body: empty, want a JSON object`, alexis.EINVALID},
		{"blank", " \n\t", `body: empty, want a JSON object`, alexis.EINVALID},
		{"array", `[{"action":"Create"}]`, `body: want a JSON object, got array`, alexis.EINVALID},
		{"string", `"Create"`, `body: want a JSON object, got "Create"`, alexis.EINVALID},
		{"null", `null`, `body: want a JSON object, got null`, alexis.EINVALID},
		{"truncated", `{"action":"Create","alert":{"alertId":"a"}`, `body: invalid JSON at line 1, column 42: unexpected end of JSON input`, alexis.EINVALID},
		{"syntax", "{\"action\":\"Create\",\n \"alert\": {x}}", `body: invalid JSON at line 2, column 12: invalid character 'x' looking for beginning of object key string`, alexis.EINVALID},
		{"trailing", `{` + ok + `} {}`, `body: invalid JSON at line 1, column 45: invalid character '{' after top-level value`, alexis.EINVALID},
		{"invalid utf8", "{\"action\":\"Cr\xffeate\",\"alert\":{\"alertId\":\"a\"}}", `body: invalid UTF-8 at byte 13`, alexis.EINVALID},
		{"duplicate key", `{"action":"Create","action":"Close","alert":{"alertId":"a"}}`, `action: duplicate key`, alexis.EINVALID},
		{"duplicate nested key", `{"action":"Create","alert":{"alertId":"a","alertId":"b"}}`, `alert.alertId: duplicate key`, alexis.EINVALID},
		{"no action", `{"alert":{"alertId":"a"}}`, `action: required`, alexis.EINVALID},
		{"empty action", `{"action":"","alert":{"alertId":"a"}}`, `action: required, got ""`, alexis.EINVALID},
		{"action number", `{"action":7,"alert":{"alertId":"a"}}`, `action: want string, got 7`, alexis.EINVALID},
		{"no alert", `{"action":"Create"}`, `alert: required`, alexis.EINVALID},
		{"alert null", `{"action":"Create","alert":null}`, `alert: required`, alexis.EINVALID},
		{"alert string", `{"action":"Create","alert":"a"}`, `alert: want object, got "a"`, alexis.EINVALID},
		{"no alertId", `{"action":"Create","alert":{"message":"m"}}`, `alert.alertId: required`, alexis.EINVALID},
		{"alertId number", `{"action":"Create","alert":{"alertId":12}}`, `alert.alertId: want string, got 12`, alexis.EINVALID},
		{"priority bool", `{` + ok[:len(ok)-1] + `,"priority":true}}`, `alert.priority: want "P1".."P5" or 1..5, got true`, alexis.EINVALID},
		{"priority P7", `{` + ok[:len(ok)-1] + `,"priority":"P7"}}`, `alert.priority: want "P1".."P5" or 1..5, got "P7"`, alexis.EINVALID},
		{"priority 0", `{` + ok[:len(ok)-1] + `,"priority":0}}`, `alert.priority: want "P1".."P5" or 1..5, got 0`, alexis.EINVALID},
		{"priority float", `{` + ok[:len(ok)-1] + `,"priority":3.0}}`, `alert.priority: want "P1".."P5" or 1..5, got 3.0`, alexis.EINVALID},
		{"tags string", `{` + ok[:len(ok)-1] + `,"tags":"a,b"}}`, `alert.tags: want array of strings, got "a,b"`, alexis.EINVALID},
		{"tag number", `{` + ok[:len(ok)-1] + `,"tags":["a",2]}}`, `alert.tags[1]: want string, got 2`, alexis.EINVALID},
		{"details array", `{` + ok[:len(ok)-1] + `,"details":[]}}`, `alert.details: want object, got []`, alexis.EINVALID},
		{"details value", `{` + ok[:len(ok)-1] + `,"details":{"n":1}}}`, `alert.details.n: want string, got 1`, alexis.EINVALID},
		{"createdAt float", `{` + ok[:len(ok)-1] + `,"createdAt":1.7159509213e12}}`, `alert.createdAt: want integer, got 1.7159509213e12`, alexis.EINVALID},
		{"updatedAt overflow", `{` + ok[:len(ok)-1] + `,"updatedAt":17159509214021130000000}}`, `alert.updatedAt: want integer, got 17159509214021130000000`, alexis.EINVALID},
		{"updatedAt string", `{` + ok[:len(ok)-1] + `,"updatedAt":"1715950921402113000"}}`, `alert.updatedAt: want integer, got "1715950921402113000"`, alexis.EINVALID},
		{"message object", `{` + ok[:len(ok)-1] + `,"message":{"text":"m"}}}`, `alert.message: want string, got object`, alexis.EINVALID},
		{"long value", `{` + ok[:len(ok)-1] + `,"entity":12345678901234567890123456789012345678901234567890}}`, `alert.entity: want string, got 1234567890123456789012345678901234567890…`, alexis.EINVALID},
		{"source string", `{` + ok + `,"source":"web"}`, `source: want object, got "web"`, alexis.EINVALID},
		{"escalationTime string", `{` + ok + `,"escalationTime":"15m"}`, `escalationTime: want integer, got "15m"`, alexis.EINVALID},
		{"bare id is not a replay", `{"id":"a","message":"m"}`, `action: required`, alexis.EINVALID},
		{"replay without id", `{"data":{"message":"m"}}`, `data.id: required`, alexis.EINVALID},
		{"replay data array", `{"data":[]}`, `data: want object, got []`, alexis.EINVALID},
		{"replay bad time", `{"id":"a","tinyId":"1","createdAt":"yesterday"}`, `createdAt: want RFC 3339 time, got "yesterday"`, alexis.EINVALID},
		{"replay epoch time", `{"id":"a","tinyId":"1","createdAt":1715950921337}`, `createdAt: want string, got 1715950921337`, alexis.EINVALID},
		{"too deep", `{"action":"Create","alert":{"alertId":"a","x":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}}`, `body: nested deeper than 64 levels at byte 108`, alexis.EINVALID},
		{"too large", `{"action":"Create","alert":{"alertId":"a","x":"` + strings.Repeat("x", 1<<20) + `"}}`, `body: 1048626 bytes, more than the limit of 1048576`, alexis.ETOOLARGE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := opsgenie.Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", ev)
			}
			if ev != nil {
				t.Errorf("Parse returned an event with its error: %+v", ev)
			}
			payloadtest.CheckError(t, err, tt.code, tt.want)
		})
	}
}

// TestSecondNoteIsANewEvent: two AddNote actions on one alert differ by
// updatedAt, so both are events; a redelivery of one keeps its key.
func TestSecondNoteIsANewEvent(t *testing.T) {
	body := func(updatedAt string) []byte {
		return []byte(`{"action":"AddNote","alert":{"alertId":"a-1","message":"m","note":"n","updatedAt":` + updatedAt + `}}`)
	}
	key := func(b []byte) string {
		ev, err := opsgenie.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return ev.Key()
	}
	first, redelivered, second := key(body("1715951244907552000")), key(body("1715951244907552000")), key(body("1715951300000000000"))
	if first != redelivered || first == second {
		t.Errorf("keys: first %q, redelivered %q, second note %q", first, redelivered, second)
	}
}

// Parsing the fixture takes a bounded number of allocations: 21 when this
// was written (the Event, its strings, the tags and details with one
// string each, the entity; the payload index is pooled), 114 before the
// one-pass payload scanner. The bound leaves room for the race detector,
// which makes the pool drop some indexes.
func TestParseAllocations(t *testing.T) {
	body := payloadtest.Read(t, "opsgenie_create_from_dynatrace.json")
	n := testing.AllocsPerRun(200, func() {
		if _, err := opsgenie.Parse(body); err != nil {
			t.Fatal(err)
		}
	})
	if n > 24 {
		t.Errorf("%v allocations per Parse, want at most 24", n)
	}
}
