package payload

import (
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"strings"
)

// The accessors of Object. Each finds its key by walking the object's keys
// in the tape (objects are small; no map is built), type-checks the value,
// and records a problem naming the field when it is of the wrong type. The
// path in a message is computed only when there is a problem.

// first returns the first key (object) or element (array) node of
// container c, or 0 when it is empty.
func (d *Doc) first(c int32) int32 {
	if f := c + 1; int(f) < len(d.tape) && d.tape[f].start < d.tape[c].end {
		return f
	}
	return 0
}

// count returns the number of keys or elements of container c.
func (d *Doc) count(c int32) int {
	n := 0
	for k := d.first(c); k != 0; k = d.tape[k].next {
		n++
	}
	return n
}

// raw returns node n's bytes, capped so that appending cannot write into
// the body.
func (d *Doc) raw(n int32) json.RawMessage {
	nd := d.tape[n]
	return d.body[nd.start:nd.end:nd.end]
}

// inner returns string node n's bytes between the quotes.
func (d *Doc) inner(n int32) []byte {
	nd := d.tape[n]
	return d.body[nd.start+1 : nd.end-1]
}

// str returns string node n decoded, as a new string.
func (d *Doc) str(n int32) string {
	if d.tape[n].esc {
		return unescape(d.inner(n))
	}
	return string(d.inner(n))
}

// parent returns the object or array that holds node n, or -1 for the
// body: the last container before n whose bytes hold n's. Only messages
// need it, so the tape does not store it.
func (d *Doc) parent(n int32) int32 {
	for p := n - 1; p >= 0; p-- {
		if c := d.tape[p]; (c.kind == '{' || c.kind == '[') && c.end >= d.tape[n].end {
			return p
		}
	}
	return -1
}

// path returns node n's location for messages: "" for the body,
// "alert.details", "alerts[1]".
func (d *Doc) path(n int32) string {
	p := d.parent(n)
	if p < 0 {
		return ""
	}
	if d.tape[p].kind == '{' {
		return join(d.path(p), string(d.decoded(n-1)))
	}
	i := 0
	for e := d.first(p); e != n; e = d.tape[e].next {
		i++
	}
	return fmt.Sprintf("%s[%d]", d.path(p), i)
}

// Path returns o's location for messages ("" for the body, "alert",
// "alerts[1]").
func (o Object) Path() string {
	if o.Doc == nil {
		return ""
	}
	return o.Doc.path(o.n)
}

// Field returns the path of key inside o, for messages.
func (o Object) Field(key string) string { return join(o.Path(), key) }

// Bytes returns the object's JSON exactly as it appears in the body (all
// of the body for the top-level object).
func (o Object) Bytes() []byte {
	if o.Doc == nil {
		return nil
	}
	if o.n == 0 {
		return o.Doc.body
	}
	return o.Doc.raw(o.n)
}

// find returns the value node of key, or 0 when o has no such key.
func (o Object) find(key string) int32 {
	d := o.Doc
	if d == nil {
		return 0
	}
	for k := d.first(o.n); k != 0; k = d.tape[k].next {
		nd := &d.tape[k]
		if nd.esc {
			if string(d.decoded(k)) == key {
				return k + 1
			}
		} else if int(nd.end-nd.start-2) == len(key) && string(d.body[nd.start+1:nd.end-1]) == key {
			return k + 1
		}
	}
	return 0
}

// value returns the node of key's value, or 0 when it is absent or null.
func (o Object) value(key string) int32 {
	v := o.find(key)
	if v == 0 || o.Doc.tape[v].kind == 'n' {
		return 0
	}
	return v
}

// Raw returns key's raw value, or nil when it is absent or null. It
// aliases the body.
func (o Object) Raw(key string) json.RawMessage {
	if v := o.value(key); v != 0 {
		return o.Doc.raw(v)
	}
	return nil
}

// Has reports whether key is present and not null.
func (o Object) Has(key string) bool { return o.value(key) != 0 }

// Len is the number of keys.
func (o Object) Len() int {
	if o.Doc == nil {
		return 0
	}
	return o.Doc.count(o.n)
}

