package yamlpos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// MaxNodes bounds the size of a document once its aliases are expanded
// (every use of an alias counts its node again). It keeps a small document
// full of aliases to aliases ("billion laughs") from costing unbounded
// work: Parse refuses such a document before anything walks it.
const MaxNodes = 250_000

// SyntaxError is a document that is not well-formed YAML. Line is 0 when the
// YAML parser did not say where.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse parses data as a single YAML document (JSON is YAML too) and
// returns its root node, or nil for an empty document (nothing but
// comments, a "---" or a null). A second document in the same data is an
// error.
func Parse(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &SyntaxError{Line: next.Line, Msg: "a file holds one YAML document; found a second one"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil // "---", "~" or "null" alone: nothing
	}
	if err := checkSize(root); err != nil {
		return nil, err
	}
	return root, nil
}

// checkSize refuses a document whose aliases refer to a node that contains
// them (its expansion is infinite) or whose expansion exceeds MaxNodes. It
// visits each node once, remembering the expanded size of each; a document
// without aliases (the usual case) is a plain tree, and only counted.
func checkSize(root *yaml.Node) error {
	if n, ok := treeSize(root); ok {
		if n > MaxNodes {
			return &SyntaxError{Msg: fmt.Sprintf("document too large: more than %d nodes once aliases are expanded", MaxNodes)}
		}
		return nil
	}
	const busy = -1
	sizes := map[*yaml.Node]int{}
	var cycle *yaml.Node
	var size func(n *yaml.Node) int
	size = func(n *yaml.Node) int {
		if n == nil || cycle != nil {
			return 0
		}
		target := n
		if n.Kind == yaml.AliasNode {
			target = n.Alias
		}
		switch s, ok := sizes[target]; {
		case ok && s == busy:
			cycle = n
			return 0
		case ok:
			return s
		}
		if target != n { // the alias node itself
			return 1 + size(target)
		}
		sizes[n] = busy
		total := 1
		for _, c := range n.Content {
			total = min(total+size(c), MaxNodes+1)
		}
		sizes[n] = total
		return total
	}
	total := size(root)
	switch {
	case cycle != nil:
		return &SyntaxError{Line: cycle.Line, Msg: "alias *" + cycle.Value + " refers to a node that contains it"}
	case total > MaxNodes:
		return &SyntaxError{Msg: fmt.Sprintf("document too large: more than %d nodes once aliases are expanded", MaxNodes)}
	}
	return nil
}

// treeSize counts the nodes under n, n included; ok is false when it
// meets an alias, whose expansion the count would not include.
func treeSize(n *yaml.Node) (size int, ok bool) {
	if n.Kind == yaml.AliasNode {
		return 0, false
	}
	size = 1
	for _, c := range n.Content {
		s, ok := treeSize(c)
		if !ok {
			return 0, false
		}
		size += s
	}
	return size, true
}

func syntaxError(err error) *SyntaxError {
	s := err.Error()
	if m := yamlLine.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &SyntaxError{Line: n, Msg: m[2]}
	}
	return &SyntaxError{Msg: strings.TrimPrefix(s, "yaml: ")}
}

// Decoder walks YAML nodes and reports each problem it finds through its
// report function, then carries on, so that one pass finds them all.
type Decoder struct {
	report    func(line, col int, msg string)
	visited   int
	exhausted bool
}

// NewDecoder returns a Decoder that reports problems to report. Positions
// are 1-based; msg starts with the path of the field at fault.
func NewDecoder(report func(line, col int, msg string)) *Decoder {
	return &Decoder{report: report}
}

// Errorf reports a problem at node n.
func (d *Decoder) Errorf(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	d.report(line, col, msg)
}

// Exhausted reports whether the node budget ran out; the walk then stops
// short and its result must not be used.
func (d *Decoder) Exhausted() bool { return d.exhausted }

// Resolve follows aliases to the node they stand for and counts the node
// against the budget. It returns nil when the budget is spent.
func (d *Decoder) Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 32 {
			d.Errorf(n, "", "alias chain too deep")
			return nil
		}
		n = n.Alias
	}
	if n == nil || d.exhausted {
		return nil
	}
	d.visited++
	if d.visited > 4*MaxNodes {
		d.exhausted = true
		d.Errorf(n, "", "document too large: more than %d nodes visited", 4*MaxNodes)
		return nil
	}
	return n
}

