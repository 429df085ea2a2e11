package source_test

import (
	"fmt"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/opsgenie"
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

func ExampleParser() {
	// The server's parser: OpsGenie echoes are those of user "remediator".
	p := source.Parser{OpsGenie: []opsgenie.ParseOption{opsgenie.WithSelf("remediator")}}
	evs, err := p.Parse(alexis.SourceOpsGenie, []byte(`{"action": "Close",
	  "alert": {"alertId": "6d1f3a9e", "username": "Remediator"}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(evs[0].Ignore)
	// Output:
	// echo of Alexis' own Close (alert.username "Remediator")
}

func ExampleParseGeneric() {
	ev, err := source.ParseGeneric([]byte(`{"id": "cron-7731", "message": "rotate-logs missed",
	  "raw": {"job": {"host": "web-01"}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Source, ev.ID, string(ev.Raw))
	// Output:
	// generic cron-7731 {"job": {"host": "web-01"}}
}

func ExampleNames() {
	fmt.Println(source.Names())
	// Output:
	// [opsgenie dynatrace alertmanager generic]
}
