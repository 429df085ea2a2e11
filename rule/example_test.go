package rule_test

import (
	"errors"
	"fmt"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/rule"
)

// Parse compiles the rules of one file; the Engine then plans what they
// would do for an event.
func ExampleParse() {
	src := `
rules:
  - name: duplicator-gc
    sources: [opsgenie]
    when: has_tag("syn.duplicator") && message matches "(?i)garbage.collection"
    targets_from: details.host_regex
    tasks:
      - action: remote
        command: sudo systemctl restart duplicator   # on {{ .Target }}: a YAML comment
`
	rs, err := rule.Parse("duplicator.yaml", []byte(src), testRegistry())
	if err != nil {
		fmt.Println(err)
		return
	}
	eng, _ := alexis.New(rs, alexis.WithDryRun(true))
	plan := eng.Plan(&alexis.Event{
		Source:  alexis.SourceOpsGenie,
		ID:      "2c9d41f0",
		Action:  "Create",
		Message: "Long garbage-collection time on duplicator (day)",
		Tags:    []string{"syn.day", "syn.duplicator"},
		Details: map[string]string{"host_regex": "wayvsymdup01.dev.example.com"},
	})
	for _, m := range plan.Matches {
		for _, t := range m.Tasks {
			fmt.Printf("%s on %s: %s\n", m.Rule, t.Target, t.Command)
		}
	}
	// Output:
	// duplicator-gc on wayvsymdup01.dev.example.com: sudo systemctl restart duplicator
}

// Every problem of a load comes back at once, each with its file, line,
// column and rule.
func ExampleParse_errors() {
	src := `
rules:
  - name: duplicator-gc
    descripton: Restart the duplicator.
    when: has_tag("syn.duplicator") && mesage matches "GC"
    targets: [wayvsymdup01.dev.example.com]
    tasks:
      - action: remote
        command: sudo systemctl restart duplicator
        timeout: 5
`
	_, err := rule.Parse("rules/duplicator.yaml", []byte(src), testRegistry())
	fmt.Println(err)

	var errs rule.Errors
	if errors.As(err, &errs) {
		fmt.Println(len(errs), "problems; the first is on line", errs[0].Line)
	}
	// Output:
	// rules/duplicator.yaml:4:5: rule "duplicator-gc": unknown field "descripton"; did you mean "description"?
	// rules/duplicator.yaml:5:40: rule "duplicator-gc": when: unknown name mesage; did you mean "message"?
	// rules/duplicator.yaml:10:18: rule "duplicator-gc": tasks[0].timeout: must be a duration with a unit, such as 5s or 5m, not the bare number 5
	// 3 problems; the first is on line 4
}

// LoadDir loads a directory of rule files in lexical order.
func ExampleLoadDir() {
	rs, err := rule.LoadDir("testdata/good", testRegistry())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rs.Rules {
		fmt.Printf("%s (%s:%d) enabled=%v\n", r.Name, r.File, r.Line, r.Enabled)
	}
	// Output:
	// restart-web (testdata/good/anchors.yaml:13) enabled=true
	// restart-web-staging (testdata/good/anchors.yaml:20) enabled=true
	// inherits-everything (testdata/good/defaults.yaml:12) enabled=true
	// overrides-some (testdata/good/defaults.yaml:18) enabled=false
	// call-webhook (testdata/good/targetless.json:1) enabled=true
}

// ListDir tells rule files from rule test files.
func ExampleListDir() {
	rules, tests, err := rule.ListDir("testdata/good")
	fmt.Println(rules, tests, err)
	// Output:
	// [testdata/good/anchors.yaml testdata/good/defaults.yaml testdata/good/targetless.json] [] <nil>
}

// LoadFiles loads the files it is given, in that order.
func ExampleLoadFiles() {
	rs, err := rule.LoadFiles(testRegistry(), "testdata/good/targetless.json", "testdata/good/defaults.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(rs.Rules), "rules from", rs.Files)
	// Output:
	// 3 rules from [testdata/good/targetless.json testdata/good/defaults.yaml]
}

// Lines gives the text of the line an Error points at, to show it with a
// caret under the column.
func ExampleLines() {
	src := []byte("rules:\n  - name: gc\n    when: has_tag(\"syn.duplicator\") && mesage != \"\"\n    tasks: [{action: call, url: 'http://127.0.0.1/'}]\n")
	_, err := rule.Parse("gc.yaml", src, testRegistry())
	var errs rule.Errors
	if errors.As(err, &errs) {
		e := errs[0]
		fmt.Println(e)
		fmt.Println(rule.Lines(src)[e.Line-1])
		fmt.Printf("%*s\n", e.Col, "^")
	}
	// Output:
	// gc.yaml:3:40: rule "gc": when: unknown name mesage; did you mean "message"?
	//     when: has_tag("syn.duplicator") && mesage != ""
	//                                        ^
}
