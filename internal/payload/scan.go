package payload

import (
	"bytes"
	"hash/maphash"
	"strings"
	"unicode"
	"unicode/utf16"
)

// node is one JSON value of the body, or one key of an object, in the
// index (tape) that scan builds in a single pass. Nodes are in body order:
// an object's first key is the node right after it, each key is followed
// by its value (and the value's own nodes), and next links a key to the
// object's next key and an element to the array's next element.
type node struct {
	start, end int32 // the value's bytes; a string's include its quotes
	next       int32 // the next key or element of the enclosing container; 0 for none
	kind       byte  // '{', '[', '"', 'n' (null), 'l' (true, false), '0' (number)
	esc        bool  // a string with a backslash escape
}

// scanner validates a body exactly as encoding/json.Valid does, stops past
// MaxDepth nested objects and arrays, and records the tape as it goes.
type scanner struct {
	b    []byte
	tape []node
}

// scan indexes body, which must be valid UTF-8 and no larger than
// MaxBytes (int32 offsets). It returns false when body is not one JSON
// object, is not valid JSON, or nests deeper than MaxDepth; Parse then
// asks the slower checks what exactly is wrong.
//
// It appends to tape[:0] and returns it, grown as needed, also on failure.
func scan(body []byte, tape []node) ([]node, bool) {
	if tape == nil {
		tape = make([]node, 0, 8+len(body)/32)
	}
	s := scanner{b: body, tape: tape[:0]}
	i := skipSpace(body, 0)
	if i == len(body) || body[i] != '{' {
		return s.tape, false
	}
	i = s.object(i, 1)
	return s.tape, i >= 0 && skipSpace(body, i) == len(body)
}

// maxNodes bounds the nodes of body's tape: every node but the body's
// object follows one of '{', '[', ',' or ':' (a key follows '{' or ',',
// a key's value ':', an element '[' or ','), counted here also where they
// are inside strings.
func maxNodes(body []byte) int {
	n := 1
	for _, c := range []byte("{[,:") {
		n += bytes.Count(body, []byte{c})
	}
	return n
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

func (s *scanner) add(n node) int32 {
	s.tape = append(s.tape, n)
	return int32(len(s.tape) - 1)
}

// value scans the value at b[i] (not space) and returns the index after
// it, or -1.
func (s *scanner) value(i int, depth int) int {
	b := s.b
	switch c := b[i]; c {
	case '{':
		return s.object(i, depth+1)
	case '[':
		return s.array(i, depth+1)
	case '"':
		end, esc := scanString(b, i)
		if end >= 0 {
			s.add(node{start: int32(i), end: int32(end), kind: '"', esc: esc})
		}
		return end
	case 't', 'f', 'n':
		word := "null"
		kind := byte('n')
		if c == 't' {
			word, kind = "true", 'l'
		} else if c == 'f' {
			word, kind = "false", 'l'
		}
		end := i + len(word)
		if end > len(b) || string(b[i:end]) != word {
			return -1
		}
		s.add(node{start: int32(i), end: int32(end), kind: kind})
		return end
	}
	end := scanNumber(b, i)
	if end >= 0 {
		s.add(node{start: int32(i), end: int32(end), kind: '0'})
	}
	return end
}

// object scans the object at b[i] == '{'.
func (s *scanner) object(i int, depth int) int {
	me, i, done := s.open(i, depth, '{', '}')
	if done {
		return i
	}
	b := s.b
	var prev int32
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		end, esc := scanString(b, i)
		if end < 0 {
			return -1
		}
		k := s.add(node{start: int32(i), end: int32(end), kind: '"', esc: esc})
		if prev != 0 {
			s.tape[prev].next = k
		}
		prev = k
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		if i = skipSpace(b, i+1); i >= len(b) {
			return -1
		}
		if i = s.value(i, depth); i < 0 {
			return -1
		}
		if i, done = s.sep(i, me, '}'); done {
			return i
		}
	}
}

// array scans the array at b[i] == '['.
func (s *scanner) array(i int, depth int) int {
	me, i, done := s.open(i, depth, '[', ']')
	if done {
		return i
	}
	b := s.b
	var prev int32
	for {
		if i >= len(b) {
			return -1
		}
		e := int32(len(s.tape))
		if i = s.value(i, depth); i < 0 {
			return -1
		}
		if prev != 0 {
			s.tape[prev].next = e
		}
		prev = e
		if i, done = s.sep(i, me, ']'); done {
			return i
		}
	}
}

