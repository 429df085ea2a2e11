package dynatrace_test

import (
	"fmt"

	"github.com/alexis-project/alexis/dynatrace"
)

func ExampleParse() {
	body := []byte(`{
	  "ImpactedEntities": [{"type": "HOST", "name": "web-01", "entity": "HOST-5D7E9A1B3C2F4E68"}],
	  "ImpactedEntity": "CPU saturation on host web-01",
	  "PID": "-3791384261738475918_1715950860000V2",
	  "ProblemDetailsJSON": {"id": "-3791384261738475918_1715950860000V2", "status": "CLOSED",
	    "severityLevel": "RESOURCE_CONTENTION",
	    "tagsOfAffectedEntities": [{"context": "AWS", "key": "Name", "value": "web-01"}]},
	  "ProblemID": "P-240517133",
	  "ProblemTitle": "CPU saturation",
	  "Problem URL": "https://abc12345.live.dynatrace.com/#problems/problemdetails;pid=-3791384261738475918_1715950860000V2",
	  "State": "RESOLVED",
	  "Tags": "app:duplicator"
	}`)
	ev, err := dynatrace.Parse(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Key())
	fmt.Println(ev.ShortID, ev.Priority, ev.Message)
	fmt.Println(ev.Tags, ev.TagValues["Name"])
	fmt.Println(ev.Entities[0].ID, ev.Details["ProblemURL"] != "")

	test, err := dynatrace.Parse([]byte(`{"PID":"99999","ProblemID":"999","State":"OPEN",
	  "ProblemTitle":"Dynatrace problem notification test run","ProblemDetailsJSON":{"ID":"99999"}}`))
	fmt.Println(test.Ignore, err)
	// Output:
	// dynatrace/-3791384261738475918_1715950860000V2/RESOLVED
	// P-240517133 RESOURCE_CONTENTION CPU saturation
	// [app:duplicator [AWS]Name:web-01] web-01
	// HOST-5D7E9A1B3C2F4E68 true
	// Dynatrace test notification <nil>
}

func ExampleIsTest() {
	fmt.Println(dynatrace.IsTest([]byte(`{"PID": "{PID}", "State": "OPEN", "Tags": "{Tags}"}`)))
	fmt.Println(dynatrace.IsTest([]byte(`{"PID": "-3791384261738475918_1715950860000V2", "ProblemID": "P-240517133"}`)))
	// Output:
	// true
	// false
}
