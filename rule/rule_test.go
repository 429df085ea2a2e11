package rule_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/rule"
)

// ruleCmp compares compiled rules: target selectors and conditions by what
// they were compiled from, prepared actions not at all (TestRender checks
// what they do).
var ruleCmp = []cmp.Option{
	cmp.Transformer("selector", selectorText),
	cmp.Transformer("condition", func(c alexis.Condition) string {
		if s, ok := c.(fmt.Stringer); ok {
			return s.String()
		}
		return fmt.Sprintf("%T", c)
	}),
	cmpopts.IgnoreFields(alexis.Task{}, "Run"),
	cmpopts.EquateEmpty(),
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		file string // name given to Parse
		src  string
		want []*alexis.Rule
	}{
		{
			name: "minimal rule takes the documented defaults",
			file: "min.yaml",
			src: `
rules:
  - name: ping
    targets: [web-01]
    tasks:
      - action: remote
        command: uptime
`,
			want: []*alexis.Rule{{
				Name: "ping", Enabled: true, File: "min.yaml", Line: 3,
				Targets: alexis.StaticTargets{"web-01"},
				Tasks:   []alexis.Task{{Action: "remote", Params: alexis.Params{"command": "uptime"}}},
			}},
		},
		{
			name: "JSON is YAML",
			file: "r.json",
			src:  `{"rules": [{"name": "j", "enabled": false, "sources": ["generic"], "when": "id == \"1\"", "tasks": [{"action": "call", "url": "http://127.0.0.1/x", "timeout": "5s"}]}]}`,
			want: []*alexis.Rule{{
				Name: "j", Enabled: false, File: "r.json", Line: 1, Sources: []alexis.Source{"generic"},
				When: condText(`id == "1"`), WhenText: `id == "1"`,
				Tasks:    []alexis.Task{{Action: "call", Params: alexis.Params{"url": "http://127.0.0.1/x"}, Timeout: 5 * time.Second}},
				Requires: alexis.Requirements{Equals: map[string]string{"id": "1"}},
			}},
		},
		{
			name: "every field",
			file: "all.yaml",
			src: `
rules:
  - name: duplicator-gc
    description: Restart the duplicator.
    version: 3
    enabled: true
    sources: [opsgenie, dynatrace]
    when: |
      has_tag("syn.duplicator") && message matches "GC"
    targets_from: details.host_regex
    tasks:
      - action: remote
        reason: restart
        command: sudo systemctl restart duplicator
        user: alexis
        port: 2222
        timeout: 1m
        delay_after: 10s
        continue_on_failure: true
    on_success: {note: "ok", close: true, acknowledge: true}
    on_failure: {team: ops, comment: "failed", escalate: esc, tags: [a, b]}
    escalate_after: 15m
    limits: {per_target: 2, window: 1h, concurrency: 4}
    dry_run: true
`,
			want: []*alexis.Rule{{
				Name: "duplicator-gc", Description: "Restart the duplicator.", Version: "3", Enabled: true,
				File: "all.yaml", Line: 3, Sources: []alexis.Source{"opsgenie", "dynatrace"},
				When:     condText("has_tag(\"syn.duplicator\") && message matches \"GC\"\n"),
				WhenText: "has_tag(\"syn.duplicator\") && message matches \"GC\"\n",
				Targets:  targetsText("details.host_regex"),
				Tasks: []alexis.Task{{
					Action: "remote", Reason: "restart", Timeout: time.Minute, DelayAfter: 10 * time.Second, ContinueOnFailure: true,
					Params: alexis.Params{"command": "sudo systemctl restart duplicator", "user": "alexis", "port": 2222},
				}},
				OnSuccess:     alexis.Reaction{Note: "ok", Close: true, Acknowledge: true},
				OnFailure:     alexis.Reaction{Team: "ops", Comment: "failed", Escalate: "esc", Tags: []string{"a", "b"}},
				EscalateAfter: 15 * time.Minute,
				Limits:        alexis.Limits{PerTarget: 2, Window: time.Hour, Concurrency: 4},
				DryRun:        true,
				Requires:      alexis.Requirements{Tags: []string{"syn.duplicator"}},
			}},
		},
		{
			name: "defaults apply per file and merge key by key",
			file: "d.yaml",
			src: `
defaults:
  sources: [opsgenie]
  timeout: 30s
  on_failure: {team: ops, tags: [x]}
  limits: {window: 2h}
  dry_run: true
rules:
  - name: a
    targets: [h1]
    tasks: [{action: remote, command: a}]
    limits: {per_target: 1}
  - name: b
    sources: dynatrace
    targets: [h2]
    tasks: [{action: remote, command: b, timeout: 1s}]
    on_failure: {note: "n"}
    limits: {per_target: 5, window: 10m}
    dry_run: false
`,
			want: []*alexis.Rule{{
				Name: "a", Enabled: true, File: "d.yaml", Line: 9, Sources: []alexis.Source{"opsgenie"},
				Targets:   alexis.StaticTargets{"h1"},
				Tasks:     []alexis.Task{{Action: "remote", Params: alexis.Params{"command": "a"}, Timeout: 30 * time.Second}},
				OnFailure: alexis.Reaction{Team: "ops", Tags: []string{"x"}},
				Limits:    alexis.Limits{PerTarget: 1, Window: 2 * time.Hour},
				DryRun:    true,
			}, {
				Name: "b", Enabled: true, File: "d.yaml", Line: 13, Sources: []alexis.Source{"dynatrace"},
				Targets:   alexis.StaticTargets{"h2"},
				Tasks:     []alexis.Task{{Action: "remote", Params: alexis.Params{"command": "b"}, Timeout: time.Second}},
				OnFailure: alexis.Reaction{Team: "ops", Note: "n", Tags: []string{"x"}},
				Limits:    alexis.Limits{PerTarget: 5, Window: 10 * time.Minute},
			}},
		},
		{
			name: "an empty file holds no rules",
			file: "empty.yaml",
			src:  "# nothing yet\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := rule.Parse(tt.file, []byte(tt.src), testRegistry())
			if err != nil {
				t.Fatalf("Parse:\n%v", err)
			}
			if diff := cmp.Diff(tt.want, rs.Rules, ruleCmp...); diff != "" {
				t.Errorf("rules mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.file}, rs.Files); diff != "" {
				t.Errorf("Files mismatch (-want +got):\n%s", diff)
			}
			if rs.Prepare == nil || len(rs.Hash) != 64 {
				t.Errorf("Prepare = %v, Hash = %q; want match.Prepare and a sha256", rs.Prepare != nil, rs.Hash)
			}
		})
	}
}