// Join appends a key to a field path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index appends a list index to a field path.
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// Describe names the YAML type of n for messages: `a string "x"`, `a list`.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string " + quote(n.Value)
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		case "!!null":
			return "nothing (null)"
		}
		return "the value " + quote(n.Value)
	}
	return "an unsupported YAML node"
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// Mapping walks the mapping n. Keys must be strings and appear once. When
// known is not nil, a key outside it is reported (with the closest known
// key as a suggestion) and skipped; every other pair goes to fn in document
// order. It reports whether n was a mapping.
func (d *Decoder) Mapping(n *yaml.Node, path string, known []string, fn func(key string, k, v *yaml.Node)) bool {
	n = d.Resolve(n)
	if n == nil {
		return false
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, path, "must be a mapping of keys to values, not %s", Describe(n))
		return false
	}
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.Resolve(n.Content[i]), n.Content[i+1]
		if k == nil {
			return true
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			if k.ShortTag() == "!!merge" {
				d.Errorf(k, path, "merge keys (<<) are not supported; use defaults: or repeat the values")
			} else {
				d.Errorf(k, path, "keys must be plain names, not %s", Describe(k))
			}
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.Errorf(k, Join(path, k.Value), "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		if known != nil && !contains(known, k.Value) {
			d.Errorf(k, path, "unknown field %s%s", strconv.Quote(k.Value), DidYouMean(k.Value, known))
			continue
		}
		fn(k.Value, k, v)
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scalar resolves n and checks that it is a non-null scalar.
func (d *Decoder) scalar(n *yaml.Node, path, want string) *yaml.Node {
	n = d.Resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.Errorf(n, path, "must be %s, not %s", want, Describe(n))
		return nil
	}
	return n
}

// String decodes a string. Numbers and booleans are refused so that
// `version: 1.10` does not silently become "1.1"; quote them.
func (d *Decoder) String(n *yaml.Node, path string) (string, bool) {
	s := d.scalar(n, path, "a string")
	if s == nil {
		return "", false
	}
	if s.ShortTag() != "!!str" {
		d.Errorf(s, path, "must be a string, not %s (quote it)", Describe(s))
		return "", false
	}
	return s.Value, true
}

// Text decodes any non-null scalar as the text it was written as, for
// fields such as expressions where `true` or `42` are fine as they stand.
func (d *Decoder) Text(n *yaml.Node, path string) (string, bool) {
	s := d.scalar(n, path, "a string")
	if s == nil {
		return "", false
	}
	return s.Value, true
}

// Bool decodes true or false.
func (d *Decoder) Bool(n *yaml.Node, path string) (bool, bool) {
	s := d.scalar(n, path, "true or false")
	if s == nil {
		return false, false
	}
	if s.ShortTag() != "!!bool" {
		d.Errorf(s, path, "must be true or false, not %s", Describe(s))
		return false, false
	}
	var b bool
	if err := s.Decode(&b); err != nil {
		d.Errorf(s, path, "must be true or false: %v", err)
		return false, false
	}
	return b, true
}

// Int decodes an integer.
func (d *Decoder) Int(n *yaml.Node, path string) (int, bool) {
	s := d.scalar(n, path, "a whole number")
	if s == nil {
		return 0, false
	}
	if s.ShortTag() != "!!int" {
		d.Errorf(s, path, "must be a whole number, not %s", Describe(s))
		return 0, false
	}
	var i int
	if err := s.Decode(&i); err != nil {
		d.Errorf(s, path, "must be a whole number that fits in %d bits, not %s", strconv.IntSize, s.Value)
		return 0, false
	}
	return i, true
}

// Duration decodes a Go duration such as 30s, 5m or 1h30m. A bare number
// is refused: its unit would be a guess.
func (d *Decoder) Duration(n *yaml.Node, path string) (time.Duration, bool) {
	s := d.scalar(n, path, "a duration")
	if s == nil {
		return 0, false
	}
	if s.ShortTag() == "!!int" || s.ShortTag() == "!!float" {
		d.Errorf(s, path, "must be a duration with a unit, such as %ss or %sm, not the bare number %s", s.Value, s.Value, s.Value)
		return 0, false
	}
	v, err := time.ParseDuration(s.Value)
	if err != nil || s.ShortTag() != "!!str" {
		d.Errorf(s, path, "must be a duration such as 30s, 5m or 1h30m, not %s", Describe(s))
		return 0, false
	}
	return v, true
}

