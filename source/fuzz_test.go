package source_test

import (
	"testing"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/source"
)

// FuzzParse feeds every body to every source (and to Detect): no panic,
// failures are coded *alexis.Errors, successes carry the asked source, an
// ID, and a Raw. Seeds: every file in testdata plus a few generic shapes.
func FuzzParse(f *testing.F) {
	payloadtest.Seeds(f,
		``, `{}`, `{"id":"a","message":"m"}`, `{"id":"a","message":"m","raw":null}`,
		`{"id":"a","message":"m","entities":[{"name":"h","x":1}]}`,
		`{"source":"generic","id":"a","message":"m","tags":["[AWS]Name:web-01"]}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		source.Detect(body)
		for _, src := range alexis.Sources {
			evs, err := source.Parse(src, body)
			if err != nil {
				payloadtest.Coded(t, err)
				continue
			}
			for _, ev := range evs {
				if ev.Source != src || ev.ID == "" && ev.Ignore == "" || len(ev.Raw) == 0 {
					t.Fatalf("%s: bad event %+v", src, ev)
				}
			}
		}
	})
}