// Keys returns the keys in the order they appear in the body.
func (o Object) Keys() []string {
	if o.Doc == nil {
		return nil
	}
	var out []string
	for k := o.Doc.first(o.n); k != 0; k = o.Doc.tape[k].next {
		out = append(out, o.Doc.str(k))
	}
	return out
}

// Members yields each key of o, decoded, with its raw value (null
// included), in body order. The key aliases the body when it holds no
// escape: compare or copy it, never keep it.
func (o Object) Members() iter.Seq2[[]byte, json.RawMessage] {
	return func(yield func([]byte, json.RawMessage) bool) {
		if o.Doc == nil {
			return
		}
		for k := o.Doc.first(o.n); k != 0; k = o.Doc.tape[k].next {
			if !yield(o.Doc.decoded(k), o.Doc.raw(k+1)) {
				return
			}
		}
	}
}

// text returns the node of key's string value, or ok false when key is
// absent, null or not a string (the last recorded).
func (o Object) text(key string) (v int32, ok bool) {
	if v = o.value(key); v == 0 {
		return 0, false
	}
	if o.Doc.tape[v].kind != '"' {
		o.Doc.Fail(o.Field(key), "want string, got %s", Describe(o.Doc.raw(v)))
		return 0, false
	}
	return v, true
}

// Str decodes key as a string. Absent or null gives "".
func (o Object) Str(key string) string {
	if v, ok := o.text(key); ok {
		return o.Doc.str(v)
	}
	return ""
}

// View is Str without the copy: the bytes alias the body (or are a decoded
// copy when the string holds an escape). They are for comparing, never to
// keep. Absent or null gives nil.
func (o Object) View(key string) []byte {
	if v, ok := o.text(key); ok {
		return o.Doc.decoded(v)
	}
	return nil
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

// Int64 decodes key as an integer that fits in int64 (epoch milliseconds
// and nanoseconds do; a float64 would lose the nanoseconds). ok is false
// when key is absent or null.
func (o Object) Int64(key string) (n int64, ok bool) {
	v := o.value(key)
	if v == 0 {
		return 0, false
	}
	raw := o.Doc.raw(v)
	if o.Doc.tape[v].kind == '0' {
		if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return n, true
		}
	}
	o.Doc.Fail(o.Field(key), "want integer, got %s", Describe(raw))
	return 0, false
}

// array returns key's array node, or ok false when key is absent, null
// or not an array (the last recorded).
func (o Object) array(key, want string) (int32, bool) {
	v := o.value(key)
	if v == 0 {
		return 0, false
	}
	if o.Doc.tape[v].kind != '[' {
		o.Doc.Fail(o.Field(key), "want %s, got %s", want, Describe(o.Doc.raw(v)))
		return 0, false
	}
	return v, true
}

