package rule_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/alexis-project/alexis/rule"
)

// benchFile is a rule file of n rules like the seed's duplicator rule.
func benchFile(n int) []byte {
	var b strings.Builder
	b.WriteString("defaults:\n  sources: [opsgenie]\n  timeout: 2m\n  on_failure: {team: ops_unix}\nrules:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `  - name: duplicator-gc-%d
    description: Restart the duplicator when its GC time is too long.
    when: |
      all_tags("syn.duplicator", "syn.app%d") &&
      (has_tag("syn.day") || tag("Environment") == "Day") &&
      message matches "(?i)long garbage.collection time"
    targets_from: details.host_regex
    tasks:
      - action: remote
        reason: restart
        command: sudo systemctl restart duplicator-%d
        delay_after: 20s
      - action: remote
        command: logger -t alexis "restarted for {{ .ShortID }} on {{ .Details.host_regex }}"
    on_success: {note: "Restarted.", close: true}
    limits: {per_target: 3, window: 1h}
`, i, i, i)
	}
	return []byte(b.String())
}

// BenchmarkYAMLNode is the baseline: parsing the same file into yaml.Node,
// the first step of Parse, with nothing checked or compiled.
func BenchmarkYAMLNode(b *testing.B) {
	data := benchFile(100)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse loads a file of 100 rules: YAML, checks, expressions,
// templates and action parameters.
func BenchmarkParse(b *testing.B) {
	data := benchFile(100)
	reg := testRegistry()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rs, err := rule.Parse("bench.yaml", data, reg)
		if err != nil || len(rs.Rules) != 100 {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseRatio times Parse and the yaml.Node baseline interleaved,
// so that both see the same machine load, and reports Parse's cost as a
// multiple of the baseline (x-yaml) and per rule (ns/rule).
func BenchmarkParseRatio(b *testing.B) {
	data := benchFile(100)
	reg := testRegistry()
	var base, full time.Duration
	for b.Loop() {
		t0 := time.Now()
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := rule.Parse("bench.yaml", data, reg); err != nil {
			b.Fatal(err)
		}
		base += t1.Sub(t0)
		full += time.Since(t1)
	}
	b.ReportMetric(float64(full)/float64(base), "x-yaml")
	b.ReportMetric(float64(full.Nanoseconds())/float64(b.N)/100, "ns/rule")
}
