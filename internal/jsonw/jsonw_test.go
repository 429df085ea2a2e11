package jsonw_test

import (
	"encoding/json"
	"testing"

	"github.com/alexis-project/alexis/internal/jsonw"
)

// AppendString writes a JSON string that decodes to what encoding/json's
// own encoding of s decodes to (invalid UTF-8 becomes U+FFFD in both).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\s", "\x00\x1f\n\r\t", "<>&\u2028\u2029", "é🙂", "\xff\xe2\x82", "a\xc0\x80b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := jsonw.AppendString([]byte("x"), s)
		if got[0] != 'x' {
			t.Fatal("the prefix was overwritten")
		}
		var g, w string
		if err := json.Unmarshal(got[1:], &g); err != nil {
			t.Fatalf("%q: %v", got[1:], err)
		}
		want, _ := json.Marshal(s)
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if g != w {
			t.Errorf("AppendString(%q) decodes to %q, encoding/json's to %q", s, g, w)
		}
	})
}