// condText and targetsText stand for compiled expressions in wanted rules;
// ruleCmp compares them by their text.
type condText string

func (c condText) Eval(alexis.Scope) (bool, error) { return false, nil }
func (c condText) String() string                  { return string(c) }

type targetsText string

func (t targetsText) Select(alexis.Scope) ([]string, error) { return nil, nil }
func (t targetsText) String() string                        { return string(t) }

// TestPositions checks that errors inside expressions and templates point
// at the character of the file where the fault was written, whatever the
// YAML style of the scalar.
func TestPositions(t *testing.T) {
	const head = "rules:\n  - name: r\n    targets: [web-01]\n    tasks: [{action: remote, command: uptime}]\n"
	tests := []struct {
		name, body string
		want       string // line:col
	}{
		{"plain", `    when: has_tag("a") && nope`, "5:27"},
		{"plain after multibyte characters", `    when: message == "ünïcödé" && nope`, "5:35"},
		{"double quoted with escapes", `    when: "message == \"\t\u00e9\" && nope"`, "5:39"},
		{"double quoted escaped line break", "    when: \"message == \\\n      'x' && nope\"", "6:14"},
		{"single quoted", `    when: 'message == ''x'' && nope'`, "5:32"},
		{"literal keeps indentation", "    when: |\n      has_tag(\"a\") &&\n        (priority == \"P1\" ||\n         nope)", "8:10"},
		{"literal with blank line", "    when: |\n      has_tag(\"a\")\n\n      && nope", "8:10"},
		{"folded", "    when: >-\n      has_tag(\"a\")\n      && nope", "7:10"},
		{"folded with blank line", "    when: >\n      has_tag(\"a\")\n\n      && nope", "8:10"},
		{"plain over lines", "    when: has_tag(\"a\")\n      &&\n\n      nope", "8:7"},
		{"targets_from", "    targets_from: details.hots + nope", "4:34"},
		{"template in a task", "    when: 'true'\n    tasks:\n      - action: remote\n        command: |\n          echo {{ .Target }}\n          echo {{ .Nope }}", "9:19"},
		{"template in a write-back note", "    on_failure:\n      note: \"It failed: {{ .Message }} {{ .Nope }}\"", "6:43"},
		{"explicit indentation indicator falls back to the scalar", "    when: |2\n        nope", "5:11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head + tt.body + "\n"
			if strings.Contains(tt.body, "targets_from") {
				src = strings.Replace(src, "    targets: [web-01]\n", "", 1)
			}
			if strings.Contains(tt.body, "tasks:") {
				src = strings.Replace(src, "    tasks: [{action: remote, command: uptime}]\n", "", 1)
			}
			_, err := rule.Parse("p.yaml", []byte(src), testRegistry())
			var errs rule.Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("want exactly one rule.Error, got %v", err)
			}
			if got := fmt.Sprintf("%d:%d", errs[0].Line, errs[0].Col); got != tt.want {
				t.Errorf("position %s, want %s\n%s\n%v", got, tt.want, src, err)
			}
		})
	}
}

