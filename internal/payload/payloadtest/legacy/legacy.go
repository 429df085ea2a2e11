// Package legacy is the webhook payload decoder as it was before package
// payload validated and indexed a body in one pass (encoding/json.Valid,
// a separate UTF-8 and depth scan, then a map per decoded object). It is
// kept unchanged, apart from this comment and its name, as the oracle of
// the differential fuzz tests of package payload and of the parsers: for
// every body, the new code must accept, reject and decode exactly as this
// one does. Nothing outside tests imports it.
package legacy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
	err error
}

// Err returns the first problem found, or nil.
func (d *Doc) Err() error { return d.err }

// Fail records a problem about the field at path unless one is recorded.
func (d *Doc) Fail(path, format string, args ...any) {
	if d.err == nil {
		d.err = Invalid(path, format, args...)
	}
}

// Object is a decoded JSON object whose values are still raw. Path is its
// location for messages ("" for the body, "alert", "alerts[1]").
type Object struct {
	Doc  *Doc
	Path string
	// Keys in the order they appear in the body.
	Keys []string
	m    map[string]json.RawMessage
	raw  []byte
}

// Bytes returns the object's JSON exactly as it appears in the body.
func (o Object) Bytes() []byte { return o.raw }

// Parse checks body (see Check) and decodes its top-level object.
func Parse(body []byte) (Object, error) {
	if err := Check(body); err != nil {
		return Object{}, err
	}
	// One validating pass over the whole body; everything after it splits
	// already valid JSON. Unmarshal runs only to locate an error.
	if !json.Valid(body) {
		var whole json.RawMessage
		return Object{}, syntaxError(body, json.Unmarshal(body, &whole))
	}
	d := &Doc{}
	o, err := decodeObject(d, "", body)
	if err != nil {
		return Object{}, err
	}
	return o, nil
}

// decodeObject splits one validated JSON object, rejecting duplicate keys
// (gjson reads the first of two equal keys and encoding/json the last;
// refusing them keeps the normalized Event and the raw paths in agreement).
func decodeObject(d *Doc, path string, raw []byte) (Object, error) {
	o := Object{Doc: d, Path: path, m: map[string]json.RawMessage{}, raw: raw}
	var err error
	members(raw, func(key, val []byte) bool {
		k := unquote(key)
		if _, dup := o.m[k]; dup {
			err = Invalid(join(path, k), "duplicate key")
			return false
		}
		o.m[k] = val
		o.Keys = append(o.Keys, k)
		return true
	})
	return o, err
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

// Field returns the path of key inside o, for messages.
func (o Object) Field(key string) string { return join(o.Path, key) }

// Raw returns key's raw value, or nil when it is absent or null.
func (o Object) Raw(key string) json.RawMessage {
	v, ok := o.m[key]
	if !ok || isNull(v) {
		return nil
	}
	return v
}

// Has reports whether key is present and not null.
func (o Object) Has(key string) bool { return o.Raw(key) != nil }

// Len is the number of keys.
func (o Object) Len() int { return len(o.m) }

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// Str decodes key as a string. Absent or null gives "".
func (o Object) Str(key string) string {
	v := o.Raw(key)
	if v == nil {
		return ""
	}
	s, ok := str(v)
	if !ok {
		o.Doc.Fail(o.Field(key), "want string, got %s", Describe(v))
	}
	return s
}

// ReqStr decodes key as a non-empty string and records a problem when it
// is absent, null or empty.
func (o Object) ReqStr(key string) string {
	if !o.Has(key) {
		o.Doc.Fail(o.Field(key), "required")
		return ""
	}
	s := o.Str(key)
	if s == "" && o.Doc.err == nil {
		o.Doc.Fail(o.Field(key), "required, got \"\"")
	}
	return s
}

func str(v json.RawMessage) (string, bool) {
	if firstByte(v) != '"' {
		return "", false
	}
	return unquote(v), true
}

// Int64 decodes key as an integer that fits in int64 (epoch milliseconds
// and nanoseconds do; a float64 would lose the nanoseconds). ok is false
// when key is absent or null.
func (o Object) Int64(key string) (n int64, ok bool) {
	v := o.Raw(key)
	if v == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
	if err != nil {
		o.Doc.Fail(o.Field(key), "want integer, got %s", Describe(v))
		return 0, false
	}
	return n, true
}

// Strs decodes key as an array of strings. Absent or null gives nil.
func (o Object) Strs(key string) []string {
	elems, ok := o.array(key, "array of strings")
	if !ok {
		return nil
	}
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		s, ok := str(e)
		if !ok {
			o.Doc.Fail(fmt.Sprintf("%s[%d]", o.Field(key), i), "want string, got %s", Describe(e))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// StrMap decodes key as an object of string values. Absent or null gives nil.
func (o Object) StrMap(key string) map[string]string {
	sub, ok := o.Obj(key)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(sub.m))
	for _, k := range sub.Keys {
		v := sub.m[k]
		s, ok := str(v)
		if !ok {
			o.Doc.Fail(sub.Field(k), "want string, got %s", Describe(v))
			return nil
		}
		out[k] = s
	}
	return out
}

// Obj decodes key as an object. ok is false when key is absent, null or
// not an object (the last is recorded as a problem).
func (o Object) Obj(key string) (Object, bool) {
	v := o.Raw(key)
	if v == nil {
		return Object{}, false
	}
	return o.Doc.object(o.Field(key), v)
}

func (d *Doc) object(path string, v json.RawMessage) (Object, bool) {
	if firstByte(v) != '{' {
		d.Fail(path, "want object, got %s", Describe(v))
		return Object{}, false
	}
	sub, err := decodeObject(d, path, v)
	if err != nil {
		if d.err == nil {
			d.err = err
		}
		return Object{}, false
	}
	return sub, true
}

// Objs decodes key as an array of objects. Absent or null gives nil.
func (o Object) Objs(key string) []Object {
	elems, ok := o.array(key, "array of objects")
	if !ok {
		return nil
	}
	out := make([]Object, 0, len(elems))
	for i, e := range elems {
		sub, ok := o.Doc.object(fmt.Sprintf("%s[%d]", o.Field(key), i), e)
		if !ok {
			return nil
		}
		out = append(out, sub)
	}
	return out
}

func (o Object) array(key, want string) ([]json.RawMessage, bool) {
	v := o.Raw(key)
	if v == nil {
		return nil, false
	}
	if firstByte(v) != '[' {
		o.Doc.Fail(o.Field(key), "want %s, got %s", want, Describe(v))
		return nil, false
	}
	return elements(v), true
}

// Unknown records a problem for the first key of o not in known.
func (o Object) Unknown(known ...string) {
	for _, k := range o.Keys {
		found := false
		for _, x := range known {
			if k == x {
				found = true
				break
			}
		}
		if !found {
			o.Doc.Fail(o.Field(k), "unknown field")
			return
		}
	}
}

// Peek returns key's value when it is a string, without recording a
// problem when it is absent or of another type.
func (o Object) Peek(key string) string {
	if v := o.Raw(key); v != nil {
		if s, ok := str(v); ok {
			return s
		}
	}
	return ""
}
