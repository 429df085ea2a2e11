package rules_test

import (
	"testing"

	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/ruletest"
)

// TestExamples runs the example rules' *_test.yaml files with the real
// action types (ssh, exec, http). Nothing runs on any host: rule tests
// compare plans.
func TestExamples(t *testing.T) {
	res, err := ruletest.RunDir(".", builtin.Registry(builtin.Config{}))
	if err != nil {
		t.Fatalf("the example rules or their tests are invalid:\n%v", err)
	}
	if !res.Passed() || len(res.Cases) == 0 {
		t.Fatalf("example rule tests:\n%s", res)
	}
	if len(res.Untested) > 0 {
		t.Errorf("example rules without a test: %v", res.Untested)
	}
	t.Logf("\n%s", res)
}
