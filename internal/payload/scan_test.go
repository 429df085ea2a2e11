package payload

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScan(t *testing.T) {
	deep := func(n int) string { return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}" }
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{}`, true}, {" \t\r\n{ } \n", true}, {`{"a":1}`, true},
		{`{"a":[1,-0,0.5,-1.5e3,2E+1,3e-2,true,false,null,"x",{},[]]}`, true},
		{`{"a\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00":"\ud800"}`, true},
		{deep(MaxDepth), true}, {deep(MaxDepth + 1), false},
		{``, false}, {` `, false}, {`[]`, false}, {`"x"`, false}, {`1`, false}, {`null`, false},
		{`{`, false}, {`}`, false}, {`{}}`, false}, {`{} {}`, false}, {`{}x`, false},
		{`{"a"}`, false}, {`{"a":}`, false}, {`{"a" 1}`, false}, {`{a:1}`, false}, {`{'a':1}`, false},
		{`{"a":1,}`, false}, {`{,"a":1}`, false}, {`{"a":1 "b":2}`, false}, {`{"a":[1,]}`, false},
		{`{"a":[,1]}`, false}, {`{"a":[1 2]}`, false}, {`{"a":[}`, false}, {`{"a":{]}`, false},
		{`{"a":01}`, false}, {`{"a":1.}`, false}, {`{"a":.5}`, false}, {`{"a":-}`, false},
		{`{"a":+1}`, false}, {`{"a":1e}`, false}, {`{"a":1e+}`, false}, {`{"a":0x1}`, false},
		{`{"a":tru}`, false}, {`{"a":truex}`, false}, {`{"a":nul}`, false}, {`{"a":True}`, false},
		{`{"a":NaN}`, false}, {`{"a":"\x"}`, false}, {`{"a":"\u12"}`, false}, {`{"a":"\u12G4"}`, false},
		{`{"a":"\'"}`, false}, {"{\"a\":\"\t\"}", false}, {"{\"a\":\"\x00\"}", false}, {`{"a":"x}`, false},
		{`{"a":"x\"}`, false}, {"\xef\xbb\xbf{}", false}, {"\u00a0{}", false}, {"{}\u00a0", false},
	} {
		if _, ok := scan([]byte(tc.body), nil); ok != tc.ok {
			t.Errorf("scan(%.60q) = %v, want %v", tc.body, ok, tc.ok)
		}
		if want := json.Valid([]byte(tc.body)) && firstByte([]byte(tc.body)) == '{' && tooDeep([]byte(tc.body)) < 0; want != tc.ok {
			t.Errorf("test case %.60q: encoding/json says %v", tc.body, want)
		}
	}
}

