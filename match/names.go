package match

import "sort"

// EnvNames returns the names an expression may use, fields and functions,
// sorted. Package rule uses them to suggest a name for a misspelt one.
func EnvNames() []string {
	out := make([]string, 0, len(envTypes))
	for k := range envTypes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
