package action

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template/parse"

	alexis "github.com/alexis-project/alexis"
)

// quoting is the state of the text around an interpolation: which quotes
// are open, which part of a URL we are in. It advances over literal text
// and decides the escaper of each printing action. Values are comparable,
// so that the branches of {{if}} can be checked to end in the same state.
type quoting interface {
	// text advances over literal template text.
	text(s []byte) quoting
	// action returns the escaper for an interpolation here (raw: inserted
	// as it is) and the state after it, or why nothing may go here.
	action(raw bool) (esc string, next quoting, err error)
}

func initialQuoting(m Mode) quoting {
	switch m {
	case Shell:
		return shellQuoting{}
	case URL:
		return urlQuoting{}
	case JSON:
		return jsonQuoting{}
	}
	return plainQuoting{}
}

// escapeTree appends the escaper of its context to every printing action
// of tree, as html/template does, and checks that {{if}}, {{with}} and
// {{range}} leave the quoting as they found it.
func escapeTree(tree *parse.Tree, mode Mode) error {
	e := &escaper{tree: tree}
	e.list(tree.Root, initialQuoting(mode))
	return e.err
}

type escaper struct {
	tree  *parse.Tree
	err   error
	loops []quoting // quoting at the start of each enclosing {{range}}
	dry   bool      // only compute states, change nothing
	// last is the literal text right before the current node (nil after
	// a printing action), to check what a non-printing node splits.
	last []byte
}

// splitter is implemented by quoting states whose tracking needs text to
// be seen whole: split says why a node that prints nothing (a comment,
// an assignment, {{if}} ...) may not stand right after the text before.
type splitter interface {
	split(before []byte) error
}

// splitErr is the error of a non-printing node right after before, in q.
func splitErr(q quoting, before []byte) error {
	if sp, ok := q.(splitter); ok && before != nil {
		return sp.split(before)
	}
	return nil
}

// lastOf picks, of the texts that may come right before the next node,
// one that a non-printing node may not follow, if any.
func lastOf(q quoting, a, b []byte) []byte {
	if splitErr(q, a) != nil {
		return a
	}
	return b
}

func (e *escaper) fail(n parse.Node, err error) {
	if e.err != nil {
		return
	}
	loc, _ := e.tree.ErrorContext(n)
	e.err = &TemplateError{msg: "template: " + loc + ": " + err.Error(), err: err}
}

func (e *escaper) list(l *parse.ListNode, q quoting) quoting {
	if l == nil {
		return q
	}
	for _, n := range l.Nodes {
		q = e.node(n, q)
	}
	return q
}

func (e *escaper) node(n parse.Node, q quoting) quoting {
	if a, ok := n.(*parse.ActionNode); !ok || len(a.Pipe.Decl) > 0 {
		// Literal text after a comment (two text nodes) or after any
		// other node that prints nothing joins the text before it.
		if err := splitErr(q, e.last); err != nil {
			e.fail(n, err)
			return q
		}
	}
	switch n := n.(type) {
	case *parse.TextNode:
		e.last = n.Text
		return q.text(n.Text)
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			return q // an assignment prints nothing
		}
		e.last = nil
		esc, next, err := q.action(isRaw(n.Pipe))
		if err != nil {
			e.fail(n, err)
			return q
		}
		if esc != "" && !e.dry {
			args := []parse.Node{parse.NewIdentifier(esc).SetTree(nil).SetPos(n.Pos)}
			if takesData[esc] { // the root data ($) first
				args = append(args, &parse.VariableNode{NodeType: parse.NodeVariable, Pos: n.Pos, Ident: []string{"$"}})
			}
			n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
				NodeType: parse.NodeCommand,
				Pos:      n.Pos,
				Args:     args,
			})
		}
		return next
	case *parse.IfNode:
		return e.branches(n, "{{if}}", n.List, n.ElseList, q)
	case *parse.WithNode:
		return e.branches(n, "{{with}}", n.List, n.ElseList, q)
	case *parse.RangeNode:
		// The body runs again from where it ended: join the state at its
		// start with the state at its end, found by a first dry pass.
		// Its first node also follows the text it ended with.
		start := e.last
		dry := *e
		dry.dry = true
		if j, ok := join(q, dry.list(n.List, q)); ok {
			q = j
		}
		e.last = lastOf(q, dry.last, start)
		e.loops = append(e.loops, q)
		body := e.list(n.List, q)
		e.loops = e.loops[:len(e.loops)-1]
		if _, ok := join(q, body); !ok {
			e.fail(n, errors.New("the body of {{range}} must end in the quoting it starts in (close the quotes you open inside it)"))
		}
		end := e.last
		e.last = start
		q = e.branches(n, "{{range}}", nil, n.ElseList, q)
		e.last = lastOf(q, end, e.last)
		return q
	case *parse.BreakNode, *parse.ContinueNode:
		if len(e.loops) > 0 && e.loops[len(e.loops)-1] != q {
			e.fail(n, errors.New("{{break}} and {{continue}} must stand where the quoting is the same as at the start of the {{range}}"))
		}
	}
	return q
}

func (e *escaper) branches(n parse.Node, what string, a, b *parse.ListNode, q quoting) quoting {
	start := e.last
	qa := e.list(a, q)
	la := e.last
	e.last = start
	qb := e.list(b, q)
	j, ok := join(qa, qb)
	if !ok {
		e.fail(n, fmt.Errorf("the branches of %s must end in the same quoting (close the quotes you open inside them)", what))
	}
	e.last = lastOf(j, la, e.last)
	return j
}

// merger is implemented by quoting states that can join two states
// differing only in a detail that does not affect safety by itself; merge
// returns nil when they cannot be joined.
type merger interface {
	merge(other quoting) quoting
}

