package rule_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/internal/cputime"
	"github.com/alexis-project/alexis/rule"
)

// loadFiles and loadRules shape the rule directory of the 10,000-rule
// benchmarks: 100 files of 100 rules each.
const (
	loadFiles = 100
	loadRules = 100
)

// loadRule writes rule i of a generated rule set: conditions on tags of one
// of 400 applications, in seven shapes, most with a regular expression on
// the message; a source filter on most; targets_from in three forms; one
// or two ssh tasks whose commands name the application and quote alert
// fields; reactions with templated notes. Applications, services and
// commands repeat (as in a real rule base, where a team writes the same
// restart for many hosts groups), conditions do not.
func loadRule(b *strings.Builder, i int) {
	app := fmt.Sprintf("app%d", i%400)
	svc := []string{"duplicator", "nginx", "postgresql", "kafka", "tomcat", "redis", "haproxy", "sshd"}[i%8]
	env := []string{"Prod", "Day", "Dev", "Staging"}[i%4]
	fmt.Fprintf(b, "  - name: %s-%s-%d\n", app, svc, i)
	fmt.Fprintf(b, "    description: Restart %s for %s when it misbehaves (rule %d).\n", svc, app, i)
	if i%3 != 0 {
		b.WriteString([]string{"    sources: [opsgenie]\n", "    sources: [dynatrace, opsgenie]\n", "    sources: [alertmanager]\n"}[i%3])
	}
	switch i % 7 {
	case 0:
		fmt.Fprintf(b, "    when: |\n      all_tags(\"syn.%s\", \"app:%s\") &&\n      (has_tag(\"syn.day\") || tag(\"Environment\") == \"%s\") &&\n      message matches \"(?i)long garbage.collection time|heap %d\"\n", svc, app, env, i)
	case 1:
		fmt.Fprintf(b, "    when: has_tag(\"app:%s\") && priority in [\"P1\", \"P2\"] && message matches \"%s (down|unreachable) [0-9]+\"\n", app, svc)
	case 2:
		fmt.Fprintf(b, "    when: 'tag(\"app\") == \"%s\" && action == \"Create\" && icontains(description, \"%s\")'\n", app, svc)
	case 3:
		fmt.Fprintf(b, "    when: >\n      any_tag(\"app:%s\", \"service:%s\") && !has_tag(\"maintenance\")\n      && details.ProblemSeverity == \"AVAILABILITY\" && message matches \"(?i)%s.*rule%d\"\n", app, svc, svc, i)
	case 4:
		fmt.Fprintf(b, "    when: source == \"dynatrace\" && \"app:%s\" in tags && json(\"ProblemDetailsJSON.status\") == \"OPEN\" && message matches \"^%s\"\n", app, svc)
	case 5:
		fmt.Fprintf(b, "    when: tag_values.app == \"%s\" && tag_values.env == \"%s\" && message matches \"SERVICE Problem [%d]\"\n", app, strings.ToLower(env), i%10)
	default:
		fmt.Fprintf(b, "    when: |\n      has_tag(\"team:%s\") && (priority == \"P1\" || priority == \"P2\")\n      && message matches \"(?i)(out of memory|oom).*%s\"\n", app, svc)
	}
	switch i % 3 {
	case 0:
		b.WriteString("    targets_from: details.host_regex\n")
	case 1:
		b.WriteString("    targets_from: map(filter(entities, .type == \"HOST\"), .name)\n")
	default:
		b.WriteString("    targets_from: split(details.hosts, \",\")\n")
	}
	b.WriteString("    tasks:\n")
	fmt.Fprintf(b, "      - action: ssh\n        reason: restart-%s\n        command: sudo systemctl restart %s\n        delay_after: 20s\n", svc, svc)
	if i%2 == 0 {
		fmt.Fprintf(b, "      - action: ssh\n        reason: check-%s\n        timeout: 30s\n        command: systemctl is-active %s && logger -t alexis \"%s restarted for {{ .ShortID }} on {{ .Target }}\"\n", svc, svc, svc)
	}
	if i%5 != 0 {
		b.WriteString("    on_success: {note: \"Restarted on {{ .Target }}.\", close: true}\n")
	}
	if i%4 == 0 {
		fmt.Fprintf(b, "    on_failure:\n      team: ops_%s\n      note: \"Could not restart %s ({{ .Target }}: {{ .Error }}).\"\n      tags: [alexis-failed]\n", svc, svc)
	}
	if i%6 == 0 {
		b.WriteString("    limits: {per_target: 2, window: 30m}\n")
	}
}

