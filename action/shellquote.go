package action

import (
	"errors"
	"fmt"
	"strings"
)

// shellQuoting follows shell quoting through the literal text of a Shell
// template, so that each interpolation gets the quoting of where it
// stands, or is refused where no quoting is safe. It follows POSIX sh and
// the bash constructs that evaluate text again (arithmetic, [[ ]]), since
// remote commands usually run under the user's login shell.
type shellQuoting struct {
	// stack of open constructs, innermost last; empty means unquoted at
	// top level:
	//	s '...'        d "..."        b `...`        e $'...'
	//	p (...) $(...) v ${...}       c # comment    h here-document (never left)
	//	A ((...)) $((...)), with a (...) inside    k $[...]
	//	T [[ ... ]]    L a let, declare, typeset or local command
	stack string
	// pend is '\\' or '$' when the text so far ends in an unconsumed
	// backslash or dollar sign.
	pend byte
	// word is wordYes inside a word, where '#' does not start a comment,
	// wordNo between words, wordUnknown after branches that disagree.
	word byte
	// brk is true inside [...] within a word (a bash array subscript).
	brk bool
	// fresh is true where the word so far may be empty or may have been
	// split into several words by the shell: right after a quote that
	// opened a word and after empty quotes there (''), and after an
	// expansion ($NAME, ${...}, $(...), `...`, $((...)), "$@") or a bash
	// brace group that may leave nothing before the value, even within
	// the word. A value there starts an argument.
	fresh bool
	// pending is true when the word so far holds only interpolations and
	// empty quotes: a value there starts the argument if those all came
	// out empty, which the escaper checks when the template runs.
	pending bool
	// name is true after $ and the start of a NAME: the name characters
	// that follow continue it.
	name bool
	// braces holds one byte for each unquoted { open in the current word
	// (bash brace expansion): 'c' if the word before it is certainly not
	// empty, else 'm'. A '|' separates the words of the nested (...) and
	// $(...) around them.
	braces string
	// dd is true after a -- word in the current command: arguments after
	// it are not options.
	dd bool
	// bad says why nothing may be interpolated from here on (the tracking
	// cannot be sure of the quoting any more).
	bad string
}

const (
	wordNo byte = iota
	wordYes
	wordUnknown
)

const (
	errParamQuotes  = "an interpolation may not follow quotes or $( inside ${...} (shells disagree on where it ends); assign that value to a variable first"
	errArithQuotes  = "an interpolation may not follow quotes or backquotes inside arithmetic (where it ends cannot be told for sure)"
	errCase         = "an interpolation may not follow a case statement inside $(...) or (...); use if, or move the case out"
	errANSIQuote    = "an interpolation may not follow \\' inside $'...' (bash and dash disagree on where it ends)"
	errHashAmbig    = "the branches before this '#' disagree on whether it starts a comment; put a space or a quote between them"
	errContinuation = "an interpolation may not follow a backslash-newline within a word or token (the shell joins the lines before it reads them, which the quoting does not follow); break the line after a blank"
	errNameValue    = "an interpolation may not follow $NAME inside \"...\" (the value would continue the name); write ${NAME}"
)

