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
//	reg := builtin.Registry(builtin.Config{})  // package action/builtin
//	rs, err := rule.LoadDir("rules", reg)     // package rule
//	eng, err := alexis.New(rs, alexis.WithDryRun(true))
//	evs, err := source.Parse(alexis.SourceOpsGenie, body) // package source
//	plan := eng.Plan(evs[0])                  // what would run; runs nothing
//	report, err := eng.Handle(ctx, evs[0])    // run it
//
// This package holds the vocabulary and the Engine only; it imports no
// HTTP framework, SSH or SQL.
package alexis
