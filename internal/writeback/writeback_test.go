package writeback

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mysql -u root --password=hunter2 -e 'x'", "mysql -u root --password=[REDACTED] -e 'x'"},
		{"PASSWORD: s3cr3t!", "PASSWORD: [REDACTED]"},
		{`{"api_key":"abcdef123"}`, `{"api_key":"[REDACTED]"}`},
		{"export DB_PASSWORD='x y'", "export DB_PASSWORD=[REDACTED]"},
		{"curl -H 'Authorization: GenieKey 0f3e-11aa' http://x", "curl -H 'Authorization: [REDACTED]"},
		{"using token abcdef0123456789 now", "using token [REDACTED] now"},
		{"Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Bearer [REDACTED]"},
		{"dt0c01.ABCDEF123.GHIJKL456 leaked", "[REDACTED] leaked"},
		{"fetch https://deploy:pa55@repo.example.com/x", "fetch https://deploy:[REDACTED]@repo.example.com/x"},
		{"a\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\nz", "a\n[REDACTED PRIVATE KEY]\nz"},
		{"cut -----BEGIN RSA PRIVATE KEY-----\nMIIE", "cut [REDACTED PRIVATE KEY]"},
		{"b3BlbnNzaC1rZXk\nAAAA\n-----END OPENSSH PRIVATE KEY-----\nrestarted", "[REDACTED PRIVATE KEY]\nrestarted"},
		{"k1 -----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY----- k2 -----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----", "k1 [REDACTED PRIVATE KEY] k2 [REDACTED PRIVATE KEY]"},
		{"AUTHORIZATION=Basic dXNlcjpwYXNz\nnext line", "AUTHORIZATION=[REDACTED]\nnext line"},
		{"line one\nGENIEKEY 0123456789abcdef\nline three", "line one\nGENIEKEY [REDACTED]\nline three"},
		{"restarted duplicator.jar (pid 4242), GC 41%", "restarted duplicator.jar (pid 4242), GC 41%"},
		{"no tokens here", "no tokens here"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestCutAndTail(t *testing.T) {
	if got := Cut("héllo", 5); got != "héllo" {
		t.Errorf("Cut kept %q", got)
	}
	long := strings.Repeat("é", 100)
	got := Cut(long, 50)
	if n := len([]rune(got)); n != 50 || !strings.HasSuffix(got, "[…truncated]") {
		t.Errorf("Cut = %q (%d runes)", got, n)
	}
	if got := Cut(long, 3); got != "ééé" {
		t.Errorf("Cut to 3 = %q", got)
	}
	tail := Tail("0123456789", 4)
	if tail != "[… 6 characters cut]\n6789" {
		t.Errorf("Tail = %q", tail)
	}
	if Tail("abc", 4) != "abc" {
		t.Error("Tail cut a short string")
	}
}

func TestParseRejectsUnknownField(t *testing.T) {
	for _, bad := range []string{"{{.Rul}}", "{{.Event.Nope}}", "{{nofunc .Rule}}", "{{if}}"} {
		if _, err := Parse("note", bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	tpl, err := Parse("note", `{{.Rule}} on {{join .Targets ","}}: {{upper .Status}} #{{.Attempt}}`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Render(Data{Rule: "gc", Targets: []string{"a", "b"}, Status: "success", Attempt: 2})
	if err != nil || got != "gc on a,b: SUCCESS #2" {
		t.Errorf("Render = %q, %v", got, err)
	}
}

func report() (*alexis.Report, *alexis.Rule) {
	ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: "alert-1", ShortID: "5120", Action: "Create", Message: "Long GC"}
	rule := &alexis.Rule{Name: "duplicator-gc", Description: "restart the duplicator"}
	start := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	r := &alexis.Report{Event: ev, Rules: []*alexis.Rule{rule},
		Plan: alexis.Plan{Event: ev.Key(), Matches: []alexis.Match{{Rule: rule.Name, Targets: []string{"web-01", "web-02"}}}},
		Runs: []alexis.TaskRun{
			{Rule: rule.Name, Target: "web-01", Action: "ssh", Reason: "restart-gc", Command: "systemctl restart duplicator",
				Result: alexis.Result{Status: alexis.StatusSuccess, Output: "restarted\n", Started: start, Duration: 1234567 * time.Microsecond}},
			{Rule: rule.Name, Target: "web-02", Action: "ssh", Reason: "restart-gc", Command: "systemctl restart duplicator",
				Result: alexis.Result{Status: alexis.StatusFailure, ExitCode: 5, Output: "Failed: password=hunter2 rejected\n", Started: start, Duration: 800 * time.Millisecond, Error: "exit status 5"}},
			{Rule: "other", Target: "x", Action: "ssh", Result: alexis.Result{Status: alexis.StatusSuccess}},
		}}
	return r, rule
}

func TestNewPicksFailedRun(t *testing.T) {
	r, rule := report()
	d := New(r, rule, 3)
	if d.Status != "failure" || d.Target != "web-02" || d.ExitCode != 5 || d.Attempt != 3 || len(d.Runs) != 2 {
		t.Errorf("data = %+v", d)
	}
	if strings.Contains(d.Output, "hunter2") {
		t.Errorf("output not redacted: %q", d.Output)
	}
	if diff := cmp.Diff([]string{"web-01", "web-02"}, d.Targets); diff != "" {
		t.Error(diff)
	}
}

func TestDefaultNoteGolden(t *testing.T) {
	r, rule := report()
	tpl, err := Parse("note", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Render(New(r, rule, 1))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "default_note.golden")
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("default note (-want +got):\n%s", diff)
	}
}

func TestCacheFallsBackOnBadTemplate(t *testing.T) {
	var c Cache
	r, rule := report()
	got, err := c.Render("{{.Nope}}", New(r, rule, 1))
	if err == nil || !strings.HasPrefix(got, "Alexis remediation failure") {
		t.Errorf("Render = %q, %v", got, err)
	}
	got, err = c.Render("rule {{.Rule}}", New(r, rule, 1))
	if err != nil || got != "rule duplicator-gc" {
		t.Errorf("Render = %q, %v", got, err)
	}
}

// TestActionVocabulary: a note written with the action templates' fields
// and functions (what the rule loader checks notes against) renders the
// same here.
func TestActionVocabulary(t *testing.T) {
	const text = `{{ .ShortID }} {{ .Action }} {{ .TagValues.app }} {{ .Details.host }} {{ json "alert.tinyId" }} {{ raw .Message }} on {{ .Target }}`
	ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: "a1", ShortID: "5120", Action: "Create", Message: "GC",
		Tags: []string{"app:duplicator"}, Details: map[string]string{"host": "web-01"}, Raw: []byte(`{"alert":{"tinyId":"5120"}}`)}
	want, err := action.MustParseTemplate("note", text, action.Plain).Render(ev, "web-01")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Parse("note", text)
	if err != nil {
		t.Fatal(err)
	}
	rule := &alexis.Rule{Name: "gc"}
	r := &alexis.Report{Event: ev, Rules: []*alexis.Rule{rule}, Plan: alexis.Plan{Matches: []alexis.Match{{Rule: "gc", Targets: []string{"web-01"}}}},
		Runs: []alexis.TaskRun{{Rule: "gc", Target: "web-01", Action: "ssh", Result: alexis.Result{Status: alexis.StatusSuccess}}}}
	got, err := tpl.Render(New(r, rule, 1))
	if err != nil {
		t.Fatal(err)
	}
	if got != want || want != "5120 Create duplicator web-01 5120 GC on web-01" {
		t.Errorf("writeback %q, action %q", got, want)
	}
}

func TestParseCatchesFieldsInUntakenBranches(t *testing.T) {
	for _, bad := range []string{"{{if .Error}}{{.Nope}}{{end}}", "{{if not .Error}}{{.Nope}}{{end}}", "{{range .Runs}}{{.Action}}{{end}}"} {
		if _, err := Parse("note", bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestRedactTailOfLongOutput(t *testing.T) {
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\n" + strings.Repeat("b3BlbnNzaC1rZXktdjEAAAAA\n", 2000) + "-----END OPENSSH PRIVATE KEY-----\n"
	tests := []struct{ name, out string }{
		{"key cut by the margin", strings.Repeat("x", 70000) + key + "done password=hunter2\n"},
		{"secret in the tail", strings.Repeat("log line\n", 20000) + "token abcdef123456\n"},
	}
	for _, tt := range tests {
		got := redactTail(tt.out)
		if strings.Contains(got, "b3BlbnNz") || strings.Contains(got, "hunter2") || strings.Contains(got, "abcdef123456") {
			t.Errorf("%s: secret in %q", tt.name, got[len(got)-200:])
		}
		if n := utf8.RuneCountInString(got); n > OutputTail+40 {
			t.Errorf("%s: %d runes", tt.name, n)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"failed on {{ .Hostname }}", "template: note:1:13: unknown field .Hostname (known: .Source .ID .ShortID .Alias .Action .Message .Description .Priority .Tags .TagValues .Details .Entities .Rule .RuleDescription .Status .Attempt .Targets .Runs .Target .Kind .Reason .ExitCode .Duration .Output .Error .PlanError)"},
		{"{{ range .Runs }}{{ .Action }}{{ end }}", "template: note:1:20: unknown field .Action (known: .Target .Kind .Reason .Status .Command .ExitCode .Duration .Output .Error)"},
		{"{{ range .Entities }}{{ .Host }}{{ end }}", "template: note:1:24: unknown field .Host (known: .Name .ID .Type)"},
		{"{{ .Rule.Name }}", "template: note:1:8: cannot read field .Name of a string value"},
		{"{{ if .Target }}done", "template: note:1: unexpected EOF"},
	}
	for _, tt := range tests {
		_, err := Parse("note", tt.text)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q):\n got %v\nwant %s", tt.text, err, tt.want)
		}
	}
}
