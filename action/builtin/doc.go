// Package builtin assembles the built-in action types (exec, http, ssh)
// into a registry for the rule loader and the engine. It exists apart from
// package action because action/ssh imports action.
//
// The shortest use:
//
//	reg := builtin.Registry(builtin.Config{SSH: ssh.Config{User: "alexis", KeyFile: "/etc/alexis/id_ed25519"}})
//	rs, err := rule.LoadDir("rules", reg)
//	if err := builtin.Check(reg); err != nil { ... } // unless dry-run
//
// Add your own action types with reg.Register (see action.Define).
package builtin
