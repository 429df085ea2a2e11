package match

import (
	"errors"
	"fmt"
	"reflect"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/alexis-project/alexis"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// MaxNodes bounds the size of one expression (its syntax tree nodes).
const MaxNodes = 2000

// Error is an error in an expression, found when it compiled or when it
// ran. Line and Column are 1-based and count within the expression text;
// Column counts characters, not bytes.
type Error struct {
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg) }

// Condition is a compiled boolean expression: a rule's `when`. It
// implements alexis.Condition. It is immutable and safe for concurrent use.
type Condition struct {
	src  string
	prog *vm.Program
	req  alexis.Requirements
}

// CompileCondition compiles a boolean expression. Unknown names and
// functions, wrong argument types, a result that is not a boolean, an
// invalid or non-constant regular expression are all errors here, never
// when an event arrives. Errors are *Error.
func CompileCondition(src string) (*Condition, error) {
	prog, req, err := compile(src, reflect.Bool)
	if err != nil {
		return nil, err
	}
	return &Condition{src: src, prog: prog, req: req}, nil
}

// Eval evaluates the condition on a Scope made by Prepare. A missing field
// reads as "" (or an empty list), so it makes a comparison false, not an
// error. An error (*Error) means the expression failed at run time, for
// example by indexing past the end of a list.
func (c *Condition) Eval(sc alexis.Scope) (bool, error) {
	out, err := run(c.prog, c.src, sc)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("condition yielded %T, not a boolean", out)}
	}
	return b, nil
}

// Requirements returns conditions that are necessary for the expression to
// be true, for the engine's index (see alexis.Requirements). Only literal
// tests joined by && at the top level count.
func (c *Condition) Requirements() alexis.Requirements { return cloneRequirements(c.req) }

// String returns the expression's source text.
func (c *Condition) String() string { return c.src }

// Targets is a compiled expression that yields the hosts a rule acts on
// (a rule's `targets_from`). It implements alexis.TargetSelector. It is
// immutable and safe for concurrent use.
type Targets struct {
	src  string
	prog *vm.Program
}

// CompileTargets compiles an expression that yields a string or a list of
// strings: `details.host`, `[details.primary, details.standby]`,
// `split(details.hosts, ",")`, `map(filter(entities, .type == "HOST"), .name)`.
// A type that can never be a host (a number, a boolean, a map) is an error
// here. Errors are *Error.
func CompileTargets(src string) (*Targets, error) {
	prog, _, err := compile(src, reflect.Invalid)
	if err != nil {
		return nil, err
	}
	return &Targets{src: src, prog: prog}, nil
}

// Select evaluates the expression and returns its hosts: each string with
// surrounding white space removed, empty strings dropped, duplicates
// dropped, in the order the expression gave them. The result is never nil.
// A list element that is not a string is an error; a nil element is skipped.
func (t *Targets) Select(sc alexis.Scope) ([]string, error) {
	out, err := run(t.prog, t.src, sc)
	if err != nil {
		return nil, err
	}
	list := []string{}
	switch v := out.(type) {
	case nil:
	case string:
		list = addTarget(list, v)
	case []string:
		for _, s := range v {
			list = addTarget(list, s)
		}
	case []any:
		for i, x := range v {
			switch x := x.(type) {
			case nil:
			case string:
				list = addTarget(list, x)
			default:
				return nil, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("element %d of the targets is %T, not a string", i, x)}
			}
		}
	default:
		return nil, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("targets expression yielded %T, not a string or a list of strings", out)}
	}
	return list, nil
}

// String returns the expression's source text.
func (t *Targets) String() string { return t.src }