// merge joins states that differ only in whether a word is open.
func (q shellQuoting) merge(o quoting) quoting {
	p, ok := o.(shellQuoting)
	if !ok || p.stack != q.stack || p.pend != q.pend || p.bad != q.bad || p.brk != q.brk || p.braces != q.braces {
		return q
	}
	if p.word != q.word {
		q.word = wordUnknown
	}
	// When in doubt, check for options.
	q.fresh = q.fresh || p.fresh
	q.pending = q.pending || p.pending
	q.name = q.name || p.name
	q.dd = q.dd && p.dd
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

// certain reports whether the word so far is certainly not empty and
// cannot have been split: literal text, or a value, stands in it since
// the last expansion.
func (q shellQuoting) certain() bool {
	return q.word == wordYes && !q.fresh && !q.pending
}

// expanded notes the end of an expansion in the word: it may have come
// out empty, or (unquoted, or "$@") as several words.
func (q *shellQuoting) expanded() { q.fresh = true }

// subshell enters a (...) or $(...), whose words are its own.
func (q shellQuoting) subshell() shellQuoting {
	q = q.push('p')
	q.word, q.dd, q.braces = wordNo, false, q.braces+"|"
	return q
}

// endWord forgets the brace groups of the word that ends.
func (q *shellQuoting) endWord() {
	q.braces = q.braces[:strings.LastIndexByte(q.braces, '|')+1]
}

// braceTop is the innermost brace group open in the current word, or 0.
func (q shellQuoting) braceTop() byte {
	if n := len(q.braces); n > 0 && q.braces[n-1] != '|' {
		return q.braces[n-1]
	}
	return 0
}

func isNameStart(c byte) bool { return c == '_' || c|0x20 >= 'a' && c|0x20 <= 'z' }
func isNameChar(c byte) bool  { return isNameStart(c) || c >= '0' && c <= '9' }

// isSpecialParam reports whether $c is a special or positional parameter.
func isSpecialParam(c byte) bool { return strings.IndexByte("@*#?-$!0123456789", c) >= 0 }

// keyword reports whether s starts with the word kw followed by a blank.
func keyword(s []byte, kw string) bool {
	return len(s) > len(kw) && string(s[:len(kw)]) == kw && (s[len(kw)] == ' ' || s[len(kw)] == '\t' || s[len(kw)] == '\n')
}

func (q shellQuoting) text(s []byte) quoting {
	for i := 0; i < len(s); i++ {
		c := s[i]
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		if q.pend == '\\' {
			q.pend = 0
			if c != '\n' {
				q.word, q.fresh, q.pending = wordYes, false, false
			} else if q.name || i >= 2 && strings.IndexByte(" \t\n;&|", s[i-2]) < 0 {
				// \ newline is removed before the shell reads tokens:
				// <\ newline< is <<, $\ newline( is $(. After a blank
				// or a ; & | it joins what the tracking reads the same.
				q.bad = errContinuation
			}
			q.name = false
			continue
		}
		q.pend = 0
		if q.name {
			if isNameChar(c) {
				continue // more of $NAME
			}
			if c != '\\' { // \ newline would continue it
				q.name = false
			}
		}
		// A byte inside quotes, other than the closing quote, is text in
		// the word (a backslash: the byte after it is).
		if t := q.top(); (t == 's' && c != '\'') || (t == 'd' && c != '"' && c != '\\') {
			q.fresh, q.pending = false, false
		}
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
		case 'e':
			switch {
			case c == '\\' && next == '\'':
				// bash reads \' as a quote inside $'...', dash ends the
				// string there: where it ends cannot be told for sure.
				q.bad = errANSIQuote
			case c == '\\':
				i++ // both shells go on to the next quote
			case c == '\'':
				q = q.pop()
			}
		case 'b':
			switch c {
			case '\\':
				q.pend = '\\'
			case '`':
				q = q.pop()
				q.expanded()
			}
		case 'v':
			i = q.param(s, i, &q)
		case 'A', 'a', 'k':
			i = q.arith(s, i, &q)
		case 'd':
			switch c {
			case '\\':
				q.pend = '\\'
			case '"':
				q = q.pop()
			case '`':
				q, q.dd = q.push('b'), false
			case '$':
				switch {
				case next == '{':
					q, i = q.push('v'), i+1
				case next == '(':
					if i+2 < len(s) && s[i+2] == '(' {
						q, i = q.push('A'), i+2
					} else {
						q, i = q.subshell(), i+1
					}
				case next == '[':
					q, i = q.push('k'), i+1
				case next == 0:
					q.pend = '$'
				case isNameStart(next):
					q.expanded()
					q.name, i = true, i+1
				case isSpecialParam(next):
					q.expanded() // "$@" may be no word, or several
					i++
				}
			}
		default: // 'u', 'p', 'T', 'L': unquoted
			i = q.unquoted(s, i, &q)
		}
	}
	return q
}