// Strings decodes a list of strings; a single string is a list of one. It
// returns the string nodes too, for messages about single items.
func (d *Decoder) Strings(n *yaml.Node, path string) ([]string, []*yaml.Node, bool) {
	n = d.Resolve(n)
	if n == nil {
		return nil, nil, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return []string{n.Value}, []*yaml.Node{n}, true
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, path, "must be a list of strings, not %s", Describe(n))
		return nil, nil, false
	}
	out := make([]string, 0, len(n.Content))
	nodes := make([]*yaml.Node, 0, len(n.Content))
	ok := true
	for i, item := range n.Content {
		s, good := d.String(item, Index(path, i))
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
		nodes = append(nodes, d.Resolve(item))
	}
	return out, nodes, ok
}

// Sequence walks the list n, calling fn for each item. It reports whether
// n was a list.
func (d *Decoder) Sequence(n *yaml.Node, path string, fn func(i int, item *yaml.Node)) bool {
	n = d.Resolve(n)
	if n == nil {
		return false
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, path, "must be a list, not %s", Describe(n))
		return false
	}
	for i, item := range n.Content {
		if d.exhausted {
			return true
		}
		fn(i, item)
	}
	return true
}

// Value decodes any node into plain Go values: string, int, float64, bool,
// nil, []any and map[string]any, as encoding/json would produce them.
func (d *Decoder) Value(n *yaml.Node, path string) (any, bool) {
	return d.value(n, func() string { return path })
}

// value is Value with the path built only when a problem is reported:
// building it for every node of a large value costs more than the walk.
func (d *Decoder) value(n *yaml.Node, path func() string) (any, bool) {
	n = d.Resolve(n)
	if n == nil {
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content) && !d.exhausted; i += 2 {
			k := d.Resolve(n.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				d.Errorf(k, path(), "keys must be plain names, not %s", describeKey(k))
				ok = false
				continue
			}
			if _, dup := m[k.Value]; dup {
				d.Errorf(k, Join(path(), k.Value), "duplicate key")
				ok = false
				continue
			}
			x, good := d.value(n.Content[i+1], func() string { return Join(path(), k.Value) })
			ok = ok && good
			m[k.Value] = x
		}
		return m, ok
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		ok := true
		for i, item := range n.Content {
			if d.exhausted {
				return l, false
			}
			x, good := d.value(item, func() string { return Index(path(), i) })
			ok = ok && good
			l = append(l, x)
		}
		return l, ok
	case yaml.ScalarNode:
		return d.scalarValue(n, path)
	}
	d.Errorf(n, path(), "unsupported YAML node")
	return nil, false
}

func describeKey(k *yaml.Node) string {
	switch {
	case k == nil:
		return "nothing"
	case k.ShortTag() == "!!merge":
		return "a merge key (<<)"
	}
	return Describe(k)
}

func (d *Decoder) scalarValue(n *yaml.Node, path func() string) (any, bool) {
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		return n.Value, true
	case "!!null":
		return nil, true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	case "!!int":
		var i int
		if err := n.Decode(&i); err == nil {
			return i, true
		}
		d.Errorf(n, path(), "must be a whole number that fits in %d bits, not %s", strconv.IntSize, n.Value)
		return nil, false
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, true
		}
		d.Errorf(n, path(), "must be a finite number, not %s", n.Value)
		return nil, false
	}
	d.Errorf(n, path(), "unsupported YAML type %s; write a plain string, number or boolean", n.ShortTag())
	return nil, false
}

// Lookup returns the value of key in mapping n without reporting anything
// or following aliases, or nil. It serves to name a thing (a rule, a test
// case) in messages before its mapping is decoded.
func Lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Name returns the value of the string field key of mapping n, or "".
func Name(n *yaml.Node, key string) string {
	v := Lookup(n, key)
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		return ""
	}
	return v.Value
}
