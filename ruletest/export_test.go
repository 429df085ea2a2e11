package ruletest

import alexis "github.com/alexis-project/alexis"

// ParseTestFile parses a test file's content for the fuzz test: the number
// of cases, and the problems.
func ParseTestFile(file string, data []byte, rs *alexis.RuleSet) (int, []string) {
	var errs errorList
	cases := parseData(file, data, rs, &errs)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return len(cases), msgs
}