// unquoted advances over s[i] outside quotes and returns the index of the
// last byte consumed.
func (shellQuoting) unquoted(s []byte, i int, q *shellQuoting) int {
	c := s[i]
	next := byte(0)
	if i+1 < len(s) {
		next = s[i+1]
	}
	atWord := q.word == wordNo
	certain := q.certain()
	// The word as it is when quotes that may be empty ($'', bash's $"")
	// open here.
	quoteFresh, quotePending := q.fresh || q.word != wordYes, q.pending
	if c != '\'' && c != '"' && c != '\\' {
		// Anything else is text in the word or ends it. A quote leaves
		// the word empty until something stands in it; what follows a
		// backslash is decided when it comes.
		q.fresh, q.pending = false, false
	}
	switch c {
	case '\\':
		q.pend = '\\'
	case '\'':
		*q = q.push('s')
		q.fresh, q.word = q.fresh || q.word != wordYes, wordYes
	case '"':
		*q = q.push('d')
		q.fresh, q.word = q.fresh || q.word != wordYes, wordYes
	case '`':
		*q = q.push('b')
		q.word, q.dd = wordYes, false // `...` sets fresh when it ends
	case '#':
		switch q.word {
		case wordNo:
			*q = q.push('c')
		case wordUnknown:
			q.bad = errHashAmbig
		}
		q.word = wordYes
	case '$':
		// An expansion may come out empty, or split into several words
		// (it is not quoted): a value after it starts an argument. The
		// nested ones set fresh when they end.
		q.word = wordYes
		switch {
		case next == '\'' || next == '"': // $'...', bash's $"...": quotes
			q.fresh, q.pending = quoteFresh, quotePending
			if next == '\'' {
				*q = q.push('e')
				return i + 1
			}
		case next == '{':
			*q = q.push('v')
			return i + 1
		case next == '(':
			if i+2 < len(s) && s[i+2] == '(' {
				*q = q.push('A')
				return i + 2
			}
			*q = q.subshell()
			return i + 1
		case next == '[':
			*q = q.push('k')
			return i + 1
		case next == 0:
			q.pend = '$'
		case isNameStart(next):
			q.expanded()
			q.name = true
			return i + 1
		case isSpecialParam(next):
			q.expanded()
			return i + 1
		}
	case '(':
		q.dd = false
		if atWord && next == '(' {
			*q = q.push('A')
			return i + 1
		}
		*q = q.subshell()
	case ')':
		q.dd = false
		if q.top() == 'L' {
			*q = q.pop()
		}
		if q.top() == 'p' {
			*q = q.pop()
			q.braces = q.braces[:max(strings.LastIndexByte(q.braces, '|'), 0)]
			q.expanded()
		}
		q.word = wordYes
	case '<':
		q.endWord()
		if next == '<' {
			if i+2 < len(s) && s[i+2] == '<' { // <<< here-string: a word follows
				q.word = wordNo
				return i + 2
			}
			*q = q.push('h')
		}
		q.word = wordNo
	case ';', '&', '|', '\n':
		if q.top() == 'L' {
			*q = q.pop()
		}
		q.endWord()
		q.word, q.brk, q.dd = wordNo, false, false
	case '-':
		if atWord && next == '-' && (i+2 == len(s) || s[i+2] == ' ' || s[i+2] == '\t' || s[i+2] == '\n' || s[i+2] == ';') {
			q.dd = true
		}
		q.word = wordYes
	case ' ', '\t', '>':
		q.endWord()
		q.word, q.brk = wordNo, false
	case '{':
		// bash brace expansion: {,x}{{ .X }} gives the value alone as a
		// word. Each alternative starts where the group does.
		b := byte('c')
		if !certain {
			b, q.fresh = 'm', true
		}
		q.braces += string(b)
		q.word = wordYes
	case ',', '}':
		if b := q.braceTop(); b != 0 {
			if c == '}' {
				q.braces = q.braces[:len(q.braces)-1]
			}
			q.fresh = b == 'm'
		}
		q.word = wordYes
	case '[':
		if atWord && next == '[' && i+2 < len(s) && (s[i+2] == ' ' || s[i+2] == '\t') {
			*q = q.push('T')
			return i + 1
		}
		if !atWord {
			q.brk = true
		}
		q.word = wordYes
	case ']':
		if atWord && next == ']' && q.top() == 'T' {
			*q = q.pop()
			q.word = wordYes
			return i + 1
		}
		q.brk = false
		q.word = wordYes
	default:
		if atWord {
			switch {
			case c == 'c' && keyword(s[i:], "case") && strings.ContainsAny(q.stack, "p"):
				// A case pattern's ")" would look like the end of the
				// $( or ( it stands in.
				q.bad = errCase
			case keyword(s[i:], "let") || keyword(s[i:], "declare") || keyword(s[i:], "typeset") || keyword(s[i:], "local"):
				*q = q.push('L')
			}
		}
		q.word = wordYes
	}
	return i
}

// param advances over s[i] inside ${...}.
func (shellQuoting) param(s []byte, i int, q *shellQuoting) int {
	switch s[i] {
	case '\\':
		q.pend = '\\'
	case '}':
		*q = q.pop()
		q.expanded()
	case '$':
		if i+1 < len(s) && s[i+1] == '{' {
			*q = q.push('v')
			return i + 1
		}
		if i+1 < len(s) && s[i+1] == '(' {
			q.bad = errParamQuotes
		}
	case '\'', '"', '`':
		// Shells disagree on quotes inside ${...}: where it ends cannot be
		// told for sure.
		q.bad = errParamQuotes
	}
	return i
}

