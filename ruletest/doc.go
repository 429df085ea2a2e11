// Package ruletest runs declarative rule tests: *_test.yaml files next to
// the rule files that say, for a recorded webhook payload, which rules must
// match, on which targets, with which rendered commands. Nothing runs:
// cases compare the Engine's Plan.
//
// The shortest use (this is what `alexis test rules/` does):
//
//	res, err := ruletest.RunDir("rules", reg)
//	if err != nil { ... }      // rules or test files are invalid: file:line:col
//	fmt.Print(res)             // PASS/FAIL per case, diffs, summary
//	if !res.Passed() { ... }
//
// # Test files
//
//	tests:
//	  - name: long GC on day restarts duplicator   # required, unique in the file
//	    payload: testdata/opsgenie_create_duplicator_gc.json  # relative to this file
//	    source: opsgenie      # optional; by default guessed from the payload
//	    event: 0              # optional: only this event (from 0) of the payload
//	    expect:
//	      rules: [duplicator-gc]   # required: exactly the rules that match, in order
//	      targets:                 # optional, per rule: the resolved targets
//	        duplicator-gc: [wayvsymdup01.dev.example.com]
//	      commands:                # optional, per rule: every rendered task
//	        duplicator-gc: ["sudo systemctl restart duplicator"]
//	      errors:                  # planning errors per rule (default: none)
//	        duplicator-gc: []
//	      ignored: false           # the event is to be acknowledged, not acted on
//
// Instead of payload, body holds the payload inline (a YAML string, usually
// a block scalar holding JSON). The payload is parsed as the webhook server
// parses it (package source); when it holds several events (an
// Alertmanager group) the case looks at all of them: rules lists each
// matching rule once, in order of first match, and targets, commands and
// errors are concatenated over the events. Commands are listed target by
// target, task by task, as the plan orders them; a task that cannot run
// (an invalid target, a template that fails) appears under errors instead,
// with the plan's message, and any such error the case does not list makes
// it fail; so does an expression that fails at run time (the Engine logs
// it and the rule does not match), listed as "rule expression failed: ...".
// Only the rules named under targets and commands are compared there.
//
// Unknown keys, unknown rule names, unreadable or unparsable payloads are
// errors of the test file, reported like rule file errors with file, line
// and column (rule.Errors). Result.Untested names the enabled rules no case
// expects to match.
package ruletest
