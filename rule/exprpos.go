package rule

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// source is the text of one rule file, split in lines, for mapping
// positions inside a scalar's value back to the file. The lines are split
// when the first error needs them: most files have none.
type source struct {
	data  []byte
	lines []string
	runes map[int][]rune
}

func newSource(data []byte) *source {
	return &source{data: data}
}

// split splits the text into lines, once.
func (s *source) split() {
	if s.runes == nil {
		s.lines = Lines(s.data)
		s.runes = make(map[int][]rune)
	}
}

// Lines splits data into lines where YAML breaks them: at "\r\n", "\n"
// or a lone "\r". Line n of an Error is Lines(data)[n-1], for showing
// the line at fault.
func Lines(data []byte) []string {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return strings.Split(strings.ReplaceAll(s, "\r", "\n"), "\n")
}

// line returns line i (0-based) as runes, or nil past the end.
func (s *source) line(i int) []rune {
	s.split()
	if i < 0 || i >= len(s.lines) {
		return nil
	}
	r, ok := s.runes[i]
	if !ok {
		r = []rune(s.lines[i])
		s.runes[i] = r
	}
	return r
}

type pos struct{ line, col int } // 1-based

// valuePos maps a 1-based line:col inside the value of scalar n (counted in
// characters, as expression errors count them) to the position in the
// file where that character was written. It understands plain, single- and
// double-quoted scalars (escapes, folded line breaks) and literal (|) and
// folded (>) blocks. When the file text cannot be matched against the
// value (an explicit indentation indicator, a tab-indented block, an alias)
// it falls back to the start of the scalar.
func (s *source) valuePos(n *yaml.Node, line, col int) pos {
	start := pos{n.Line, n.Column}
	if s == nil {
		return start
	}
	val := []rune(n.Value)
	off := offsetOf(val, line, col)
	at := s.mapScalar(n, val)
	switch {
	case at == nil:
		return start
	case off < len(at):
		return at[off]
	case len(at) > 0:
		last := at[len(at)-1]
		return pos{last.line, last.col + 1}
	}
	return start
}

// offsetOf converts a 1-based line:col into an index into val, clamped to
// len(val).
func offsetOf(val []rune, line, col int) int {
	off := 0
	for l := 1; l < line && off < len(val); off++ {
		if val[off] == '\n' {
			l++
		}
	}
	off += max(col-1, 0)
	return min(off, len(val))
}

// mapScalar returns, for each character of val, where it was written; nil
// when the file text does not spell val.
func (s *source) mapScalar(n *yaml.Node, val []rune) []pos {
	if n.Line < 1 || n.Column < 1 || n.Kind != yaml.ScalarNode {
		return nil
	}
	s.split()
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	double := n.Style&yaml.DoubleQuotedStyle != 0
	single := n.Style&yaml.SingleQuotedStyle != 0
	l, c := n.Line-1, n.Column-1
	indent := 0
	skip := func(cur []rune) int { // leading white space of a continuation line
		i := 0
		for i < len(cur) && (cur[i] == ' ' || cur[i] == '\t') && (!block || i < indent) {
			i++
		}
		return i
	}
	switch {
	case block:
		l++
		for i := l; i < len(s.lines); i++ {
			if t := strings.TrimLeft(s.lines[i], " "); t != "" {
				indent = len(s.lines[i]) - len(t)
				break
			}
		}
		c = skip(s.line(l))
	case double || single:
		c++
	}
	out := make([]pos, 0, len(val))
	for i := 0; i < len(val); {
		if l >= len(s.lines) {
			return nil
		}
		cur := s.line(l)
		r := val[i]
		if c < len(cur) && double && cur[c] == '\\' {
			if c+1 == len(cur) { // escaped line break: nothing in the value
				l++
				c = skip(s.line(l))
				continue
			}
			width, e, ok := unescape(cur[c+1:])
			if !ok || e != r {
				return nil
			}
			out = append(out, pos{l + 1, c + 1})
			i++
			c += 1 + width
			continue
		}
		if c+1 < len(cur) && single && cur[c] == '\'' && cur[c+1] == '\'' && r == '\'' {
			out = append(out, pos{l + 1, c + 1})
			i++
			c += 2
			continue
		}
		if c < len(cur) && cur[c] == r {
			out = append(out, pos{l + 1, c + 1})
			i++
			c++
			continue
		}
		if strings.TrimSpace(string(cur[min(c, len(cur)):])) != "" {
			return nil
		}
		// End of a line: a line break in the value, a space it was
		// folded into, or (for blank lines and trailing white space)
		// nothing at all.
		if r == '\n' || r == ' ' {
			out = append(out, pos{l + 1, min(c, len(cur)) + 1})
			i++
		}
		l++
		c = skip(s.line(l))
	}
	return out
}

// escapes are YAML's one-character escapes in double-quoted scalars.
var escapes = map[rune]rune{'0': 0, 'a': 7, 'b': 8, 't': 9, '\t': 9, 'n': 10, 'v': 11, 'f': 12, 'r': 13,
	'e': 0x1b, ' ': ' ', '"': '"', '/': '/', '\\': '\\', 'N': 0x85, '_': 0xa0, 'L': 0x2028, 'P': 0x2029}

// unescape decodes the YAML double-quoted escape that follows a backslash.
func unescape(r []rune) (width int, out rune, ok bool) {
	if len(r) == 0 {
		return 0, 0, false
	}
	if x, ok := escapes[r[0]]; ok {
		return 1, x, true
	}
	digits := map[rune]int{'x': 2, 'u': 4, 'U': 8}[r[0]]
	if digits == 0 || len(r) < 1+digits {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(string(r[1:1+digits]), 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return 1 + digits, rune(v), true
}

// templateErr matches text/template's positioned errors as package action
// reports them: "template: NAME:LINE:BYTE: message" (BYTE is 0-based and
// left out by some parse errors).
var templateErr = regexp.MustCompile(`^template: .*?:(\d+):(?:(\d+):)? (.*)$`)

// templatePos finds where in scalar n a template error points. It returns
// the error's message without its position prefix, or ok false when err
// is not a positioned template error.
func (s *source) templatePos(n *yaml.Node, err error) (p pos, msg string, ok bool) {
	m := templateErr.FindStringSubmatch(err.Error())
	if m == nil || n == nil {
		return pos{}, "", false
	}
	line, _ := strconv.Atoi(m[1])
	col := 1
	if m[2] != "" {
		b, _ := strconv.Atoi(m[2])
		lines := strings.Split(n.Value, "\n")
		if line >= 1 && line <= len(lines) && b <= len(lines[line-1]) {
			col = utf8.RuneCountInString(lines[line-1][:b]) + 1
		}
	}
	return s.valuePos(n, line, col), m[3], true
}
