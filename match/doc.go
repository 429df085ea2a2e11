// Package match compiles and evaluates the expressions of Alexis rules
// (expr-lang/expr over a normalized alexis.Event and its raw JSON body).
//
//	cond, err := match.CompileCondition(`has_tag("app:duplicator") && message matches "GC time"`)
//	ok, err := cond.Eval(match.Prepare(ev))
package match
