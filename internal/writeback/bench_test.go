package writeback

import (
	"strings"
	"testing"
)

// output is 64 KiB of typical command output with a few secrets in it.
var output = func() string {
	var b strings.Builder
	for b.Len() < 64<<10 {
		b.WriteString("2026-11-29T23:00:01Z INFO duplicator: GC pause 412ms, heap 3.1G/4G, restarting worker pool\n")
		b.WriteString("curl -s -H 'Authorization: Bearer eyJhbGciOi.J9e30.x' http://localhost:8080/health -> 200 OK\n")
		b.WriteString("db connect user=dup password=hunter2 host=db-01 ok\n")
	}
	return b.String()
}()

// clean is 64 KiB of output without anything to redact.
var clean = strings.Repeat("2026-11-29T23:00:01Z INFO duplicator: GC pause 412ms, heap 3.1G/4G, restarting worker pool\n", (64<<10)/91)

// BenchmarkRedact compares redacting 64 KiB of output with one plain
// linear pass over it (strings.ToLower), the floor any scan pays.
func BenchmarkRedact(b *testing.B) {
	b.Run("baseline-tolower", func(b *testing.B) {
		b.SetBytes(int64(len(output)))
		for b.Loop() {
			_ = strings.ToLower(output)
		}
	})
	b.Run("redact-secret-every-other-line", func(b *testing.B) {
		b.SetBytes(int64(len(output)))
		for b.Loop() {
			_ = Redact(output)
		}
	})
	b.Run("redact-clean", func(b *testing.B) {
		b.SetBytes(int64(len(clean)))
		for b.Loop() {
			_ = Redact(clean)
		}
	})
}

// BenchmarkNote compares rendering the default note of a two-run report
// (outputs redacted and cut to their tail when the data is built) with
// building the same text by hand.
func BenchmarkNote(b *testing.B) {
	r, rule := report()
	for i := range r.Runs {
		r.Runs[i].Output = output
	}
	tpl, err := Parse("note", "")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-builder", func(b *testing.B) {
		for b.Loop() {
			var sb strings.Builder
			sb.WriteString("Alexis remediation failure: rule \"duplicator-gc\", attempt 1\n")
			for _, run := range r.Runs[:2] {
				sb.WriteString("- " + run.Target + " " + run.Action + ": " + string(run.Status) + "\n")
				sb.WriteString(Tail(run.Output, OutputTail))
			}
			_ = sb.String()
		}
	})
	b.Run("new+render", func(b *testing.B) {
		for b.Loop() {
			if _, err := tpl.Render(New(r, rule, 1)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
