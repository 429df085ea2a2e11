package dynatrace_test

import (
	"testing"

	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
)

const benchFile = "dynatrace_problem_open.json"

func BenchmarkParse(b *testing.B) {
	payloadtest.Bench(b, benchFile, func(body []byte) error {
		_, err := dynatrace.Parse(body)
		return err
	})
}

func BenchmarkBaselineUnmarshal(b *testing.B) {
	payloadtest.Bench(b, benchFile, payloadtest.Unmarshal)
}
