// Package source turns a webhook body into Alexis events, whatever tool
// sent it. It dispatches to packages opsgenie, dynatrace and alertmanager,
// and reads the "generic" source, Alexis' own event JSON, for any other
// tool:
//
//	evs, err := source.Parse(alexis.SourceDynatrace, body)
//
// Parser carries options (opsgenie.WithSelf); Names lists the sources;
// Detect guesses a payload file's source for command-line tools.
package source
