package opsgenie_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/alexis-project/alexis/internal/payload"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/opsgenie"
)

const benchFile = "opsgenie_create_from_dynatrace.json"

func BenchmarkParse(b *testing.B) {
	payloadtest.Bench(b, benchFile, func(body []byte) error {
		_, err := opsgenie.Parse(body)
		return err
	})
}

func BenchmarkBaselineUnmarshal(b *testing.B) {
	payloadtest.Bench(b, benchFile, payloadtest.Unmarshal)
}

// largeBody is a Create just under the 1 MiB limit: 9,000 details entries.
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

func BenchmarkParseLarge(b *testing.B) {
	body := largeBody()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := opsgenie.Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineUnmarshalLarge(b *testing.B) {
	body := largeBody()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if err := payloadtest.Unmarshal(body); err != nil {
			b.Fatal(err)
		}
	}
}
