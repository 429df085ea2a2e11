package dynatrace_test

import (
	"testing"

	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
)

func BenchmarkParse(b *testing.B) {
	payloadtest.Bench(b, payloadtest.Read(b, "dynatrace_problem_open.json"), func(body []byte) error {
		_, err := dynatrace.Parse(body)
		return err
	})
}
