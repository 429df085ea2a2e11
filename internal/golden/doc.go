// Package golden compares test output with golden files in testdata, for
// the tests of packages rule and ruletest.
//
//	var update = flag.Bool("update", false, "rewrite the golden files")
//	golden.Check(t, "testdata/x.err", err.Error(), *update)
package golden
