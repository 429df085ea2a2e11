package writeback

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/alexis-project/alexis"
)

// OutputTail is how much of a task's output a note or comment quotes (the
// end of it, where errors are).
const OutputTail = 2000

// Data is what a note or comment template sees for one matched rule.
type Data struct {
	Rule        string
	Description string
	// Status is the rule's overall status: success, failure, skipped, dry-run.
	Status string
	// Attempt numbers the remediations of this alert or problem (1 for the first).
	Attempt int
	Event   EventData
	Targets []string
	// Runs are the rule's task runs, in order.
	Runs []Run
	// Target, Action, Reason, ExitCode, Duration, Output and Error repeat
	// the run that decided Status: the first failed run, else the last one.
	Target, Action, Reason string
	ExitCode               int
	Duration               time.Duration
	Output                 string
	Error                  string
	// PlanError says why the rule's targets could not be resolved.
	PlanError string
}

// EventData names the event in a note.
type EventData struct {
	Source, ID, ShortID, Alias, Action, Message, Priority string
}

// Run is one task run, with its output redacted and cut to its tail.
type Run struct {
	Target, Action, Reason, Status, Command string
	ExitCode                                int
	Duration                                time.Duration
	Output, Error                           string
}

// New builds the template data of one matched rule of a report.
func New(r *alexis.Report, rule *alexis.Rule, attempt int) Data {
	ev := r.Event
	d := Data{
		Rule:        rule.Name,
		Description: rule.Description,
		Status:      string(r.RuleStatus(rule.Name)),
		Attempt:     attempt,
		Event: EventData{Source: string(ev.Source), ID: ev.ID, ShortID: ev.ShortID, Alias: ev.Alias,
			Action: ev.Action, Message: ev.Message, Priority: ev.Priority},
	}
	for _, m := range r.Plan.Matches {
		if m.Rule == rule.Name {
			d.Targets = m.Targets
			d.PlanError = Redact(m.Error)
		}
	}
	decider := -1
	for i, t := range r.RunsOf(rule.Name) {
		d.Runs = append(d.Runs, Run{Target: t.Target, Action: t.Action, Reason: t.Reason, Status: string(t.Status),
			Command: Redact(t.Command), ExitCode: t.ExitCode, Duration: t.Duration.Round(time.Millisecond),
			Output: Tail(Redact(strings.TrimRight(t.Output, "\r\n")), OutputTail), Error: Redact(t.Error)})
		if t.Status == alexis.StatusFailure && decider < 0 {
			decider = i
		}
	}
	if len(d.Runs) > 0 {
		i := decider
		if i < 0 {
			i = len(d.Runs) - 1
		}
		x := d.Runs[i]
		d.Target, d.Action, d.Reason, d.ExitCode, d.Duration, d.Output, d.Error = x.Target, x.Action, x.Reason, x.ExitCode, x.Duration, x.Output, x.Error
	}
	return d
}

// DefaultNote is the note and comment written when a rule gives none.
const DefaultNote = `Alexis remediation {{.Status}}: rule "{{.Rule}}", attempt {{.Attempt}}
{{- if .PlanError}}
Targets could not be resolved: {{.PlanError}}{{end}}
{{- range .Runs}}
- {{.Target}}{{if .Target}} {{end}}{{.Action}}{{if .Reason}} ({{.Reason}}){{end}}: {{.Status}}, exit {{.ExitCode}}, {{.Duration}}
{{- if .Command}}
  command: {{.Command}}{{end}}
{{- if .Error}}
  error: {{.Error}}{{end}}
{{- if .Output}}
  output:
{{.Output}}{{end}}
{{- end}}`

// Template is a parsed note or comment template. Templates are plain text
// (not going to a shell): fields of Data, no functions but text/template's
// own and "upper", "lower", "join".
type Template struct{ t *template.Template }

var funcs = template.FuncMap{"upper": strings.ToUpper, "lower": strings.ToLower, "join": strings.Join}

// Parse parses a note or comment template; empty text means DefaultNote.
// An unknown field is an error here, at load time, not when a note is due.
func Parse(name, text string) (*Template, error) {
	if strings.TrimSpace(text) == "" {
		text = DefaultNote
	}
	t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	// Execute once against sample data to catch unknown fields now.
	if err := t.Execute(discard{}, sample); err != nil {
		return nil, err
	}
	return &Template{t: t}, nil
}

var sample = Data{Rule: "r", Status: "success", Attempt: 1, Targets: []string{"h"},
	Runs: []Run{{Target: "h", Action: "ssh", Status: "success"}}, Target: "h", Action: "ssh"}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Render fills the template and redacts the result once more, in case a
// template quotes event text that carries a secret.
func (t *Template) Render(d Data) (string, error) {
	var b strings.Builder
	if err := t.t.Execute(&b, d); err != nil {
		return "", err
	}
	return Redact(b.String()), nil
}

// Cache holds parsed templates by text, so a rule's template is parsed once.
type Cache struct{ m sync.Map }

// Render parses text (once) and renders it; a bad template falls back to
// DefaultNote and the parse error is returned with the text rendered.
func (c *Cache) Render(text string, d Data) (string, error) {
	var t *Template
	var perr error
	if v, ok := c.m.Load(text); ok {
		t = v.(*Template)
	} else {
		t, perr = Parse("note", text)
		if perr != nil {
			t, _ = Parse("note", "")
			perr = fmt.Errorf("note template: %w (used the default)", perr)
		} else {
			c.m.Store(text, t)
		}
	}
	s, err := t.Render(d)
	if err != nil {
		return "", err
	}
	return s, perr
}

var redactions = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?s:.*?)(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)`), "[REDACTED PRIVATE KEY]"},
	{regexp.MustCompile(`(?i)\b(authorization|proxy-authorization)(\s*[:=]\s*)[^\r\n]*`), "${1}${2}[REDACTED]"},
	{regexp.MustCompile(`(?i)\b(bearer|basic|geniekey|api-token|token)(\s+)[A-Za-z0-9._~+/=\-]{6,}`), "${1}${2}[REDACTED]"},
	{regexp.MustCompile(`(?i)\b([a-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|credentials?))(\s*[:=]\s*|"\s*:\s*")("[^"\r\n]*"|'[^'\r\n]*'|[^\s"',;&]+)`), "${1}${2}[REDACTED]"},
	{regexp.MustCompile(`\bdt0[a-z][0-9]{2}\.[A-Za-z0-9]+\.[A-Za-z0-9]+`), "[REDACTED]"},
	{regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+@`), "${1}[REDACTED]@"},
}

// Redact hides secrets that commands and their output often carry:
// password=..., token ..., Authorization headers, private key blocks,
// Dynatrace tokens, passwords in URLs.
func Redact(s string) string {
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	return s
}

// Tail keeps the last max runes of s, marking the cut at the start.
func Tail(s string, max int) string {
	n := utf8.RuneCountInString(s)
	if n <= max {
		return s
	}
	marker := fmt.Sprintf("[… %d characters cut]\n", n-max)
	r := []rune(s)
	return marker + string(r[len(r)-max:])
}

// Cut keeps at most max runes of s, replacing the end with a marker when it
// is too long. The result is never longer than max runes.
func Cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	const marker = " […truncated]"
	m := utf8.RuneCountInString(marker)
	r := []rune(s)
	if max <= m {
		return string(r[:max])
	}
	return string(r[:max-m]) + marker
}
