package action

import (
	"io"
	"testing"
	"text/template"
)

// BenchmarkRender compares rendering an escaped Shell template with
// executing the same text through plain text/template (the baseline: no
// escapers, no checks), on the same data.
func BenchmarkRender(b *testing.B) {
	const text = `systemctl restart {{ .Details.service }} && logger "alexis {{ .ShortID }}: {{ .Message }}" --tag {{ json "alert.message" }}`
	ev := testEvent()
	b.Run("alexis-shell", func(b *testing.B) {
		t := MustParseTemplate("b", text, Shell)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := t.Render(ev, "web-01"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-text-template", func(b *testing.B) {
		t := template.Must(template.New("b").Funcs(funcs).Parse(
			`systemctl restart {{ .Details.service }} && logger "alexis {{ .ShortID }}: {{ .Message }}" --tag {{ json $ "alert.message" }}`))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := t.Execute(io.Discard, newData(ev, "web-01")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("alexis-parse", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := ParseTemplate("b", text, Shell); err != nil {
				b.Fatal(err)
			}
		}
	})
}
