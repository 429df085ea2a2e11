// Package payload holds the checks and field decoders that every webhook
// parser of Alexis shares: a size and nesting bound, UTF-8 validation,
// duplicate-key rejection, and decoders that name the offending field and
// what was found there ("alert.tags: want array of strings, got 42").
//
// Parse validates a body and records where each value lies (a tape of
// spans) in one pass; nothing is decoded until a parser asks for a field,
// and only that field is. A body the pass refuses is handed to the
// slower checks (Check, encoding/json) only to say what is wrong, so the
// messages are theirs.
//
// It is internal: the parsers in packages opsgenie, dynatrace, alertmanager
// and source are its only users.
package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/alexis-project/alexis"
)

// MaxBytes is the largest body a parser accepts. Dynatrace itself caps
// payloads at 1 MB; nothing legitimate comes near it.
const MaxBytes = 1 << 20

// MaxDepth is the deepest nesting of objects and arrays a parser accepts.
// The deepest vendor payload (Dynatrace rankedEvents[].severities[]) nests
// five levels.
const MaxDepth = 64

// Invalid returns an EINVALID error about the field at path.
func Invalid(path, format string, args ...any) *alexis.Error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	return &alexis.Error{Code: alexis.EINVALID, Message: msg}
}

// Check bounds the work a body can cause before anything decodes it: it
// must be at most MaxBytes, valid UTF-8, nested at most MaxDepth deep, and
// start with '{'. Syntax is checked by the decoder that follows.
func Check(body []byte) error {
	if len(body) > MaxBytes {
		return alexis.Errorf(alexis.ETOOLARGE, "body: %d bytes, more than the limit of %d", len(body), MaxBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return Invalid("body", "empty, want a JSON object")
	}
	if !utf8.Valid(body) {
		return Invalid("body", "invalid UTF-8 at byte %d", invalidUTF8At(body))
	}
	if off := tooDeep(body); off >= 0 {
		return Invalid("body", "nested deeper than %d levels at byte %d", MaxDepth, off)
	}
	if c := firstByte(body); c != '{' {
		return Invalid("body", "want a JSON object, got %s", Describe(bytes.TrimSpace(body)))
	}
	return nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// tooDeep returns the offset of the first bracket that exceeds MaxDepth,
// or -1. It skips string contents, so brackets inside strings do not count.
func tooDeep(b []byte) int {
	depth, inStr, esc := 0, false, false
	for i, c := range b {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
			if depth > MaxDepth {
				return i
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return -1
}

func firstByte(b []byte) byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// Describe names a raw JSON value for an error message: "object", "array",
// or the literal itself (strings quoted), shortened to 40 bytes.
func Describe(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch firstByte(raw) {
	case '{':
		return "object"
	case '[':
		if len(bytes.TrimSpace(raw[1:])) > 0 && firstByte(raw[1:]) == ']' {
			return "[]"
		}
		return "array"
	case 0:
		return "nothing"
	}
	const max = 40
	if len(raw) <= max {
		return string(raw)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(raw[cut]) {
		cut--
	}
	return string(raw[:cut]) + "…"
}

// Doc is one decoding pass over a body. It keeps the first problem found;
// decoders called after it still run and return zero values on their own
// problems, so a caller can decode every field and check Err once.
type Doc struct {
	err  error
	body []byte
	tape []node
	box  *[]node // tape's home in the pool
}

// tapes recycles the index between parses: a 2 KB webhook needs a tape
// of a few KB, allocated again for every request otherwise.
var tapes sync.Pool // of *[]node

// maxPooled is the largest tape (in nodes) kept for reuse, 1.3 MB: that
// of a 1 MiB body of a node every 16 bytes or more.
const maxPooled = 1 << 16

// Release hands the Doc's index back for the next Parse. Call it once done
// with the Doc and all of its Objects, as the parsers do with defer: the
// Objects must not be used after it. The strings the accessors returned
// stay valid, and Raw and Bytes alias the body, not the index.
func (d *Doc) Release() {
	if d.box != nil && cap(d.tape) <= maxPooled {
		*d.box = d.tape[:0]
		tapes.Put(d.box)
	}
	d.tape, d.box = nil, nil
}

// Err returns the first problem found, or nil.
func (d *Doc) Err() error { return d.err }

// Fail records a problem about the field at path unless one is recorded.
func (d *Doc) Fail(path, format string, args ...any) {
	if d.err == nil {
		d.err = Invalid(path, format, args...)
	}
}

// Object is a JSON object of the body whose values are decoded only when
// asked for. Its zero value is an empty object.
type Object struct {
	Doc *Doc
	n   int32 // the object's node in Doc's tape
}

// Parse checks body (see Check), validates it as JSON and indexes it in one
// pass, and returns its top-level object. Release its Doc when done.
//
// The strings the accessors return are copies: nothing returned aliases
// body except Raw and Bytes.
func Parse(body []byte) (Object, error) {
	if len(body) <= MaxBytes && utf8.Valid(body) {
		box, _ := tapes.Get().(*[]node)
		if box == nil {
			box = new([]node)
		}
		d := &Doc{body: body, box: box}
		tape := *box
		if len(body) > 64<<10 {
			// Size a large body's tape once: growing it by appending
			// would copy it over and over.
			if n := maxNodes(body); cap(tape) < n {
				tape = make([]node, 0, n)
			}
		}
		tape, ok := scan(body, tape)
		d.tape = tape
		if ok {
			if k := d.duplicate(0); k != 0 {
				err := Invalid(string(d.decoded(k)), "duplicate key")
				d.Release()
				return Object{}, err
			}
			return Object{Doc: d}, nil
		}
		d.Release()
	}
	// Rejected: the checks the scan stands for say what is wrong, in
	// their order (size, UTF-8, depth, not an object, syntax).
	if err := Check(body); err != nil {
		return Object{}, err
	}
	var whole json.RawMessage
	if err := json.Unmarshal(body, &whole); err != nil {
		return Object{}, syntaxError(body, err)
	}
	return Object{}, alexis.Errorf(alexis.EINTERNAL, "payload: the scanner refused a body that encoding/json accepts")
}

// syntaxError turns the decoder's error about the body into "body:
// invalid JSON at line L, column C: ...".
func syntaxError(raw []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(raw, int(se.Offset))
		return Invalid("body", "invalid JSON at line %d, column %d: %s", line, col, se.Error())
	}
	return Invalid("body", "invalid JSON: %v", err)
}

// lineCol locates the byte before off (json.SyntaxError's Offset is just
// past the offending byte) as a 1-based line and rune column.
func lineCol(b []byte, off int) (line, col int) {
	if off > len(b) {
		off = len(b)
	}
	line = 1 + bytes.Count(b[:off], []byte{'\n'})
	start := bytes.LastIndexByte(b[:off], '\n') + 1
	col = utf8.RuneCount(b[start:off])
	if col == 0 {
		col = 1
	}
	return line, col
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
