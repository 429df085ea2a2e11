package ssh

import (
	"strings"
	"testing"
)

func TestCRLFStripper(t *testing.T) {
	tests := []struct {
		writes []string
		want   string
	}{
		{[]string{"a\r\nb\r\n"}, "a\nb\n"},
		{[]string{"a\r", "\nb"}, "a\nb"},
		{[]string{"a\r", "b"}, "a\rb"},
		{[]string{"progress 10%\rprogress 20%\r\n"}, "progress 10%\rprogress 20%\n"},
		{[]string{"\r", "", "\n"}, "\n"},
		{[]string{"x\r\r\n"}, "x\r\n"},
		{[]string{"end\r"}, "end\r"}, // passed on by flush
	}
	for _, tt := range tests {
		var b strings.Builder
		w := &crlfStripper{w: &b}
		for _, s := range tt.writes {
			if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", s, n, err)
			}
		}
		w.flush()
		if b.String() != tt.want {
			t.Errorf("%q: got %q, want %q", tt.writes, b.String(), tt.want)
		}
	}
}
