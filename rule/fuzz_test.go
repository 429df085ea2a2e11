package rule_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alexis-project/alexis/rule"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, must
// return either rules or positioned errors, and every position must lie in
// the input.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/good/*", "testdata/bad/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("rules:\n  - name: x\n    when: |\n      \"\\u00e9\" == 'a'\n"))
	f.Add([]byte(laughs(4)))
	f.Add([]byte("x-a: &a [*a]\nrules: []\n"))
	reg := testRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := rule.Parse("fuzz.yaml", data, reg)
		if err == nil {
			if rs == nil {
				t.Fatal("nil rule set without error")
			}
			for _, r := range rs.Rules {
				if r.Name == "" || len(r.Tasks) == 0 {
					t.Fatalf("compiled rule without name or tasks: %+v", r)
				}
			}
			return
		}
		var errs rule.Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is not rule.Errors: %T %v", err, err)
		}
		lines := len(rule.Lines(data))
		for _, e := range errs {
			if e.Line < 0 || e.Line > lines || e.Col < 0 || e.File != "fuzz.yaml" || e.Msg == "" {
				t.Fatalf("bad error position or text (input has %d lines): %#v", lines, e)
			}
		}
	})
}

// laughs builds the "billion laughs" document: n levels of ten aliases
// to the level below, 10^n strings once expanded.
func laughs(n int) string {
	var b strings.Builder
	b.WriteString("x-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= n; i++ {
		b.WriteString("x-l" + itoa(i) + ": &l" + itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	b.WriteString("rules:\n  - name: laugh\n    targets: [web-01]\n    tasks:\n      - action: call\n        url: http://127.0.0.1/\n        headers: {a: *l" + itoa(n) + "}\n")
	return b.String()
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestAliasBomb checks that a document whose aliases expand to ten
// billion nodes is refused after a bounded amount of work.
func TestAliasBomb(t *testing.T) {
	_, err := rule.Parse("bomb.yaml", []byte(laughs(9)), testRegistry())
	if err == nil || !strings.Contains(err.Error(), "document too large") {
		t.Fatalf("got %v, want a 'document too large' error", err)
	}
}
