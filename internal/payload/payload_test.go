package payload

import (
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	long := `"` + strings.Repeat("é", 30) + `"` // 2 bytes a rune: byte 40 is mid-rune
	for raw, want := range map[string]string{
		`{"a":1}`: "object", ` [1] `: "array", `[ ]`: "[]", `[]`: "[]", ``: "nothing",
		`true`: "true", `"x"`: `"x"`, `12.5e3`: "12.5e3",
		long: `"` + strings.Repeat("é", 19) + "…",
	} {
		if got := Describe([]byte(raw)); got != want {
			t.Errorf("Describe(%s) = %q, want %q", raw, got, want)
		}
	}
}

// lineCol takes the offset just past the offending byte, as
// json.SyntaxError reports it, and gives that byte's line and column.
func TestLineCol(t *testing.T) {
	b := []byte("{\n  \"é\": x\n}")
	for off, want := range map[int][2]int{0: {1, 1}, 1: {1, 1}, 3: {2, 1}, 11: {2, 8}, 100: {3, 1}} {
		if l, c := lineCol(b, off); l != want[0] || c != want[1] {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", off, l, c, want[0], want[1])
		}
	}
}
