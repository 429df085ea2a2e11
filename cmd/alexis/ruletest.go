package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/alexis-project/alexis/ruletest"
)

// printTestResult prints failing cases with their diffs (and passing ones
// when verbose) and the summary line; it returns the exit code.
func printTestResult(res *ruletest.Result, verbose bool, w io.Writer) int {
	if verbose {
		fmt.Fprint(w, res.String())
	} else {
		for _, l := range strings.SplitAfter(res.String(), "\n") {
			if strings.HasPrefix(l, "PASS ") {
				continue
			}
			fmt.Fprint(w, l)
		}
	}
	if len(res.Cases) == 0 {
		fmt.Fprintln(w, "no rule tests found (*_test.yaml)")
		return exitProblem
	}
	if !res.Passed() {
		return exitProblem
	}
	return exitOK
}
