package match

import (
	"maps"
	"slices"

	"github.com/alexis-project/alexis"
	"github.com/expr-lang/expr/ast"
)

// equalFields are the normalized fields whose literal equality is a
// requirement; each reads the Event field of the same name.
var equalFields = map[string]bool{
	"source": true, "id": true, "short_id": true, "alias": true,
	"action": true, "message": true, "description": true, "priority": true,
}

// requirements finds conditions necessary for the expression n to be true.
// Only the top-level conjunction is read: each operand of && at the top is
// necessary. Of those, these are recognised:
//
//	has_tag("t")            (and all_tags(...), "t" in tags, rewritten to it)
//	field == "v", "v" == field    for the fields in equalFields
//	tag("k") == "v", tag_values.k == "v", tag_values["k"] == "v"
//
// Nothing under ||, !, a ternary, a predicate or a function argument counts,
// and empty literals are ignored. The environment's names cannot be
// redeclared with let (checkLets), so an identifier at the top level always
// means the event's field. The result is sound: when the expression is
// true, every requirement holds.
func requirements(n ast.Node) alexis.Requirements {
	var r alexis.Requirements
	conjuncts(n, &r)
	return r
}

func conjuncts(n ast.Node, r *alexis.Requirements) {
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and":
			conjuncts(n.Left, r)
			conjuncts(n.Right, r)
		case "==":
			if !equality(n.Left, n.Right, r) {
				equality(n.Right, n.Left, r)
			}
		}
	case *ast.CallNode:
		if t, ok := hasTagLiteral(n); ok && !slices.Contains(r.Tags, t) {
			r.Tags = append(r.Tags, t)
		}
	case *ast.VariableDeclaratorNode:
		conjuncts(n.Expr, r)
	case *ast.SequenceNode:
		if len(n.Nodes) > 0 {
			conjuncts(n.Nodes[len(n.Nodes)-1], r)
		}
	}
}

// hasTagLiteral recognises has_tag("t") with a non-empty literal.
func hasTagLiteral(c *ast.CallNode) (string, bool) {
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok || id.Value != "has_tag" || len(c.Arguments) != 1 {
		return "", false
	}
	s, ok := c.Arguments[0].(*ast.StringNode)
	if !ok || s.Value == "" {
		return "", false
	}
	return s.Value, true
}

// equality records a requirement for `a == lit` and reports whether it did.
func equality(a, lit ast.Node, r *alexis.Requirements) bool {
	s, ok := lit.(*ast.StringNode)
	if !ok || s.Value == "" {
		return false
	}
	switch a := a.(type) {
	case *ast.IdentifierNode:
		if equalFields[a.Value] {
			r.Equals = setOnce(r.Equals, a.Value, s.Value)
			return true
		}
	case *ast.CallNode:
		id, ok := a.Callee.(*ast.IdentifierNode)
		if ok && id.Value == "tag" && len(a.Arguments) == 1 {
			if k, ok := a.Arguments[0].(*ast.StringNode); ok {
				r.TagValues = setOnce(r.TagValues, k.Value, s.Value)
				return true
			}
		}
	case *ast.MemberNode:
		id, ok := a.Node.(*ast.IdentifierNode)
		k, isLit := a.Property.(*ast.StringNode)
		if ok && isLit && !a.Optional && id.Value == "tag_values" {
			r.TagValues = setOnce(r.TagValues, k.Value, s.Value)
			return true
		}
	}
	return false
}

// setOnce keeps the first requirement on a key: two different literals
// for one field are both necessary, so either one is a sound requirement.
func setOnce(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = make(map[string]string)
	}
	if _, ok := m[k]; !ok {
		m[k] = v
	}
	return m
}

// cloneRequirements returns a deep copy, so callers cannot change a
// compiled Condition.
func cloneRequirements(r alexis.Requirements) alexis.Requirements {
	return alexis.Requirements{Tags: slices.Clone(r.Tags), Equals: maps.Clone(r.Equals), TagValues: maps.Clone(r.TagValues)}
}
