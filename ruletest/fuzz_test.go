package ruletest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/alexis-project/alexis/internal/kindtest"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/ruletest"
)

// FuzzTestFile feeds arbitrary bytes to the test file parser: no panic,
// and either cases or problems, never both silently dropped.
func FuzzTestFile(f *testing.F) {
	for _, p := range []string{"testdata/suite/rules_test.yaml", "testdata/failing/failing_test.yaml", "testdata/badtests/bad_test.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("tests: [{name: x, body: '{}', expect: {rules: []}}]"))
	rs, err := rule.LoadDir("testdata/suite", kindtest.Registry())
	if err != nil {
		f.Fatal(err)
	}
	name := filepath.Join("testdata", "suite", "fuzz_test.yaml") // payloads resolve as in the suite
	f.Fuzz(func(t *testing.T, data []byte) {
		n, problems := ruletest.ParseTestFile(name, data, rs)
		if n == 0 && len(problems) == 0 {
			t.Fatalf("no case and no problem for %q", data)
		}
	})
}
