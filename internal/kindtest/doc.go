// Package kindtest has small action types for the tests of packages rule
// and ruletest, so that they need none of the real ones (ssh, exec, http).
// Their templates are the real ones of package action.
//
//	reg := kindtest.Registry() // "remote" (needs a target), "ssh" (the same), "call"
package kindtest
