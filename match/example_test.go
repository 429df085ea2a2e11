package match_test

import (
	"fmt"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/match"
)

func exampleEvent() *alexis.Event {
	tags := []string{"Environment:Prod", "app:duplicator", "[AWS]Name:web-01"}
	return &alexis.Event{
		Source:    alexis.SourceOpsGenie,
		Action:    "Create",
		Message:   "Long GC time on duplicator",
		Priority:  "P2",
		Tags:      tags,
		TagValues: alexis.ParseTags(tags),
		Details:   map[string]string{"hosts": "web-01, web-02"},
		Raw:       []byte(`{"action":"Create","alert":{"details":{"host_regex":"web-0[12]"}}}`),
	}
}

// Prepare builds an event's scope once; every rule then evaluates on it.
func ExamplePrepare() {
	sc := match.Prepare(exampleEvent())
	for _, src := range []string{
		`has_tag("app:duplicator") && message matches "(?i)gc time"`,
		`tag("Environment") == "Prod" && priority in ["P1", "P2"]`,
		`json("alert.details.host_regex") == "web-0[12]"`,
		`has_tag("maintenance")`,
	} {
		cond, err := match.CompileCondition(src)
		if err != nil {
			fmt.Println(err)
			return
		}
		ok, err := cond.Eval(sc)
		fmt.Println(ok, err)
	}
	// Output:
	// true <nil>
	// true <nil>
	// true <nil>
	// false <nil>
}

// Compile errors say where, within the expression, and what.
func ExampleCompileCondition() {
	_, err := match.CompileCondition(`has_tag("app:duplicator") && descripton contains "GC"`)
	fmt.Println(err)
	_, err = match.CompileCondition(`message`)
	fmt.Println(err)
	_, err = match.CompileCondition(`message matches "(gc"`)
	fmt.Println(err)
	// Output:
	// 1:30: unknown name descripton
	// 1:1: expected bool, but got string
	// 1:9: error parsing regexp: missing closing ): `(gc`
}

// Targets yield a list of hosts: white space trimmed, empty strings and
// duplicates dropped.
func ExampleCompileTargets() {
	sc := match.Prepare(exampleEvent())
	for _, src := range []string{
		`tag("Name")`,
		`split(details.hosts, ",")`,
		`[tag("Name"), details.missing, "web-01"]`,
	} {
		ts, err := match.CompileTargets(src)
		if err != nil {
			fmt.Println(err)
			return
		}
		hosts, err := ts.Select(sc)
		fmt.Printf("%q %v\n", hosts, err)
	}
	// Output:
	// ["web-01"] <nil>
	// ["web-01" "web-02"] <nil>
	// ["web-01"] <nil>
}

// Requirements are the conditions the engine's index can check without
// running the expression.
func ExampleCondition_Requirements() {
	cond, err := match.CompileCondition(`all_tags("Environment:Prod", "app:duplicator") && action == "Create" && (priority == "P1" || priority == "P2")`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", cond.Requirements())
	// Output:
	// {Tags:[Environment:Prod app:duplicator] Equals:map[action:Create] TagValues:map[]}
}