func addTarget(list []string, s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

var errNoScope = errors.New("match: the scope was not made by match.Prepare")

// MemoryBudget bounds what one evaluation may build (list elements, string
// lengths of repeat-like builtins), so that no expression can exhaust
// memory or loop for long however large the alert is.
const MemoryBudget = 100000

// disabledBuiltins are expr builtins that rules cannot use: repeat can
// allocate far more than the memory budget before the VM checks it.
var disabledBuiltins = []string{"repeat"}

var vms = sync.Pool{New: func() any { return &vm.VM{MemoryBudget: MemoryBudget} }}

// run executes a program on a prepared scope with a pooled VM, so that an
// evaluation allocates nothing of its own.
func run(prog *vm.Program, src string, sc alexis.Scope) (any, error) {
	s, ok := sc.(*scope)
	if !ok || s == nil {
		return nil, errNoScope
	}
	m := vms.Get().(*vm.VM)
	out, err := m.Run(prog, s.env)
	vms.Put(m)
	if err != nil {
		return nil, toError(err, src)
	}
	return out, nil
}

// configs holds expr configurations with the environment's types: making
// one costs more than compiling a small expression. A configuration is
// only read while compiling, apart from its type cache, so it can serve
// one compilation after another.
var configs = sync.Pool{New: func() any {
	cfg := conf.CreateNew()
	cfg.WithEnv(envTypes)
	cfg.MaxNodes = MaxNodes
	for _, name := range disabledBuiltins {
		delete(cfg.Builtins, name)
		cfg.Disabled[name] = true
	}
	return cfg
}}

// compile parses, checks, rewrites, optimises and compiles src. want is
// reflect.Bool for conditions and reflect.Invalid for targets.
func compile(src string, want reflect.Kind) (*vm.Program, alexis.Requirements, error) {
	var req alexis.Requirements
	if strings.TrimSpace(src) == "" {
		return nil, req, &Error{Line: 1, Column: 1, Msg: "empty expression"}
	}
	cfg := configs.Get().(*conf.Config)
	defer configs.Put(cfg)
	cfg.Expect = reflect.Invalid
	if want == reflect.Bool {
		cfg.Expect = reflect.Bool
	}
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return nil, req, toError(err, src)
	}
	if err := checkLets(tree); err != nil {
		return nil, req, toError(err, src)
	}
	typ, err := checker.Check(tree, cfg)
	if err != nil {
		return nil, req, toError(err, src)
	}
	if err := checkStringArgs(tree.Node); err != nil {
		return nil, req, toError(err, src)
	}
	if want != reflect.Bool {
		if err := checkTargetsType(typ); err != nil {
			return nil, req, toError(err, src)
		}
	}
	rw := &rewriter{}
	ast.Walk(&tree.Node, rw)
	if rw.changed {
		if _, err := checker.Check(tree, cfg); err != nil {
			return nil, req, toError(err, src)
		}
	}
	// The requirements are read from the tree as written (after the
	// rewrite, before the optimiser reshapes it in place).
	if want == reflect.Bool {
		req = requirements(tree.Node)
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		return nil, req, toError(err, src)
	}
	if err := checkConstants(tree.Node); err != nil {
		return nil, req, toError(err, src)
	}
	prog, err := compiler.Compile(tree, cfg)
	if err != nil {
		return nil, req, toError(err, src)
	}
	return prog, req, nil
}

var (
	stringType = reflect.TypeOf("")
	anyType    = reflect.TypeOf((*any)(nil)).Elem()
)

func checkTargetsType(t reflect.Type) error {
	switch {
	case t == nil, t == stringType, t == anyType:
		return nil
	case t.Kind() == reflect.Slice && (t.Elem() == stringType || t.Elem() == anyType):
		return nil
	}
	return fmt.Errorf("targets must be a string or a list of strings, not %s", t)
}

// stringArgFuncs take one string argument. They are declared to expr as
// func(any) any, a signature its VM calls without reflection or
// allocation, so their argument type is checked here.
var stringArgFuncs = map[string]bool{"tag": true, "json": true, "json_list": true}

func checkStringArgs(n ast.Node) error {
	var err error
	ast.Find(n, func(n ast.Node) bool {
		c, ok := n.(*ast.CallNode)
		if !ok || err != nil {
			return false
		}
		id, ok := c.Callee.(*ast.IdentifierNode)
		if !ok || !stringArgFuncs[id.Value] || len(c.Arguments) != 1 {
			return false
		}
		if t := c.Arguments[0].Type(); t != stringType && t != anyType {
			err = &file.Error{Location: c.Arguments[0].Location(),
				Message: fmt.Sprintf("cannot use %s as argument (type string) to call %s", t, id.Value)}
		}
		return false
	})
	return err
}

// checkLets refuses `let` declarations of the environment's names (the
// requirement analysis and the rewriter rely on them meaning the event)
// and $env (which would reach the helpers around these checks).
func checkLets(tree *parser.Tree) error {
	var err error
	ast.Find(tree.Node, func(n ast.Node) bool {
		if err != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.VariableDeclaratorNode:
			if reserved(n.Name) {
				err = &file.Error{Location: n.Location(), Message: fmt.Sprintf("cannot redeclare %q with let", n.Name)}
			}
		case *ast.IdentifierNode:
			if n.Value == "$env" {
				err = &file.Error{Location: n.Location(), Message: "$env is not available: use the names directly"}
			}
		}
		return false
	})
	return err
}

