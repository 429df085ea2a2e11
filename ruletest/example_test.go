package ruletest_test

import (
	"fmt"

	"github.com/alexis-project/alexis/internal/kindtest"
	"github.com/alexis-project/alexis/ruletest"
)

// RunDir runs the *_test.yaml files next to the rules of a directory.
func ExampleRunDir() {
	res, err := ruletest.RunDir("testdata/suite", kindtest.Registry())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(res)
	// Output:
	// PASS testdata/suite/rules_test.yaml:2: long GC on day restarts duplicator
	// PASS testdata/suite/rules_test.yaml:13: an alertmanager group acts on each instance, port removed
	// PASS testdata/suite/rules_test.yaml:20: one event of the group
	// PASS testdata/suite/rules_test.yaml:28: a hostile host name is refused, not run
	// PASS testdata/suite/rules_test.yaml:42: the dynatrace test notification is acknowledged, not acted on
	// PASS testdata/suite/rules_test.yaml:48: other opsgenie alerts match nothing
	// PASS testdata/suite/rules_test.yaml:53: a number in the details is compared as a number
	// PASS testdata/suite/rules_test.yaml:60: an expression that fails at run time does not match, and says why
	// 8 passed, 0 failed; rules no test expects to match: never
}