// arith advances over s[i] inside ((...)), $((...)) or $[...].
func (shellQuoting) arith(s []byte, i int, q *shellQuoting) int {
	switch s[i] {
	case '(':
		*q = q.push('a')
	case ')':
		// fresh means nothing inside arithmetic: set it on every close,
		// the last one counts.
		q.expanded()
		if q.top() == 'A' && i+1 < len(s) && s[i+1] == ')' {
			*q = q.pop()
			return i + 1
		}
		*q = q.pop()
	case '[':
		if q.top() == 'k' {
			*q = q.push('k')
		}
	case ']':
		if q.top() == 'k' {
			*q = q.pop()
			q.expanded()
		}
	case '\'', '"', '`', '\\':
		q.bad = errArithQuotes
	}
	return i
}

// split refuses a node that prints nothing right after text the tracking
// must see together with the text after that node: $ \ < ( [ start
// two-character tokens ($', <<, ((, [[ ...), and a command word such as
// let or case decides how the rest of the command is read.
func (q shellQuoting) split(before []byte) error {
	if len(before) == 0 || strings.IndexByte("sch", q.top()) >= 0 {
		return nil
	}
	if c := before[len(before)-1]; strings.IndexByte("$\\<([", c) >= 0 {
		return fmt.Errorf("a comment, assignment or {{if}}, {{with}}, {{range}} may not follow %q: with the text after it the shell may read one token (like $' or <<) that the quoting cannot follow; move it or put a space before it", string(c))
	}
	i := len(before)
	for i > 0 && before[i-1] >= 'a' && before[i-1] <= 'z' {
		i--
	}
	if w := string(before[i:]); w != "" {
		for _, kw := range []string{"case", "let", "declare", "typeset", "local"} {
			if strings.HasPrefix(kw, w) {
				return fmt.Errorf("a comment, assignment or {{if}}, {{with}}, {{range}} may not follow %q: with the text after it the shell may read the command word %s, which the quoting must see whole; move it or put a space before it", w, kw)
			}
		}
	}
	return nil
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
	if q.name && q.top() == 'd' {
		return "", q, errors.New(errNameValue)
	}
	// Constructs that evaluate their text again refuse interpolations
	// anywhere inside, also within quotes or $(...).
	switch {
	case strings.ContainsAny(q.stack, "Aak"):
		return "", q, errors.New("an interpolation may not stand in arithmetic ((...)), $((...)) or $[...]: bash evaluates it, and a[$(cmd)] runs cmd")
	case strings.ContainsRune(q.stack, 'T'):
		return "", q, errors.New("an interpolation may not stand inside [[ ... ]]: bash evaluates -eq operands as arithmetic, which can run commands; use [ ... ]")
	case strings.ContainsRune(q.stack, 'L'):
		return "", q, errors.New("an interpolation may not stand in a let, declare, typeset or local command: arithmetic evaluation can run commands")
	}
	// A value that starts an argument must not start with "-", or the
	// command would read it as an option (tar --checkpoint-action=...),
	// unless a -- word came before it. Right after an expansion or a
	// bash brace group ($D{{ .X }}, "$(cmd){{ .X }}", {,a}{{ .X }}) it
	// may start one too: the expansion may come out empty, or unquoted
	// split the word (fresh).
	// After values that may all come out empty ({{ .A }}{{ .B }} with
	// an empty A), a value still starts the argument: its escaper checks
	// when the template runs whether the word so far came out empty.
	arg := !q.dd && (q.fresh || q.word != wordYes)
	cont := !q.dd && !arg && q.pending
	// Until text stands in the word, it may still be empty.
	next := q
	next.fresh, next.pending, next.name = false, arg || q.pending, false
	pick := func(argEsc, contEsc, esc string) string {
		switch {
		case arg:
			return argEsc
		case cont:
			return contEsc
		}
		return esc
	}
	switch q.top() {
	case 's':
		return pick(escShellSingleArg, escShellSingleCont, escShellSingle), next, nil
	case 'd':
		return pick(escShellDoubleArg, escShellDoubleCont, escShellDouble), next, nil
	case 'b':
		return "", q, errors.New("an interpolation may not stand inside `backquotes`; use $(...)")
	case 'v':
		return "", q, errors.New("an interpolation may not stand inside ${...}; assign it first (v={{ ... }}) and use ${v}")
	case 'e':
		return "", q, errors.New("an interpolation may not stand inside $'...' (bash interprets backslashes there); use '...'")
	case 'c':
		return "", q, errors.New("an interpolation may not stand in a # comment (a newline in the value would end the comment)")
	case 'h':
		return "", q, errors.New("an interpolation may not stand in a here-document (the shell expands $(...) there); pass the value as an argument")
	}
	if q.brk {
		return "", q, errors.New("an interpolation may not stand inside [...] in a word: bash evaluates an array subscript as arithmetic")
	}
	next.word = wordYes
	return pick(escShellArg, escShellCont, escShell), next, nil
}