// Strs decodes key as an array of strings. Absent or null gives nil.
func (o Object) Strs(key string) []string {
	a, ok := o.array(key, "array of strings")
	if !ok {
		return nil
	}
	d := o.Doc
	n, size := 0, 0
	for e := d.first(a); e != 0; e = d.tape[e].next {
		if d.tape[e].kind != '"' {
			d.Fail(d.path(e), "want string, got %s", Describe(d.raw(e)))
			return nil
		}
		n, size = n+1, size+len(d.inner(e))
	}
	var b strings.Builder
	b.Grow(size)
	for e := d.first(a); e != 0; e = d.tape[e].next {
		d.writeStr(&b, e)
	}
	all := b.String()
	out := make([]string, 0, n)
	for e := d.first(a); e != 0; e = d.tape[e].next {
		var s string
		s, all = d.cut(all, e)
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
	d := o.Doc
	for k := d.first(sub.n); k != 0; k = d.tape[k].next {
		if d.tape[k+1].kind != '"' {
			d.Fail(d.path(k+1), "want string, got %s", Describe(d.raw(k+1)))
			return nil
		}
	}
	if m := sub.StrFields(nil); m != nil {
		return m
	}
	return map[string]string{}
}

// StrFields decodes into a map the members of o whose value is a string
// and for which keep, given the decoded key and value, is true (a nil keep
// keeps them all); nil when there are none. keep is called more than once
// per member and must not keep its arguments. Unlike StrMap, other values
// are skipped, not refused.
func (o Object) StrFields(keep func(key, val []byte) bool) map[string]string {
	d := o.Doc
	if d == nil {
		return nil
	}
	kept := func(k int32) bool {
		return d.tape[k+1].kind == '"' && (keep == nil || keep(d.decoded(k), d.decoded(k+1)))
	}
	n, size := 0, 0
	for k := d.first(o.n); k != 0; k = d.tape[k].next {
		if kept(k) {
			n, size = n+1, size+len(d.inner(k))+len(d.inner(k+1))
		}
	}
	if n == 0 {
		return nil
	}
	var b strings.Builder
	b.Grow(size)
	for k := d.first(o.n); k != 0; k = d.tape[k].next {
		if kept(k) {
			d.writeStr(&b, k)
			d.writeStr(&b, k+1)
		}
	}
	all := b.String()
	out := make(map[string]string, n)
	for k := d.first(o.n); k != 0; k = d.tape[k].next {
		if kept(k) {
			var key, val string
			key, all = d.cut(all, k)
			val, all = d.cut(all, k+1)
			out[key] = val
		}
	}
	return out
}

// Strs, StrMap and StrFields decode all the strings of an array or object
// into one new string and hand them out as substrings of it: one
// allocation for strings that live and die together in an Event anyway.

// writeStr writes string node n decoded to b.
func (d *Doc) writeStr(b *strings.Builder, n int32) {
	if d.tape[n].esc {
		b.WriteString(unescape(d.inner(n)))
	} else {
		b.Write(d.inner(n))
	}
}

// cut splits string node n, decoded, off the front of all.
func (d *Doc) cut(all string, n int32) (s, rest string) {
	l := len(d.inner(n))
	if d.tape[n].esc {
		l = len(unescape(d.inner(n)))
	}
	return all[:l], all[l:]
}

// Obj decodes key as an object. ok is false when key is absent, null or
// not an object (the last is recorded as a problem).
func (o Object) Obj(key string) (Object, bool) {
	v := o.value(key)
	if v == 0 {
		return Object{}, false
	}
	return o.Doc.object(v)
}

// object checks that node v is an object without duplicate keys.
func (d *Doc) object(v int32) (Object, bool) {
	if d.tape[v].kind != '{' {
		d.Fail(d.path(v), "want object, got %s", Describe(d.raw(v)))
		return Object{}, false
	}
	if k := d.duplicate(v); k != 0 {
		d.Fail(d.path(k+1), "duplicate key")
		return Object{}, false
	}
	return Object{Doc: d, n: v}, true
}

// Objs decodes key as an array of objects. Absent or null gives nil.
func (o Object) Objs(key string) []Object {
	a, ok := o.array(key, "array of objects")
	if !ok {
		return nil
	}
	d := o.Doc
	out := make([]Object, 0, d.count(a))
	for e := d.first(a); e != 0; e = d.tape[e].next {
		sub, ok := d.object(e)
		if !ok {
			return nil
		}
		out = append(out, sub)
	}
	return out
}

// Unknown records a problem for the first key of o not in known.
func (o Object) Unknown(known ...string) {
	d := o.Doc
	if d == nil {
		return
	}
	for k := d.first(o.n); k != 0; k = d.tape[k].next {
		key := d.decoded(k)
		found := false
		for _, x := range known {
			if string(key) == x {
				found = true
				break
			}
		}
		if !found {
			d.Fail(d.path(k+1), "unknown field")
			return
		}
	}
}

// Peek returns key's value when it is a string, without recording a
// problem when it is absent or of another type.
func (o Object) Peek(key string) string {
	if v := o.value(key); v != 0 && o.Doc.tape[v].kind == '"' {
		return o.Doc.str(v)
	}
	return ""
}

// Is reports Peek(key) == want without the copy.
func (o Object) Is(key, want string) bool {
	v := o.value(key)
	if v == 0 || o.Doc.tape[v].kind != '"' {
		return want == ""
	}
	return string(o.Doc.decoded(v)) == want
}
