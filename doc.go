// Package alexis turns monitoring alerts into rehearsed, automatic
// remediation.
//
// An alert arrives as an Event (packages opsgenie, dynatrace and
// alertmanager parse the webhooks). An Engine matches it against a RuleSet
// (package rule loads rule files; package match compiles their
// expressions), runs the tasks of every matching rule on the targets the
// rule resolved (package action holds the ssh, exec and http actions), and
// hands a Report to Notifiers that write the outcome back to the ticket.
//
// The shortest use:
//
//	reg := action.Registry()
//	rs, err := rule.LoadDir("rules", reg)
//	eng, err := alexis.New(rs, alexis.WithDryRun(true))
//	plan := eng.Plan(ev)
//
// This package holds the vocabulary and the Engine only; it imports no
// HTTP framework, SSH or SQL.
package alexis
