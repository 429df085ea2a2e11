package payload

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// StrFields keeps the string members keep accepts, decoded, and skips
// every other value without recording a problem.
func TestStrFields(t *testing.T) {
	o, err := Parse([]byte(`{"a":"x","b":1,"c":null,"d":"","e\u0041":"\u00e9\n","f":["y"],"skip":"z"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Doc.Release()
	got := o.StrFields(func(key, val []byte) bool { return string(key) != "skip" })
	want := map[string]string{"a": "x", "d": "", "eA": "é\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("StrFields (-want +got):\n%s", diff)
	}
	if got := o.StrFields(func(key, val []byte) bool { return false }); got != nil {
		t.Errorf("StrFields keeping nothing = %v, want nil", got)
	}
	if err := o.Doc.Err(); err != nil {
		t.Errorf("problem recorded: %v", err)
	}
}
