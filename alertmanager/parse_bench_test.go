package alertmanager_test

import (
	"testing"

	"github.com/alexis-project/alexis/alertmanager"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
)

const benchFile = "alertmanager_firing.json"

func BenchmarkParse(b *testing.B) {
	payloadtest.Bench(b, benchFile, func(body []byte) error {
		_, err := alertmanager.Parse(body)
		return err
	})
}

func BenchmarkBaselineUnmarshal(b *testing.B) {
	payloadtest.Bench(b, benchFile, payloadtest.Unmarshal)
}
