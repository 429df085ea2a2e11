// Package writeback renders what Alexis writes back to a ticket after a
// remediation: the OpsGenie note and the Dynatrace comment share one
// template language and one set of data (rule, target, action, reason,
// status, exit code, duration, attempt, output tail), with secrets
// redacted and text cut to the vendor's limits.
//
// The shortest use:
//
//	d := writeback.New(report, rule, attempt)
//	t, err := writeback.Parse("note", rule.OnSuccess.Note) // "" gives DefaultNote
//	note, err := t.Render(d)
//
// Templates are Go text/template over Data, parsed as plain text: a note is
// not a shell command, so no quoting applies. Data holds the action
// templates' event fields (.ShortID, .TagValues.app, json "path", raw) plus
// the remediation's (.Rule, .Status, .Attempt, .Kind, .Reason, .ExitCode,
// .Duration, .Output, .Runs ...), so a note written for either renders.
// Rule loaders should check note and comment templates with Parse: its
// errors have package action's form ("template: NAME:LINE:BYTE: unknown
// field .X (known: ...)"), so it replaces action.ParseTemplate(..., Plain)
// there without other changes.
package writeback
