package match

import "slices"

// EnvNames returns, sorted, the names of the event's fields and of the
// helpers (has_tag, json, ...) that expressions can use; expr's builtin
// functions (len, lower, split, ...) are not listed. Rule loaders use it to
// suggest a name after an "unknown name" error.
func EnvNames() []string {
	names := make([]string, 0, len(envTypes))
	for name := range envTypes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