// writeLoadDir writes nfiles rule files of nrules rules each into dir and
// returns their contents.
func writeLoadDir(tb testing.TB, dir string, nfiles, nrules int) [][]byte {
	tb.Helper()
	var out [][]byte
	for f := 0; f < nfiles; f++ {
		var b strings.Builder
		b.WriteString("defaults:\n  sources: [opsgenie]\n  timeout: 2m\n  on_failure: {team: ops_unix, tags: [alexis]}\n  limits: {per_target: 3, window: 1h}\nrules:\n")
		for r := 0; r < nrules; r++ {
			loadRule(&b, f*nrules+r)
		}
		data := []byte(b.String())
		sub := filepath.Join(dir, fmt.Sprintf("team%02d", f%10))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("rules%03d.yaml", f)), data, 0o644); err != nil {
			tb.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// BenchmarkLoadDir10000 loads 10,000 rules from 100 files with the real
// action registry: reading, YAML, every check, expressions, command and
// note templates. It reports wall (ms/op) and CPU time (cpu-ms/op, user +
// system of every thread) per load, and each as a multiple of the
// baseline measured in the same run, interleaved with the loads: reading
// the same files and parsing them into yaml.Node (x-yaml, cpu-x-yaml).
func BenchmarkLoadDir10000(b *testing.B) {
	dir := b.TempDir()
	writeLoadDir(b, dir, loadFiles, loadRules)
	files, _, err := rule.ListDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	reg := builtin.Registry(builtin.Config{})
	var wall, cpu, baseWall, baseCPU time.Duration
	for b.Loop() {
		w0, c0 := time.Now(), cputime.Self()
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			var n yaml.Node
			if err := yaml.Unmarshal(data, &n); err != nil {
				b.Fatal(err)
			}
		}
		w1, c1 := time.Now(), cputime.Self()
		rs, err := rule.LoadDir(dir, reg)
		if err != nil {
			b.Fatal(err)
		}
		if len(rs.Rules) != loadFiles*loadRules {
			b.Fatalf("loaded %d rules", len(rs.Rules))
		}
		w2, c2 := time.Now(), cputime.Self()
		baseWall += w1.Sub(w0)
		baseCPU += c1 - c0
		wall += w2.Sub(w1)
		cpu += c2 - c1
	}
	n := float64(b.N)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(wall.Milliseconds())/n, "ms/op")
	b.ReportMetric(float64(cpu.Milliseconds())/n, "cpu-ms/op")
	b.ReportMetric(float64(baseWall.Milliseconds())/n, "yaml-ms/op")
	b.ReportMetric(float64(wall)/float64(baseWall), "x-yaml")
	b.ReportMetric(float64(cpu)/float64(baseCPU), "cpu-x-yaml")
}

// BenchmarkSwap10000 measures building the engine's index for the 10,000
// rules (Engine.Swap), once they are loaded.
func BenchmarkSwap10000(b *testing.B) {
	dir := b.TempDir()
	writeLoadDir(b, dir, loadFiles, loadRules)
	rs, err := rule.LoadDir(dir, builtin.Registry(builtin.Config{}))
	if err != nil {
		b.Fatal(err)
	}
	e, err := alexis.New(rs)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := e.Swap(rs); err != nil {
			b.Fatal(err)
		}
	}
}
