package opsgenie_test

import (
	"testing"

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
