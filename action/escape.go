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
	switch n := n.(type) {
	case *parse.TextNode:
		return q.text(n.Text)
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			return q // an assignment prints nothing
		}
		esc, next, err := q.action(isRaw(n.Pipe))
		if err != nil {
			e.fail(n, err)
			return q
		}
		if esc != "" && !e.dry {
			n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
				NodeType: parse.NodeCommand,
				Pos:      n.Pos,
				Args:     []parse.Node{parse.NewIdentifier(esc).SetTree(nil).SetPos(n.Pos)},
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
		dry := *e
		dry.dry = true
		if j, ok := join(q, dry.list(n.List, q)); ok {
			q = j
		}
		e.loops = append(e.loops, q)
		body := e.list(n.List, q)
		e.loops = e.loops[:len(e.loops)-1]
		if _, ok := join(q, body); !ok {
			e.fail(n, errors.New("the body of {{range}} must end in the quoting it starts in (close the quotes you open inside it)"))
		}
		return e.branches(n, "{{range}}", nil, n.ElseList, q)
	case *parse.BreakNode, *parse.ContinueNode:
		if len(e.loops) > 0 && e.loops[len(e.loops)-1] != q {
			e.fail(n, errors.New("{{break}} and {{continue}} must stand where the quoting is the same as at the start of the {{range}}"))
		}
	}
	return q
}