// join returns the state that stands for both a and b, if there is one.
func join(a, b quoting) (quoting, bool) {
	if a == b {
		return a, true
	}
	ma, oka := a.(merger)
	mb, okb := b.(merger)
	if !oka || !okb {
		return a, false
	}
	j := ma.merge(b)
	return j, j == mb.merge(a)
}

// isRaw reports whether a pipeline's last command is a call of raw.
func isRaw(p *parse.PipeNode) bool {
	if len(p.Cmds) == 0 {
		return false
	}
	last := p.Cmds[len(p.Cmds)-1]
	id, ok := last.Args[0].(*parse.IdentifierNode)
	return ok && id.Ident == "raw"
}

// plainQuoting escapes nothing.
type plainQuoting struct{}

func (q plainQuoting) text([]byte) quoting { return q }
func (q plainQuoting) action(raw bool) (string, quoting, error) {
	if raw {
		return "", q, nil
	}
	return escPlain, q, nil
}

// urlQuoting follows the parts of a URL through the literal text.
type urlQuoting struct {
	// part is 0 before the authority (scheme), 'a' in the authority after
	// "://", 'p' in the path, 'q' in the query, 'f' in the fragment.
	part byte
}

func (q urlQuoting) text(s []byte) quoting {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q.part == 0 && c == ':' && bytes.HasPrefix(s[i+1:], []byte("//")):
			q.part = 'a'
			i += 2
		case c == '#':
			q.part = 'f'
		case c == '?' && q.part != 'f':
			q.part = 'q'
		case c == '/' && (q.part == 0 || q.part == 'a'):
			q.part = 'p'
		}
	}
	return q
}

func (q urlQuoting) action(raw bool) (string, quoting, error) {
	if raw {
		return "", q, nil
	}
	switch q.part {
	case 0:
		return "", q, errors.New("the scheme and host of a URL must be written out (https://host/...); interpolate only the host, path, query or fragment, or use raw")
	case 'a':
		return escURLHost, q, nil
	case 'p':
		return escURLPath, q, nil
	}
	return escURLQuery, q, nil
}

// jsonQuoting follows JSON string literals through the literal text.
type jsonQuoting struct {
	inString bool
	pend     bool // a backslash inside a string awaits its escaped character
}

func (q jsonQuoting) text(s []byte) quoting {
	for _, c := range s {
		switch {
		case q.pend:
			q.pend = false
		case !q.inString:
			q.inString = c == '"'
		case c == '\\':
			q.pend = true
		case c == '"':
			q.inString = false
		}
	}
	return q
}

func (q jsonQuoting) action(raw bool) (string, quoting, error) {
	switch {
	case raw:
		return "", q, nil
	case q.pend:
		return "", q, errors.New("an interpolation may not follow a backslash in a JSON string")
	case q.inString:
		return escJSONString, q, nil
	}
	return escJSON, q, nil
}

// The escapers.

var errNUL = errors.New("the value contains a NUL byte, which a shell command cannot carry")

// ShellQuote returns s as one POSIX shell word: in single quotes, each
// single quote written as '\”. The empty string gives ”. It is what
// Shell mode does to every interpolation outside quotes. s must not
// contain a NUL byte (no shell command can).
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// notOption refuses a value that would be read as an option, then quotes
// it with quote.
func notOption(s string, quote func(string) (string, error)) (string, error) {
	if strings.HasPrefix(s, "-") {
		return "", errOption(s)
	}
	return quote(s)
}

// takesData names the escapers that take the root data ($) first: they
// note in it whether a shell word came out empty so far.
var takesData = map[string]bool{
	escShellArg: true, escShellSingleArg: true, escShellDoubleArg: true,
	escShellCont: true, escShellSingleCont: true, escShellDoubleCont: true,
}

// shellArg quotes s, which starts a shell argument, with quote: it is
// refused if it would be read as an option. It notes whether the word
// is still empty, for the values right after it (shellCont).
func shellArg(d *data, s string, quote func(string) (string, error)) (string, error) {
	d.wordEmpty = s == ""
	return notOption(s, quote)
}

// shellCont quotes s, which follows only values (and empty quotes) in its
// shell word, with quote: if those all came out empty, s starts the
// argument and is checked as shellArg does.
func shellCont(d *data, s string, quote func(string) (string, error)) (string, error) {
	if d.wordEmpty {
		return shellArg(d, s, quote)
	}
	return quote(s)
}

// errOption says why value s may not start an argument.
func errOption(s string) error {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Errorf("the value %q starts an argument with \"-\" and would be read as an option; write -- before it in the command, or text before it (./{{ ... }})", s)
}

func shellWord(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", errNUL
	}
	return ShellQuote(s), nil
}

func shellInSingle(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", errNUL
	}
	return strings.ReplaceAll(s, "'", `'\''`), nil
}

var doubleQuoted = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")

func shellInDouble(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", errNUL
	}
	return doubleQuoted.Replace(s), nil
}

func urlHost(s string) (string, error) {
	if err := alexis.ValidTarget(s); err != nil {
		return "", fmt.Errorf("URL host: %w", err)
	}
	return s, nil
}

func urlPath(s string) (string, error) {
	if s == "." || s == ".." {
		return "", fmt.Errorf("URL path segment %q is refused (it would change the path)", s)
	}
	return url.PathEscape(s), nil
}

func urlQuery(s string) string { return url.QueryEscape(s) }

// jsonValue encodes v as a JSON value: strings (and everything text formats)
// as a JSON string, lists and maps as JSON arrays and objects.
func jsonValue(v any) (string, error) {
	switch v.(type) {
	case []string, map[string]string, []alexis.Entity:
	default:
		v = text(v)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func jsonInString(s string) string {
	v, _ := jsonValue(s)
	return v[1 : len(v)-1]
}
