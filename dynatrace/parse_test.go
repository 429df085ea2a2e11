package dynatrace_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
)

const (
	dupPID   = "-3791384261738475918_1715950860000V2"
	dupURL   = "https://abc12345.live.dynatrace.com/#problems/problemdetails;pid=" + dupPID
	dupDescr = "Failure rate increase on Web request service duplicator"
	gcPID    = "-5512093387112045567_1732876440000V2"
)

var (
	dupTags      = []string{"Environment:Prod", "app:duplicator", "[AWS]Name:web-01"}
	dupTagValues = map[string]string{"Environment": "Prod", "app": "duplicator", "[AWS]Name": "web-01", "Name": "web-01"}
	dupEntities  = []alexis.Entity{
		{Name: "duplicator", ID: "SERVICE-8A2C4E6B1D3F5A79", Type: "SERVICE"},
		{Name: "web-01", ID: "HOST-5D7E9A1B3C2F4E68", Type: "HOST"},
	}
	testEntities = []alexis.Entity{
		{Name: "MyHost1", ID: "HOST-XXXXXXXXXXXXX", Type: "HOST"},
		{Name: "MyService1", ID: "SERVICE-XXXXXXXXXXXXX", Type: "SERVICE"},
	}
)

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		want alexis.Event
	}{
		{"dynatrace_problem_open.json", alexis.Event{
			Source: alexis.SourceDynatrace, ID: dupPID, ShortID: "P-240517133", Action: "OPEN",
			Message: "Failure rate increase", Description: dupDescr, Priority: "ERROR",
			Tags: dupTags, TagValues: dupTagValues, Entities: dupEntities,
			Details: map[string]string{
				"ImpactedEntity": dupDescr, "PID": dupPID, "ProblemID": "P-240517133",
				"ProblemImpact": "SERVICE", "ProblemTitle": "Failure rate increase",
				"ProblemURL": dupURL, "State": "OPEN", "Tags": "Environment:Prod, app:duplicator, [AWS]Name:web-01",
			},
		}},
		// v1 status CLOSED, State RESOLVED, the ProblemURL spelling, a
		// context-less tag without value only in the entity tags.
		{"problem_resolved_v1.json", alexis.Event{
			Source: alexis.SourceDynatrace, ID: dupPID, ShortID: "P-240517133", Action: "RESOLVED",
			Message: "Failure rate increase", Description: dupDescr, Priority: "ERROR",
			Tags: append(append([]string(nil), dupTags...), "critical"), TagValues: dupTagValues, Entities: dupEntities,
			Details: map[string]string{
				"ImpactedEntity": dupDescr, "PID": dupPID, "ProblemID": "P-240517133",
				"ProblemImpact": "SERVICE", "ProblemTitle": "Failure rate increase",
				"ProblemURL": dupURL, "State": "RESOLVED", "Tags": "Environment:Prod, app:duplicator, [AWS]Name:web-01",
			},
		}},
		{"problem_open_v2.json", alexis.Event{
			Source: alexis.SourceDynatrace, ID: gcPID, ShortID: "P-241129512", Action: "OPEN",
			Message:     "Long garbage-collection time",
			Description: "Long garbage-collection time on process duplicator.jar (wayvsymdup01)",
			Priority:    "RESOURCE_CONTENTION",
			Tags:        []string{"syn.day", "syn.duplicator", "Environment:Day", "[ENVIRONMENT]Infrastructure:Linux"},
			TagValues:   map[string]string{"Environment": "Day", "[ENVIRONMENT]Infrastructure": "Linux", "Infrastructure": "Linux"},
			Entities: []alexis.Entity{
				{Name: "duplicator.jar (wayvsymdup01)", ID: "PROCESS_GROUP_INSTANCE-3F1B9C7D2E4A6B80", Type: "PROCESS_GROUP_INSTANCE"},
				{Name: "wayvsymdup01.dev.example.com", ID: "HOST-7C1E3A5B9D2F4860", Type: "HOST"},
			},
			Details: map[string]string{
				"ImpactedEntity":      "Long garbage-collection time on process duplicator.jar (wayvsymdup01)",
				"ImpactedEntityNames": "duplicator.jar (wayvsymdup01)",
				"PID":                 gcPID, "ProblemID": "P-241129512", "ProblemImpact": "INFRASTRUCTURE",
				"ProblemSeverity": "RESOURCE_CONTENTION", "ProblemTitle": "Long garbage-collection time",
				"ProblemURL": "https://abc12345.live.dynatrace.com/#problems/problemdetails;pid=" + gcPID,
				"State":      "OPEN", "Tags": "syn.day, syn.duplicator, Environment:Day",
				"host_regex": "wayvsymdup01.dev.example.com",
			},
		}},
		{"problem_minimal.json", alexis.Event{
			Source: alexis.SourceDynatrace, ID: "8475018432512634453_1715950860000", Action: "OPEN",
			Message: "CPU saturation",
			Details: map[string]string{"PID": "8475018432512634453_1715950860000", "State": "OPEN", "ProblemTitle": "CPU saturation"},
		}},
		// Only {ProblemDetailsJSONv2}: identity, state (CLOSED) and tags come from it.
		{"problem_details_only.json", alexis.Event{
			Source: alexis.SourceDynatrace, ID: "-6156404735398726308_1669823466223V2", ShortID: "P-221194163",
			Action: "RESOLVED", Message: "Response time degradation", Priority: "PERFORMANCE",
			Tags: []string{"stage:dev"}, TagValues: map[string]string{"stage": "dev"},
		}},
		{"dynatrace_test_notification.json", alexis.Event{
			Source: alexis.SourceDynatrace, ID: "99999", ShortID: "999", Action: "OPEN",
			Message: dynatrace.TestTitle, Description: "MyHost1, MyService1",
			Tags: []string{"testtag1", "testtag2"}, Entities: testEntities,
			Details: map[string]string{
				"ImpactedEntity": "MyHost1, MyService1", "PID": "99999", "ProblemID": "999",
				"ProblemImpact": "INFRASTRUCTURE", "ProblemTitle": dynatrace.TestTitle,
				"ProblemURL": "https://abc12345.live.dynatrace.com/#problems", "State": "OPEN", "Tags": "testtag1, testtag2",
			},
			Ignore: dynatrace.TestIgnore,
		}},
		{"test_notification_testid.json", alexis.Event{
			Source: alexis.SourceDynatrace, ID: "999999", ShortID: "TESTID", Action: "OPEN",
			Message: "Test notification", Description: "MyHost1, MyService1",
			Tags: []string{"testtag1:testvalue", "testtag2"}, TagValues: map[string]string{"testtag1": "testvalue"},
			Entities: testEntities[:1],
			Details: map[string]string{
				"ImpactedEntity": "MyHost1, MyService1", "PID": "999999", "ProblemID": "TESTID",
				"ProblemImpact": "INFRASTRUCTURE", "ProblemTitle": "Test notification",
				"State": "OPEN", "Tags": "testtag1:testvalue, testtag2",
			},
			Ignore: dynatrace.TestIgnore,
		}},
		// Unexpanded placeholders, even a wrongly typed one, are still a test.
		{"test_notification_placeholders.json", alexis.Event{
			Source: alexis.SourceDynatrace, ShortID: "999", Action: "OPEN",
			Message: dynatrace.TestTitle, Description: "MyHost1, MyService1",
			Details: map[string]string{
				"ImpactedEntity": "MyHost1, MyService1",
				"ProblemID":      "999", "ProblemImpact": "INFRASTRUCTURE", "ProblemTitle": dynatrace.TestTitle, "State": "OPEN",
			},
			Ignore: dynatrace.TestIgnore,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := payloadtest.Read(t, tt.file)
			got, err := dynatrace.Parse(body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tt.want
			want.Raw = body
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			if isTest := dynatrace.IsTest(body); isTest != (want.Ignore != "") {
				t.Errorf("IsTest = %v", isTest)
			}
		})
	}
}

