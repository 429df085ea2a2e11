package opsgenie_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/alexis-project/alexis/internal/payload"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/opsgenie"
)

// largeBody is a Create just under the 1 MiB limit: about 9,000 details.
func largeBody() []byte {
	var b strings.Builder
	b.WriteString(`{"action":"Create","alert":{"alertId":"a","tags":["t:1"],"details":{`)
	for i := 0; b.Len() < payload.MaxBytes-200; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"key-%06d":"%s"`, i, strings.Repeat("v", 100))
	}
	b.WriteString(`}}}`)
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	parse := func(body []byte) error {
		_, err := opsgenie.Parse(body)
		return err
	}
	b.Run("fixture", func(b *testing.B) {
		payloadtest.Bench(b, payloadtest.Read(b, "opsgenie_create_from_dynatrace.json"), parse)
	})
	b.Run("1MiB", func(b *testing.B) { payloadtest.Bench(b, largeBody(), parse) })
}
