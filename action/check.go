package action

import (
	"fmt"
	"reflect"
	"strings"
	"text/template/parse"
)

// checker walks a parsed template once: it checks every field reference
// against the type dot has at that point, refuses unknown and internal
// functions, and rewrites each json call to take the root data ($) first.
type checker struct {
	tree *parse.Tree
	err  error
}

func (c *checker) fail(n parse.Node, format string, args ...any) {
	if c.err != nil {
		return
	}
	loc, _ := c.tree.ErrorContext(n)
	c.err = &TemplateError{msg: "template: " + loc + ": " + fmt.Sprintf(format, args...)}
}

func (c *checker) list(l *parse.ListNode, dot reflect.Type) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, dot)
	}
}

func (c *checker) node(n parse.Node, dot reflect.Type) {
	switch n := n.(type) {
	case *parse.ActionNode:
		c.pipe(n.Pipe, dot)
	case *parse.IfNode:
		c.pipe(n.Pipe, dot)
		c.list(n.List, dot)
		c.list(n.ElseList, dot)
	case *parse.WithNode:
		c.pipe(n.Pipe, dot)
		c.list(n.List, c.pipeType(n.Pipe, dot))
		c.list(n.ElseList, dot)
	case *parse.RangeNode:
		c.pipe(n.Pipe, dot)
		c.list(n.List, elemType(c.pipeType(n.Pipe, dot)))
		c.list(n.ElseList, dot)
	case *parse.TemplateNode:
		c.fail(n, "{{template}} is not supported")
	}
}

func (c *checker) pipe(p *parse.PipeNode, dot reflect.Type) {
	if p == nil {
		return
	}
	for i, cmd := range p.Cmds {
		// A command after the first also gets the previous one's value.
		piped := 0
		if i > 0 {
			piped = 1
		}
		if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "json" || id.Ident == "raw") {
			if len(cmd.Args)-1+piped != 1 {
				c.fail(id, "%s takes one argument, not %d", id.Ident, len(cmd.Args)-1+piped)
				return
			}
			if id.Ident == "json" {
				root := &parse.VariableNode{NodeType: parse.NodeVariable, Pos: id.Pos, Ident: []string{"$"}}
				cmd.Args = append([]parse.Node{id, root}, cmd.Args[1:]...)
			}
		}
		for _, a := range cmd.Args {
			c.arg(a, dot)
		}
	}
}

func (c *checker) arg(a parse.Node, dot reflect.Type) {
	switch a := a.(type) {
	case *parse.FieldNode:
		c.fields(a, dot, a.Ident)
	case *parse.VariableNode:
		if a.Ident[0] == "$" && len(a.Ident) > 1 {
			c.fields(a, reflect.PointerTo(dataType), a.Ident[1:])
		}
	case *parse.ChainNode:
		if p, ok := a.Node.(*parse.PipeNode); ok {
			c.pipe(p, dot)
		}
	case *parse.PipeNode:
		c.pipe(a, dot)
	case *parse.IdentifierNode:
		if strings.HasPrefix(a.Ident, "_") {
			c.fail(a, "function %q not defined", a.Ident)
		}
	}
}

// fields checks the field chain idents starting from t and returns the
// resulting type (nil when unknown).
func (c *checker) fields(n parse.Node, t reflect.Type, idents []string) reflect.Type {
	for _, id := range idents {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == nil {
			return nil
		}
		switch t.Kind() {
		case reflect.Struct:
			f, ok := t.FieldByName(id)
			if !ok || !f.IsExported() {
				c.fail(n, "unknown field .%s (known: %s)", id, knownFields(t))
				return nil
			}
			t = f.Type
		case reflect.Map:
			if t.Key().Kind() != reflect.String {
				return nil
			}
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			c.fail(n, "cannot read field .%s of a %s value", id, kindName(t))
			return nil
		}
	}
	return t
}

// pipeType is the type a pipeline yields, when it is a plain field
// reference or dot; nil (unknown) otherwise.
func (c *checker) pipeType(p *parse.PipeNode, dot reflect.Type) reflect.Type {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return nil
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		e := c.err
		t := c.fields(a, dot, a.Ident)
		c.err = e
		return t
	case *parse.VariableNode:
		if a.Ident[0] == "$" {
			e := c.err
			t := c.fields(a, reflect.PointerTo(dataType), a.Ident[1:])
			c.err = e
			return t
		}
	}
	return nil
}

func elemType(t reflect.Type) reflect.Type {
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return t.Elem()
	}
	return nil
}

func knownFields(t reflect.Type) string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() {
			names = append(names, "."+f.Name)
		}
	}
	return strings.Join(names, " ")
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.String:
		return "string"
	}
	return t.Kind().String()
}