// With event merges enabled Dynatrace sends OPEN again for the same
// problem; the repeat has the same Key, so the engine treats it as one.
func TestParseMergeRepeatSameKey(t *testing.T) {
	body := payloadtest.Read(t, "dynatrace_problem_open.json")
	first, err := dynatrace.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	merged := strings.Replace(string(body), `"commentCount": 0`, `"commentCount": 1`, 1)
	again, err := dynatrace.Parse([]byte(merged))
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := dynatrace.Parse(payloadtest.Read(t, "problem_resolved_v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Key() != again.Key() {
		t.Errorf("repeat OPEN key %q != %q", again.Key(), first.Key())
	}
	if want := "dynatrace/" + dupPID + "/OPEN"; first.Key() != want {
		t.Errorf("key %q, want %q", first.Key(), want)
	}
	if resolved.Key() == first.Key() {
		t.Errorf("RESOLVED has the OPEN key %q", resolved.Key())
	}
}

// A real problem whose ProblemID happens to be 999 is not a test.
func TestParseProblem999IsNotTest(t *testing.T) {
	ev, err := dynatrace.Parse([]byte(`{"PID":"8475018432512634453_1715950860000","ProblemID":"999","State":"OPEN"}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Ignore != "" {
		t.Errorf("Ignore = %q", ev.Ignore)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"empty", ``, `body: empty, want a JSON object`},
		{"array", `[]`, `body: want a JSON object, got []`},
		{"syntax", `{"PID": "1_2", "State": OPEN}`, `body: invalid JSON at line 1, column 25: invalid character 'O' looking for beginning of value`},
		{"invalid utf8", "{\"PID\":\"1_2\",\"State\":\"OPEN\",\"ProblemTitle\":\"\xc3\x28\"}", `body: invalid UTF-8 at byte 44`},
		{"no PID", `{"State":"OPEN","ProblemTitle":"x"}`, `PID: required`},
		{"PID placeholder is a test, PID empty is not", `{"PID":"","State":"OPEN"}`, `PID: required`},
		{"no State", `{"PID":"1_2"}`, `State: required`},
		{"PID number", `{"PID":12,"State":"OPEN"}`, `PID: want string, got 12`},
		{"Tags array", `{"PID":"1_2","State":"OPEN","Tags":["a"]}`, `Tags: want string, got array`},
		{"Problem URL bool", `{"PID":"1_2","State":"OPEN","Problem URL":false}`, `Problem URL: want string, got false`},
		{"ImpactedEntities string", `{"PID":"1_2","State":"OPEN","ImpactedEntities":"web-01"}`, `ImpactedEntities: want array of objects, got "web-01"`},
		{"ImpactedEntities item", `{"PID":"1_2","State":"OPEN","ImpactedEntities":[{"name":"a"},"b"]}`, `ImpactedEntities[1]: want object, got "b"`},
		{"entity name number", `{"PID":"1_2","State":"OPEN","ImpactedEntities":[{"name":7}]}`, `ImpactedEntities[0].name: want string, got 7`},
		{"details string", `{"PID":"1_2","State":"OPEN","ProblemDetailsJSON":"{}"}`, `ProblemDetailsJSON: want object, got "{}"`},
		{"v1 tags", `{"PID":"1_2","State":"OPEN","ProblemDetailsJSON":{"tagsOfAffectedEntities":{}}}`, `ProblemDetailsJSON.tagsOfAffectedEntities: want array of objects, got object`},
		{"v2 entity id", `{"PID":"1_2","State":"OPEN","ProblemDetailsJSONv2":{"impactedEntities":[{"entityId":"HOST-1"}]}}`, `ProblemDetailsJSONv2.impactedEntities[0].entityId: want object, got "HOST-1"`},
		{"v2 tag", `{"PID":"1_2","State":"OPEN","ProblemDetailsJSONv2":{"entityTags":[{"stringRepresentation":1}]}}`, `ProblemDetailsJSONv2.entityTags[0].stringRepresentation: want string, got 1`},
		{"duplicate", `{"PID":"1_2","State":"OPEN","State":"RESOLVED"}`, `State: duplicate key`},
		{"too deep", `{"PID":"1_2","State":"OPEN","x":` + strings.Repeat(`{"a":`, 64) + `1` + strings.Repeat(`}`, 64) + `}`, `body: nested deeper than 64 levels at byte 347`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := dynatrace.Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", ev)
			}
			if ev != nil {
				t.Errorf("event returned with the error: %+v", ev)
			}
			payloadtest.CheckError(t, err, alexis.EINVALID, tt.want)
		})
	}
}
