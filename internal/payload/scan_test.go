package payload

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzScan checks the hand-written splitter against encoding/json: for
// every valid object, the keys and raw values it finds are the ones
// encoding/json finds, and every string value unquotes the same way.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 , "b":[1,{"c":"]}"}], "d\"e":"x\\"y" } `,
		`{"k\u0041":"\u00e9\n","n":-1.5e3,"t":true,"z":null,"o":{"p":[[],{}]}}`,
		`{"a":"}","b":"{","c":"\\","d":[" ] "]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		// Check refuses invalid UTF-8 before any scanning.
		if !utf8.Valid(b) || firstByte(b) != '{' || json.Unmarshal(b, &want) != nil {
			return
		}
		got := map[string]json.RawMessage{}
		n := 0
		members(b, func(key, val []byte) bool {
			got[unquote(key)] = val
			n++
			return true
		})
		if len(got) != len(want) {
			t.Fatalf("keys: got %d, want %d", len(got), len(want))
		}
		for k, w := range want {
			g, ok := got[k]
			if !ok {
				t.Fatalf("key %q missing", k)
			}
			if n == len(want) && !bytes.Equal(bytes.TrimSpace(g), bytes.TrimSpace(w)) {
				t.Fatalf("key %q: got %s, want %s", k, g, w)
			}
			if firstByte(w) == '"' {
				var ws string
				_ = json.Unmarshal(w, &ws)
				if gs := unquote(g); gs != ws {
					t.Fatalf("key %q: unquote %q, want %q", k, gs, ws)
				}
			}
			if firstByte(w) == '[' {
				var we []json.RawMessage
				_ = json.Unmarshal(w, &we)
				ge := elements(g)
				if len(ge) != len(we) {
					t.Fatalf("key %q: %d elements, want %d", k, len(ge), len(we))
				}
				for i := range we {
					if !bytes.Equal(ge[i], bytes.TrimSpace(we[i])) {
						t.Fatalf("key %q[%d]: got %s, want %s", k, i, ge[i], we[i])
					}
				}
			}
		}
	})
}
