package writeback

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var secretWord = regexp.MustCompile(`^[A-Za-z0-9!@#$%^*()_+]{3,40}$`)

// FuzzRedact: a password=SECRET planted in any text does not survive, and
// redacting twice changes nothing more.
func FuzzRedact(f *testing.F) {
	f.Add("restarted duplicator", "hunter2")
	f.Add("-----BEGIN RSA PRIVATE KEY-----\nabc", "s3cr3t!")
	f.Add("Authorization: Bearer x", "tok_123")
	f.Add("é", "ÀÀÀ")
	f.Fuzz(func(t *testing.T, text, secret string) {
		once := Redact(text)
		if twice := Redact(once); twice != once {
			t.Fatalf("not idempotent:\n%q\n%q", once, twice)
		}
		if !secretWord.MatchString(secret) {
			return
		}
		in := text + " password=" + secret + "\n"
		if out := Redact(in); strings.Contains(out, "password="+secret) {
			t.Fatalf("secret survived: %q", out)
		}
	})
}

// FuzzCut: Cut and Tail never exceed their bound (plus Tail's marker) and
// keep valid UTF-8 valid.
func FuzzCut(f *testing.F) {
	f.Add("hello", 3)
	f.Add(strings.Repeat("é", 40), 20)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		c := Cut(s, max)
		if utf8.RuneCountInString(c) > max && utf8.RuneCountInString(s) > max {
			t.Fatalf("Cut(%q, %d) = %q", s, max, c)
		}
		if utf8.ValidString(s) && !utf8.ValidString(c) {
			t.Fatalf("Cut broke UTF-8: %q", c)
		}
		tail := Tail(s, max)
		if utf8.RuneCountInString(s) > max && !strings.HasPrefix(tail, "[… ") {
			t.Fatalf("Tail(%q, %d) = %q", s, max, tail)
		}
	})
}
