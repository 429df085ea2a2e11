// Package e2e holds Alexis' end-to-end tests: a webhook body parsed by
// package opsgenie or dynatrace, matched against rules loaded by package
// rule, acted on over real SSH (an in-process server from
// internal/sshtest, reached by action/ssh), and written back to fake
// OpsGenie and Dynatrace APIs (internal/fakeopsgenie, internal/fakedynatrace)
// by the opsgenie and dynatrace Notifiers. It has no non-test code.
//
//	go test ./internal/e2e/
package e2e
