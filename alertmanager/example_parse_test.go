package alertmanager_test

import (
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/alexis-project/alexis/alertmanager"
)

func ExampleParse() {
	body := []byte(`{
	  "version": "4",
	  "groupKey": "{}:{alertname=\"DuplicatorDown\"}",
	  "status": "firing",
	  "receiver": "alexis",
	  "commonLabels": {"alertname": "DuplicatorDown", "team": "sre-platform"},
	  "alerts": [
	    {"status": "firing", "fingerprint": "a3f9c1e2b47d6805",
	     "labels": {"alertname": "DuplicatorDown", "instance": "web-01:8080", "severity": "critical"},
	     "annotations": {"summary": "duplicator down on web-01"}},
	    {"status": "resolved", "fingerprint": "5c0d8e7a19b2f364",
	     "labels": {"alertname": "DuplicatorDown", "instance": "web-02:8080", "severity": "critical"}}
	  ]
	}`)
	events, err := alertmanager.Parse(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range events {
		fmt.Println(ev.Key(), ev.Priority, ev.Entities[0].Name, ev.Message)
		fmt.Println(" ", ev.Tags, gjson.GetBytes(ev.Raw, "group.commonLabels.team"))
	}
	_, err = alertmanager.Parse([]byte(`{"version":"3","alerts":[]}`))
	fmt.Println(err)
	// Output:
	// alertmanager/a3f9c1e2b47d6805/firing critical web-01 duplicator down on web-01
	//   [alertname:DuplicatorDown instance:web-01:8080 severity:critical] sre-platform
	// alertmanager/5c0d8e7a19b2f364/resolved critical web-02 DuplicatorDown
	//   [alertname:DuplicatorDown instance:web-02:8080 severity:critical] sre-platform
	// version: want "4", got "3"
}
