package opsgenie_test

import (
	"fmt"

	"github.com/alexis-project/alexis/opsgenie"
)

func ExampleParse() {
	body := []byte(`{
	  "action": "Create",
	  "alert": {
	    "alertId": "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412",
	    "tinyId": "5120",
	    "message": "Long garbage-collection time on duplicator (day)",
	    "tags": ["syn.day", "app:duplicator"],
	    "entity": "duplicator",
	    "priority": 3,
	    "createdAt": 1732876500412,
	    "updatedAt": 1732876500488013000,
	    "details": {"host_regex": "wayvsymdup01.dev.example.com"}
	  },
	  "source": {"name": "Dynatrace", "type": "integration"}
	}`)
	ev, err := opsgenie.Parse(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Key())
	fmt.Println(ev.ShortID, ev.Priority, ev.Message)
	fmt.Println(ev.TagValues["app"], ev.Details["host_regex"], ev.Entities[0].Name)

	// Alexis' own write-backs come back as webhooks; Parse marks them.
	echo, _ := opsgenie.Parse([]byte(`{"action":"AddNote","alert":{"alertId":"a","username":"alexis"}}`))
	fmt.Println(echo.Ignore)

	_, err = opsgenie.Parse([]byte(`{"action":"Create","alert":{"alertId":"a","priority":true}}`))
	fmt.Println(err)
	// Output:
	// opsgenie/2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412/Create/1732876500488013000
	// 5120 P3 Long garbage-collection time on duplicator (day)
	// duplicator wayvsymdup01.dev.example.com duplicator
	// echo of Alexis' own AddNote (alert.username "alexis")
	// alert.priority: want "P1".."P5" or 1..5, got true
}
