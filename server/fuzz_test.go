package server_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/server"
)

// FuzzCheckJSON: CheckJSON never panics, accepts only valid UTF-8 JSON
// objects, and its errors are EINVALID or ETOOLARGE.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a": [1, 2, {"b": "c"}]}`, `{"a": }`, "{\"a\": \"\xff\"}", `[[[[]]]]`, `{} {}`, ``, `"x"`,
		"{\n \"alert\": {\"alertId\": \"x\", }\n}", `{"a": "\u00e9\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := server.CheckJSON(body)
		if err == nil {
			var m map[string]any
			if !utf8.Valid(body) || json.Unmarshal(body, &m) != nil {
				t.Fatalf("accepted %q", body)
			}
			return
		}
		if c := alexis.ErrorCode(err); c != alexis.EINVALID && c != alexis.ETOOLARGE {
			t.Fatalf("code %s for %q: %v", c, body, err)
		}
	})
}
