package source_test

import (
	"fmt"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/source"
)

func ExampleParse() {
	body := []byte(`{"id": "backup-db-01-20241129", "action": "failed", "priority": "P2",
	  "message": "nightly backup failed on db-01", "tags": ["team:dba"],
	  "entities": [{"name": "db-01", "type": "HOST"}]}`)
	evs, err := source.Parse(alexis.SourceGeneric, body)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := evs[0]
	fmt.Println(ev.Key(), ev.Priority, ev.TagValues["team"], ev.Entities[0].Name)

	_, err = source.Parse("pagerduty", body)
	fmt.Println(err)
	_, err = source.Parse(alexis.SourceGeneric, []byte(`{"id": "x", "mesage": "typo"}`))
	fmt.Println(err)
	// Output:
	// generic/backup-db-01-20241129/failed P2 dba db-01
	// source "pagerduty": unknown, want one of opsgenie, dynatrace, alertmanager, generic
	// mesage: unknown field
}

func ExampleDetect() {
	fmt.Println(source.Detect([]byte(`{"action": "Create", "alert": {"alertId": "a"}}`)))
	fmt.Println(source.Detect([]byte(`{"PID": "1_2", "State": "OPEN"}`)))
	fmt.Println(source.Detect([]byte(`{"version": "4", "alerts": []}`)))
	fmt.Println(source.Detect([]byte(`{"id": "x", "message": "m"}`)))
	// Output:
	// opsgenie
	// dynatrace
	// alertmanager
	// generic
}
