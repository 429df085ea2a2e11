// Package yamlpos reads YAML documents node by node and reports every
// problem with the line and column it stands at.
//
// It is the shared machinery of package rule (rule files) and package
// ruletest (rule test files): mappings with a fixed set of keys and a "did
// you mean" for the others, typed scalars, lists, durations, and a bound on
// the work an alias-heavy document can cause.
//
// The shortest use:
//
//	root, err := yamlpos.Parse(data)
//	d := yamlpos.NewDecoder(func(line, col int, msg string) { ... })
//	d.Mapping(root, "", []string{"name"}, func(key string, k, v *yaml.Node) {
//		name, _ := d.String(v, key)
//	})
package yamlpos