// TestCRLF checks that Windows line endings change nothing.
func TestCRLF(t *testing.T) {
	src := "rules:\r\n  - name: r\r\n    targets: [web-01]\r\n    tasks: [{action: remote, command: uptime}]\r\n    when: |\r\n      has_tag(\"a\") &&\r\n      bogus\r\n"
	_, err := rule.Parse("crlf.yaml", []byte(src), testRegistry())
	want := `crlf.yaml:7:7: rule "r": when: unknown name bogus`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestDuplicateNamesAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", "rules:\n  - name: restart\n    targets: [web-01]\n    tasks: [{action: remote, command: uptime}]\n")
	b := writeFile(t, dir, "b.yaml", "rules:\n  - name: other\n    targets: [web-01]\n    tasks: [{action: remote, command: uptime}]\n  - name: restart\n    targets: [web-02]\n    tasks: [{action: remote, command: uptime}]\n")
	_, err := rule.LoadFiles(testRegistry(), a, b)
	want := b + `:5:11: rule "restart": name: duplicate rule name; also defined at ` + a + `:2:11`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestLoadFilesReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "rules:\n  - name: x\n    enabled: maybe\n    targets: [web-01]\n    tasks: [{action: remote, command: uptime}]\n")
	missing := filepath.Join(dir, "missing.yaml")
	_, err := rule.LoadFiles(testRegistry(), missing, bad)
	var errs rule.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %T %v, want rule.Errors", err, err)
	}
	got := []string{}
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%s:%d:%d", filepath.Base(e.File), e.Line, e.Col))
	}
	if diff := cmp.Diff([]string{"missing.yaml:0:0", "bad.yaml:3:14"}, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s\n%v", diff, err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		// The read error is kept as text only; make sure it says so.
		if !strings.Contains(errs[0].Msg, "no such file") {
			t.Errorf("read error %q does not say the file is missing", errs[0].Msg)
		}
	}
}