func (e *escaper) branches(n parse.Node, what string, a, b *parse.ListNode, q quoting) quoting {
	qa, ok := join(e.list(a, q), e.list(b, q))
	if !ok {
		e.fail(n, fmt.Errorf("the branches of %s must end in the same quoting (close the quotes you open inside them)", what))
	}
	return qa
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

func (q plainQuoting) text([]byte) quoting                  { return q }
func (q plainQuoting) action(bool) (string, quoting, error) { return "", q, nil }

// shellQuoting follows POSIX shell quoting through the literal text.
type shellQuoting struct {
	// stack of open constructs, innermost last: 's' '...', 'd' "...",
	// 'b' `...`, 'p' (...) or $(...), 'v' ${...}, 'c' a # comment, 'h' a
	// here-document (never left). Empty means unquoted at top level.
	stack string
	// pend is '\\' or '$' when the text so far ends in an unconsumed
	// backslash or dollar sign.
	pend byte
	// word is wordYes inside a word, where '#' does not start a comment,
	// wordNo between words, wordUnknown after branches that disagree.
	word byte
	// bad says why nothing may be interpolated from here on ('#' after
	// branches that disagree on whether it starts a comment).
	bad string
}

const (
	wordNo byte = iota
	wordYes
	wordUnknown
)

// merge joins states that differ only in whether a word is open.
func (q shellQuoting) merge(o quoting) quoting {
	p, ok := o.(shellQuoting)
	if !ok || p.stack != q.stack || p.pend != q.pend || p.bad != q.bad {
		return q
	}
	if p.word != q.word {
		q.word = wordUnknown
	}
	return q
}

func (q shellQuoting) top() byte {
	if q.stack == "" {
		return 'u'
	}
	return q.stack[len(q.stack)-1]
}

func (q shellQuoting) push(c byte) shellQuoting { q.stack += string(c); return q }
func (q shellQuoting) pop() shellQuoting {
	if q.stack != "" {
		q.stack = q.stack[:len(q.stack)-1]
	}
	return q
}

func (q shellQuoting) text(s []byte) quoting {
	for i := 0; i < len(s); i++ {
		c := s[i]
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		if q.pend == '\\' {
			q.pend, q.word = 0, wordYes
			continue
		}
		q.pend = 0
		switch q.top() {
		case 'h':
			return q
		case 'c':
			if c == '\n' {
				q, q.word = q.pop(), wordNo
			}
		case 's':
			if c == '\'' {
				q = q.pop()
			}
		case 'b':
			switch c {
			case '\\':
				q.pend = '\\'
			case '`':
				q = q.pop()
			}
		case 'v':
			switch c {
			case '\\':
				q.pend = '\\'
			case '}':
				q = q.pop()
			case '$':
				if next == '{' {
					q = q.push('v')
					i++
				} else if next == '(' {
					q.bad = errParamQuotes
				}
			case '\'', '"', '`':
				// Shells disagree on quotes inside ${...}: where it ends
				// cannot be told for sure.
				q.bad = errParamQuotes
			}
		case 'd':
			switch c {
			case '\\':
				q.pend = '\\'
			case '"':
				q = q.pop()
			case '`':
				q = q.push('b')
			case '$':
				if next == '{' {
					q = q.push('v')
					i++
				} else if next == '(' {
					q, q.word = q.push('p'), wordNo
					i++
				} else if next == 0 {
					q.pend = '$'
				}
			}
		default: // 'u', 'p': unquoted
			switch c {
			case '\\':
				q.pend, q.word = '\\', wordYes
			case '\'':
				q, q.word = q.push('s'), wordYes
			case '"':
				q, q.word = q.push('d'), wordYes
			case '`':
				q, q.word = q.push('b'), wordYes
			case '#':
				switch q.word {
				case wordNo:
					q = q.push('c')
				case wordUnknown:
					q.bad = "the branches before this '#' disagree on whether it starts a comment; put a space or a quote between them"
				}
				q.word = wordYes
			case '$':
				if next == '{' {
					q, q.word = q.push('v'), wordYes
					i++
				} else if next == '(' {
					q, q.word = q.push('p'), wordNo
					i++
				} else {
					q.word = wordYes
					if next == 0 {
						q.pend = '$'
					}
				}
			case '(':
				q, q.word = q.push('p'), wordNo
			case ')':
				if q.top() == 'p' {
					q = q.pop()
				}
				q.word = wordYes
			case '<':
				if next == '<' {
					if i+2 < len(s) && s[i+2] == '<' { // <<< here-string: a word follows
						i += 2
					} else {
						q = q.push('h')
					}
				}
				q.word = wordNo
			case ' ', '\t', '\n', ';', '&', '|', '>':
				q.word = wordNo
			default:
				if q.word == wordNo && c == 'c' && isCase(s[i:]) && strings.IndexByte(q.stack, 'p') >= 0 {
					// A case pattern's ")" would look like the end of the
					// $( or ( it stands in, and the quoting after it would
					// be misjudged.
					q.bad = "an interpolation may not follow a case statement inside $(...) or (...); use if, or move the case out"
				}
				q.word = wordYes
			}
		}
	}
	return q
}

const errParamQuotes = "an interpolation may not follow quotes or $( inside ${...} (shells disagree on where it ends); assign that value to a variable first"

// isCase reports whether s starts with the keyword case.
func isCase(s []byte) bool {
	return len(s) > 4 && string(s[:4]) == "case" && (s[4] == ' ' || s[4] == '\t' || s[4] == '\n')
}

func (q shellQuoting) action(raw bool) (string, quoting, error) {
	if raw {
		return "", q, nil
	}
	if q.bad != "" {
		return "", q, errors.New(q.bad)
	}
	switch q.pend {
	case '\\':
		return "", q, errors.New("an interpolation may not follow a backslash (it would escape the opening quote)")
	case '$':
		return "", q, errors.New("an interpolation may not follow a $ (write ${NAME} or move the $)")
	}
	switch q.top() {
	case 's':
		return escShellSingle, q, nil
	case 'd':
		return escShellDouble, q, nil
	case 'b':
		return "", q, errors.New("an interpolation may not stand inside `backquotes`; use $(...)")
	case 'v':
		return "", q, errors.New("an interpolation may not stand inside ${...}; assign it first (v={{ ... }}) and use ${v}")
	case 'c':
		return "", q, errors.New("an interpolation may not stand in a # comment (a newline in the value would end the comment)")
	case 'h':
		return "", q, errors.New("an interpolation may not stand in a here-document (the shell expands $(...) there); pass the value as an argument")
	}
	q.word = wordYes
	return escShell, q, nil
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
