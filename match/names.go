package match

import (
	"slices"

	"github.com/expr-lang/expr/builtin"
)

// EnvNames returns, sorted, every name an expression can use: the event's
// fields, the helpers and expr's builtin functions (those not disabled).
// Rule loaders use it to suggest a name after an "unknown name" error.
func EnvNames() []string {
	names := make([]string, 0, len(envTypes)+len(builtin.Names))
	for name := range envTypes {
		names = append(names, name)
	}
	for _, name := range builtin.Names {
		if !slices.Contains(disabledBuiltins, name) && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