// open records the container of kind at b[i] and moves past its bracket;
// past the whole of an empty one (or on too deep a nesting, -1), it
// returns done.
func (s *scanner) open(i int, depth int, kind, close byte) (me int32, next int, done bool) {
	if depth > MaxDepth {
		return 0, -1, true
	}
	me = s.add(node{start: int32(i), kind: kind})
	i = skipSpace(s.b, i+1)
	if i < len(s.b) && s.b[i] == close {
		s.tape[me].end = int32(i + 1)
		return me, i + 1, true
	}
	return me, i, false
}

// sep moves past the space and the comma after a key's value or an
// element, to the next one; past the closing bracket close, it ends
// container me there and returns done.
func (s *scanner) sep(i int, me int32, close byte) (next int, done bool) {
	b := s.b
	if i = skipSpace(b, i); i < len(b) {
		switch b[i] {
		case ',':
			return skipSpace(b, i+1), false
		case close:
			s.tape[me].end = int32(i + 1)
			return i + 1, true
		}
	}
	return -1, true
}

// plain marks the bytes a JSON string holds as they are: not '"', not
// '\\' and not a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString returns the index after the string at b[i] == '"' and
// whether it holds an escape, or -1.
func scanString(b []byte, i int) (end int, esc bool) {
	for i++; ; {
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return -1, false
		}
		switch b[i] {
		case '"':
			return i + 1, esc
		case '\\':
			esc = true
			if i+1 >= len(b) {
				return -1, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b, i+2) < 0 {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		default: // a control character
			return -1, false
		}
	}
}

// hex4 decodes the four hex digits at b[i:], or returns -1.
func hex4(b []byte, i int) rune {
	if i+4 > len(b) {
		return -1
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// scanNumber returns the index after the number at b[i], or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b) || !isDigit(b[i]):
		return -1
	case b[i] == '0':
		i++
	default:
		i = digits(b, i)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		i = digits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		i = digits(b, i)
	}
	return i
}

// unescape decodes the inside of a scanned JSON string holding escapes,
// as encoding/json does: a lone or mismatched surrogate becomes U+FFFD.
func unescape(s []byte) string {
	var out strings.Builder
	out.Grow(len(s)) // decoding never lengthens
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				j = len(s) - i
			}
			out.Write(s[i : i+j])
			i += j
			continue
		}
		switch c = s[i+1]; c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			r := hex4(s, i+2)
			i += 6
			if utf16.IsSurrogate(r) {
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, hex4(s, i+2)); dec != unicode.ReplacementChar {
						r = dec
						i += 6
					} else {
						r = unicode.ReplacementChar
					}
				} else {
					r = unicode.ReplacementChar
				}
			}
			out.WriteRune(r)
			continue
		}
		out.WriteByte(c) // '"', '\\', '/' and the letters above
		i += 2
	}
	return out.String()
}

// dupSmall is the largest object whose keys are compared pairwise; larger
// ones use a hash table.
const dupSmall = 12

// seed hashes keys for duplicate.
var seed = maphash.MakeSeed()

// duplicate returns the first key of object o (node index) equal to an
// earlier key, or 0. Keys compare as decoded, so "a" and "\u0061" clash.
func (d *Doc) duplicate(o int32) int32 {
	n := d.count(o)
	if n <= dupSmall {
		for k := d.first(o); k != 0; k = d.tape[k].next {
			for e := d.first(o); e != k; e = d.tape[e].next {
				if d.sameKey(e, k) {
					return k
				}
			}
		}
		return 0
	}
	size := 1
	for size < 2*n {
		size <<= 1
	}
	var onStack [64]int32
	table := onStack[:] // key node indices; 0 is free
	if size > len(onStack) {
		table = make([]int32, size)
	}
	table = table[:size]
	for k := d.first(o); k != 0; k = d.tape[k].next {
		h := int(maphash.Bytes(seed, d.decoded(k)) & uint64(size-1))
		for ; table[h] != 0; h = (h + 1) & (size - 1) {
			if d.sameKey(table[h], k) {
				return k
			}
		}
		table[h] = k
	}
	return 0
}

// sameKey reports whether key nodes a and b decode to the same string.
func (d *Doc) sameKey(a, b int32) bool {
	na, nb := &d.tape[a], &d.tape[b]
	if !na.esc && !nb.esc {
		return na.end-na.start == nb.end-nb.start &&
			string(d.body[na.start:na.end]) == string(d.body[nb.start:nb.end])
	}
	return bytes.Equal(d.decoded(a), d.decoded(b))
}

// decoded returns string node k (a key or a value) decoded, without a
// copy when it holds no escape: for comparing and hashing only, never to
// keep.
func (d *Doc) decoded(k int32) []byte {
	n := d.tape[k]
	if n.esc {
		return []byte(unescape(d.body[n.start+1 : n.end-1]))
	}
	return d.body[n.start+1 : n.end-1]
}