func TestListDirAndLoadDir(t *testing.T) {
	dir := t.TempDir()
	rule1 := "rules:\n  - name: %s\n    targets: [web-01]\n    tasks: [{action: remote, command: uptime}]\n"
	for name, body := range map[string]string{
		"b.yaml":              fmt.Sprintf(rule1, "b"),
		"a.yml":               fmt.Sprintf(rule1, "a"),
		"a/x.json":            `{"rules": [{"name": "ax", "targets": ["web-01"], "tasks": [{"action": "remote", "command": "uptime"}]}]}`,
		"a/y_test.yaml":       "tests: []\n",
		"c_test.yml":          "tests: []\n",
		"testdata/p.json":     `{"not": "a rule"}`,
		".hidden.yaml":        "not: a rule",
		"_draft.yaml":         "not: a rule",
		".git/config.yaml":    "not: a rule",
		"notes.txt":           "not a rule",
		"deep/er/z.yaml":      fmt.Sprintf(rule1, "z"),
		"deep/testdata/q.yml": "not: a rule",
	} {
		writeFile(t, dir, name, body)
	}
	rules, tests, err := rule.ListDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	rel := func(l []string) []string {
		out := make([]string, len(l))
		for i, p := range l {
			r, _ := filepath.Rel(dir, p)
			out[i] = filepath.ToSlash(r)
		}
		return out
	}
	if diff := cmp.Diff([]string{"a.yml", "a/x.json", "b.yaml", "deep/er/z.yaml"}, rel(rules)); diff != "" {
		t.Errorf("rule files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a/y_test.yaml", "c_test.yml"}, rel(tests)); diff != "" {
		t.Errorf("test files (-want +got):\n%s", diff)
	}

	rs, err := rule.LoadDir(dir, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs.Rules {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{"a", "ax", "b", "z"}, names); diff != "" {
		t.Errorf("rule order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(rules, rs.Files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}

	// The hash follows the content and the relative names, not the
	// directory's place.
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	rs2, err := rule.LoadDir(moved, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if rs2.Hash != rs.Hash {
		t.Errorf("hash changed when the directory moved: %s != %s", rs2.Hash, rs.Hash)
	}
	writeFile(t, moved, "b.yaml", fmt.Sprintf(rule1, "b")+"# edited\n")
	rs3, err := rule.LoadDir(moved, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if rs3.Hash == rs.Hash {
		t.Error("hash did not change when a file changed")
	}
	if err := os.Rename(filepath.Join(moved, "b.yaml"), filepath.Join(moved, "bb.yaml")); err != nil {
		t.Fatal(err)
	}
	rs4, err := rule.LoadDir(moved, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if rs4.Hash == rs3.Hash {
		t.Error("hash did not change when a file was renamed")
	}
}

func TestLoadDirWithoutRules(t *testing.T) {
	if _, err := rule.LoadDir(t.TempDir(), testRegistry()); err == nil || alexis.ErrorCode(err) != alexis.EINVALID {
		t.Errorf("empty directory: got %v, want an invalid error", err)
	}
	if _, err := rule.LoadDir(filepath.Join(t.TempDir(), "nope"), testRegistry()); err == nil {
		t.Error("missing directory: got no error")
	}
}

func TestErrorsAs(t *testing.T) {
	_, err := rule.Parse("x.yaml", []byte("rules:\n  - name: x\n    when: bogus\n    tasks: [{action: call, url: 'http://127.0.0.1/'}]\n"), testRegistry())
	var e *rule.Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(*rule.Error) failed on %v", err)
	}
	want := &rule.Error{File: "x.yaml", Line: 3, Col: 11, Rule: "x", Msg: "when: unknown name bogus"}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if alexis.ErrorCode(err) != alexis.EINVALID {
		t.Errorf("ErrorCode = %q", alexis.ErrorCode(err))
	}
}

func TestSecretParameters(t *testing.T) {
	tests := []struct {
		key     string
		refused bool
	}{
		{"password", true}, {"Passphrase", true}, {"api-key", true}, {"github_token", true},
		{"private_key", true}, {"client_secret", true}, {"credentials", true},
		{"password_file", false}, {"token_env", false}, {"private_key_path", false}, {"user", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			src := fmt.Sprintf("rules:\n  - name: s\n    targets: [web-01]\n    tasks:\n      - action: remote\n        command: uptime\n        %s: x\n", tt.key)
			_, err := rule.Parse("s.yaml", []byte(src), testRegistry())
			refused := err != nil && strings.Contains(err.Error(), "secrets must not be written in rule files")
			if refused != tt.refused {
				t.Errorf("refused = %v, want %v: %v", refused, tt.refused, err)
			}
		})
	}
}

// TestDocExample loads the annotated example of the package documentation,
// so that the documented format stays the real one.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "An annotated example:\n")
	block, _, ok2 := strings.Cut(after, "\n//\n// Field by field:")
	if !ok || !ok2 {
		t.Fatal("doc.go has no annotated example")
	}
	var b strings.Builder
	for _, l := range strings.Split(block, "\n") {
		l = strings.TrimPrefix(l, "//")
		b.WriteString(strings.TrimPrefix(l, "\t") + "\n")
	}
	rs, err := rule.Parse("doc.yaml", []byte(b.String()), testRegistry())
	if err != nil {
		t.Fatalf("the documented example does not load:\n%v\n%s", err, b.String())
	}
	if len(rs.Rules) != 1 || rs.Rules[0].Name != "duplicator-gc" || len(rs.Rules[0].Tasks) != 2 {
		t.Errorf("unexpected rules: %+v", describe(rs))
	}
}

// TestPlan runs compiled rules through the Engine: which rules match an
// event and what they would run where.
func TestPlan(t *testing.T) {
	src := `
rules:
  - name: duplicator-gc
    sources: [opsgenie]
    when: all_tags("syn.duplicator") && (has_tag("syn.day") || tag("Environment") == "Day") && message matches "(?i)garbage.collection"
    targets_from: details.host_regex
    tasks:
      - action: remote
        command: logger restarting duplicator on {{ .Target }}
  - name: notify
    when: has_tag("syn.duplicator")
    tasks:
      - action: call
        url: "http://127.0.0.1:9000/alerts/{{ .ID }}?msg={{ .Message }}"
  - name: disabled
    enabled: false
    when: "true"
    tasks: [{action: call, url: "http://127.0.0.1/"}]
`
	rs, err := rule.Parse("plan.yaml", []byte(src), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := alexis.New(rs, alexis.WithDryRun(true))
	if err != nil {
		t.Fatal(err)
	}
	ev := &alexis.Event{
		Source: alexis.SourceOpsGenie, ID: "a1", Action: "Create",
		Message: "Long garbage-collection time on duplicator (day)",
		Tags:    []string{"syn.day", "syn.duplicator"},
		Details: map[string]string{"host_regex": "wayvsymdup01.dev.example.com"},
	}
	want := alexis.Plan{Event: "opsgenie/a1/Create", Matches: []alexis.Match{{
		Rule: "duplicator-gc", DryRun: true, Targets: []string{"wayvsymdup01.dev.example.com"},
		Tasks: []alexis.PlannedTask{{Target: "wayvsymdup01.dev.example.com", Action: "remote",
			Command: "logger restarting duplicator on 'wayvsymdup01.dev.example.com'"}},
	}, {
		Rule: "notify", DryRun: true, Targets: []string{},
		Tasks: []alexis.PlannedTask{{Action: "call",
			Command: "http://127.0.0.1:9000/alerts/a1?msg=Long+garbage-collection+time+on+duplicator+%28day%29"}},
	}}}
	if diff := cmp.Diff(want, eng.Plan(ev)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}

	// An attacker-chosen host is refused at plan time, never run.
	ev.Details["host_regex"] = "web-01; rm -rf /"
	got := eng.Plan(ev)
	if len(got.Matches) == 0 || len(got.Matches[0].Tasks) != 1 || got.Matches[0].Tasks[0].Error == "" {
		t.Errorf("hostile target was not refused: %+v", got)
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadDirConfigMapLayout loads a directory laid out as Kubernetes
// mounts a ConfigMap: the files are symbolic links into a hidden,
// timestamped directory, which must not be read a second time.
func TestLoadDirConfigMapLayout(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "..2024_05_17_13_01_30.123/rules.yaml",
		"rules:\n  - name: cm\n    targets: [web-01]\n    tasks: [{action: remote, command: uptime}]\n")
	if err := os.Symlink("..2024_05_17_13_01_30.123", filepath.Join(dir, "..data")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := os.Symlink(filepath.Join("..data", "rules.yaml"), filepath.Join(dir, "rules.yaml")); err != nil {
		t.Fatal(err)
	}
	rs, err := rule.LoadDir(dir, testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rules) != 1 || rs.Rules[0].Name != "cm" || len(rs.Files) != 1 || filepath.Base(rs.Files[0]) != "rules.yaml" {
		t.Errorf("got rules %v from %v, want cm from rules.yaml", describe(rs), rs.Files)
	}
}

func TestNilRegistry(t *testing.T) {
	_, err := rule.Parse("n.yaml", []byte("rules:\n  - name: n\n    tasks: [{action: http, url: 'http://127.0.0.1/'}]\n"), nil)
	want := `n.yaml:3:22: rule "n": tasks[0].action: unknown action type "http" (no action types are registered)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestJSONPosition checks positions in a JSON rule file, where every
// string is double-quoted with escapes.
func TestJSONPosition(t *testing.T) {
	src := "{\"rules\": [{\"name\": \"j\",\n  \"when\": \"has_tag(\\\"a\\\") && bogus\",\n  \"tasks\": [{\"action\": \"call\", \"url\": \"http://127.0.0.1/\"}]}]}\n"
	_, err := rule.Parse("r.json", []byte(src), testRegistry())
	want := `r.json:2:30: rule "j": when: unknown name bogus`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s\n%s", err, want, src)
	}
}