// checkConstants refuses a `matches` pattern or a json / json_list path
// that is not a constant string. Patterns are compiled once, when the rule
// loads, and neither a pattern nor a path ever comes from alert text,
// which an attacker controls.
func checkConstants(n ast.Node) error {
	var err error
	ast.Find(n, func(n ast.Node) bool {
		if err != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.BinaryNode:
			if _, isConst := n.Right.(*ast.StringNode); n.Operator == "matches" && !isConst {
				err = &file.Error{Location: n.Location(), Message: "the pattern of matches must be a constant string"}
			}
		case *ast.CallNode:
			id, ok := n.Callee.(*ast.IdentifierNode)
			if ok && (id.Value == "json" || id.Value == "json_list") && len(n.Arguments) == 1 {
				if _, isConst := n.Arguments[0].(*ast.StringNode); !isConst {
					err = &file.Error{Location: n.Arguments[0].Location(), Message: "the path of " + id.Value + " must be a constant string"}
				}
			}
		}
		return false
	})
	return err
}

// toError converts expr's errors into *Error with 1-based positions in src.
func toError(err error, src string) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		b := *fe
		b.Bind(file.NewSource(src))
		return &Error{Line: b.Line, Column: b.Column + 1, Msg: b.Message}
	}
	msg := err.Error()
	if msg == "expected bool, but got interface {}" {
		msg = "expected bool, but got a value of any type (json, json_list and tag give strings: compare them, as in json(\"a.b\") == \"x\")"
	}
	return &Error{Line: 1, Column: 1, Msg: msg}
}

// rewriter turns all_tags(a, b) into has_tag(a) && has_tag(b), any_tag(a,
// b) into has_tag(a) || has_tag(b), and "lit" in tags into has_tag("lit"):
// the same meaning, evaluated without reflection or allocation. The
// functions stay in the environment, so calls the rewriter does not see
// (through $env) still work.
type rewriter struct{ changed bool }

func (rw *rewriter) Visit(node *ast.Node) {
	before := *node
	defer func() { rw.changed = rw.changed || *node != before }()
	switch n := (*node).(type) {
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		switch id.Value {
		case "all_tags":
			ast.Patch(node, tagChain("&&", n.Arguments, true, id.Location()))
		case "any_tag":
			ast.Patch(node, tagChain("||", n.Arguments, false, id.Location()))
		}
	case *ast.BinaryNode:
		lit, isLit := n.Left.(*ast.StringNode)
		id, isID := n.Right.(*ast.IdentifierNode)
		if n.Operator == "in" && isLit && isID && id.Value == "tags" {
			ast.Patch(node, hasTagCall(lit, id.Location()))
		}
		if n.Operator == "matches" && n.Left.Type() == stringType {
			if pat, ok := n.Right.(*ast.StringNode); ok {
				if sub, ok := foldLiteral(pat.Value); ok {
					callee := &ast.IdentifierNode{Value: "icontains"}
					callee.SetLocation(n.Location())
					arg := &ast.StringNode{Value: sub}
					arg.SetLocation(pat.Location())
					ast.Patch(node, &ast.CallNode{Callee: callee, Arguments: []ast.Node{n.Left, arg}})
				}
			}
		}
	}
}

// foldLiteral recognises a pattern that is a case-insensitive literal and
// nothing else, like "(?i)out of memory": Go's regexp matches it slowly,
// and icontains gives the same answer (both use simple case folding).
func foldLiteral(pattern string) (string, bool) {
	if !strings.Contains(pattern, "(?") {
		return "", false // no flags, so not case-insensitive: spare the parse
	}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	re = re.Simplify()
	if re.Op != syntax.OpLiteral || re.Flags&syntax.FoldCase == 0 {
		return "", false
	}
	return string(re.Rune), true
}

func tagChain(op string, args []ast.Node, empty bool, loc file.Location) ast.Node {
	if len(args) == 0 {
		b := &ast.BoolNode{Value: empty}
		b.SetLocation(loc)
		return b
	}
	var out ast.Node = hasTagCall(args[0], loc)
	for _, a := range args[1:] {
		b := &ast.BinaryNode{Operator: op, Left: out, Right: hasTagCall(a, a.Location())}
		b.SetLocation(a.Location())
		out = b
	}
	return out
}

func hasTagCall(arg ast.Node, loc file.Location) ast.Node {
	callee := &ast.IdentifierNode{Value: "has_tag"}
	callee.SetLocation(loc)
	c := &ast.CallNode{Callee: callee, Arguments: []ast.Node{arg}}
	c.SetLocation(loc)
	return c
}
