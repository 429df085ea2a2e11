package source_test

import (
	"path/filepath"
	"testing"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/source"
)

// The events of every parser own their strings: a caller that reuses the
// body's buffer after Parse (which the server does not do) would still
// find them intact. Only Raw may be the body.
func TestParseDoesNotAliasBody(t *testing.T) {
	var files []string
	for _, dir := range []string{"testdata", "../opsgenie/testdata", "../dynatrace/testdata", "../alertmanager/testdata"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil || len(m) == 0 {
			t.Fatalf("no testdata in %s: %v", dir, err)
		}
		files = append(files, m...)
	}
	for _, p := range files {
		t.Run(p, func(t *testing.T) {
			body := payloadtest.Read(t, filepath.Join("..", p))
			src := source.Detect(body)
			payloadtest.NoAlias(t, body,
				func(b []byte) ([]*alexis.Event, error) { return source.Parse(src, b) },
				func(evs []*alexis.Event) {
					for _, ev := range evs {
						ev.Raw = nil
					}
				})
		})
	}
}