// FuzzScan checks the one-pass scanner against encoding/json: it accepts a
// body exactly when json.Valid does, the body is an object and it nests at
// most MaxDepth deep; and every object, array and string it records holds
// the keys, values and text encoding/json finds there.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 , "b":[1,{"c":"]}"}], "d\"e":"x\\"y" } `,
		`{"k\u0041":"\u00e9\n","n":-1.5e3,"t":true,"z":null,"o":{"p":[[],{}]}}`,
		`{"a":"}","b":"{","c":"\\","d":[" ] "]}`, `{"a":1,"a":2,"\u0061":3}`,
		`{"s":"\ud83d\ude00 \ud83d \ude00 \ud83dx \ud83d\u0041 \u0000 \/"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > MaxBytes || !utf8.Valid(b) {
			return // Parse refuses these before scanning
		}
		tape, ok := scan(b, nil)
		if want := json.Valid(b) && firstByte(b) == '{' && tooDeep(b) < 0; ok != want {
			t.Fatalf("scan says %v, encoding/json and the depth check %v", ok, want)
		}
		if !ok {
			return
		}
		if len(tape) > maxNodes(b) {
			t.Fatalf("%d nodes, more than maxNodes %d", len(tape), maxNodes(b))
		}
		d := &Doc{body: b, tape: tape}
		for i, nd := range tape {
			n := int32(i)
			if n > 0 && !childOf(d, n, d.parent(n)) {
				t.Fatalf("node %d %s is not a key, value or element of its parent %d", n, d.raw(n), d.parent(n))
			}
			switch nd.kind {
			case '{':
				checkObject(t, d, n)
			case '[':
				var want []json.RawMessage
				if err := json.Unmarshal(d.raw(n), &want); err != nil {
					t.Fatalf("array %s: %v", d.raw(n), err)
				}
				i := 0
				for e := d.first(n); e != 0; e = tape[e].next {
					if i >= len(want) || !bytes.Equal(d.raw(e), want[i]) {
						t.Fatalf("array %s: element %d is %s", d.raw(n), i, d.raw(e))
					}
					i++
				}
				if i != len(want) {
					t.Fatalf("array %s: %d elements, want %d", d.raw(n), i, len(want))
				}
			case '"':
				var want string
				if err := json.Unmarshal(d.raw(n), &want); err != nil {
					t.Fatalf("string %s: %v", d.raw(n), err)
				}
				if got := d.str(n); got != want {
					t.Fatalf("string %s: decoded %q, want %q", d.raw(n), got, want)
				}
				if nd.esc != (bytes.IndexByte(d.raw(n), '\\') >= 0) {
					t.Fatalf("string %s: esc %v", d.raw(n), nd.esc)
				}
			}
		}
	})
}

// childOf reports whether node n is a key, a key's value or an element of
// container p.
func childOf(d *Doc, n, p int32) bool {
	if p < 0 {
		return false
	}
	for k := d.first(p); k != 0; k = d.tape[k].next {
		if k == n || d.tape[p].kind == '{' && k+1 == n {
			return true
		}
	}
	return false
}

// checkObject compares object node n with what encoding/json decodes
// (which keeps the last of duplicate keys) and duplicate with a map.
func checkObject(t *testing.T, d *Doc, n int32) {
	t.Helper()
	var want map[string]json.RawMessage
	if err := json.Unmarshal(d.raw(n), &want); err != nil {
		t.Fatalf("object %s: %v", d.raw(n), err)
	}
	got := map[string]json.RawMessage{}
	var dup string
	for k := d.first(n); k != 0; k = d.tape[k].next {
		key := d.str(k)
		if _, ok := got[key]; ok && dup == "" {
			dup = key
		}
		got[key] = d.raw(k + 1)
	}
	if len(got) != len(want) {
		t.Fatalf("object %s: %d keys, want %d", d.raw(n), len(got), len(want))
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !bytes.Equal(g, bytes.TrimSpace(w)) {
			t.Fatalf("object %s: key %q is %s, want %s", d.raw(n), k, g, w)
		}
	}
	var gotDup string
	if k := d.duplicate(n); k != 0 {
		gotDup = d.str(k)
	}
	if gotDup != dup {
		t.Fatalf("object %s: duplicate %q, want %q", d.raw(n), gotDup, dup)
	}
}

// The hash table that finds duplicates in objects of more than dupSmall
// keys finds the same key as the pairwise comparison.
func TestDuplicateLarge(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13}`, ""},
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"f":0}`, "f"},
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"\u006d":0}`, "m"},
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"x":0,"l":12,"x":1,"a":0}`, "x"},
	} {
		tape, ok := scan([]byte(tc.body), nil)
		if !ok {
			t.Fatalf("scan refused %s", tc.body)
		}
		d := &Doc{body: []byte(tc.body), tape: tape}
		if d.count(0) <= dupSmall {
			t.Fatalf("%s: only %d keys", tc.body, d.count(0))
		}
		var got string
		if k := d.duplicate(0); k != 0 {
			got = d.str(k)
		}
		if got != tc.want {
			t.Errorf("%s: duplicate %q, want %q", tc.body, got, tc.want)
		}
		checkObject(t, d, 0)
	}
}

// maxNodes is an upper bound of the tape's length (and so the size a large
// body's tape is given at once).
func TestMaxNodes(t *testing.T) {
	for _, body := range []string{
		`{}`, `{"a":[]}`, `{"a":[1,2,[3,{}]],"b":{"c":null}}`, `{"a:b,c":"[{"}`, ` { "x" : [ 0 , 0 ] } `,
	} {
		tape, ok := scan([]byte(body), nil)
		if !ok {
			t.Fatalf("scan refused %s", body)
		}
		if n := maxNodes([]byte(body)); len(tape) > n {
			t.Errorf("%s: %d nodes, bound %d", body, len(tape), n)
		}
	}
}
