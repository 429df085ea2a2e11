package alertmanager_test

import (
	"testing"

	"github.com/alexis-project/alexis/alertmanager"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
)

func BenchmarkParse(b *testing.B) {
	payloadtest.Bench(b, payloadtest.Read(b, "alertmanager_firing.json"), func(body []byte) error {
		_, err := alertmanager.Parse(body)
		return err
	})
}
