package writeback

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/alexis-project/alexis"
	"github.com/tidwall/gjson"
)

// OutputTail is how much of a task's output a note or comment quotes (the
// end of it, where errors are).
const OutputTail = 2000

// Data is what a note or comment template sees for one matched rule.
//
// Its event fields have the names and meaning of the action templates'
// (package action): .Source .ID .ShortID .Alias .Action .Message
// .Description .Priority .Tags .TagValues .Details .Entities .Target, and
// the functions json and raw work the same, so a note written for either
// renders here. The remediation fields come on top.
type Data struct {
	// The event, as action templates see it. Action is the event's action
	// (Create, OPEN); the task's action type is Kind.
	Source, ID, ShortID, Alias, Action, Message, Description, Priority string
	Tags                                                               []string
	TagValues, Details                                                 map[string]string
	Entities                                                           []alexis.Entity

	Rule            string
	RuleDescription string
	// Status is the rule's overall status: success, failure, skipped, dry-run.
	Status string
	// Attempt numbers the remediations of this alert or problem (1 for the first).
	Attempt int
	Targets []string
	// Runs are the rule's task runs, in order.
	Runs []Run
	// Target, Kind, Reason, ExitCode, Duration, Output and Error repeat
	// the run that decided Status: the first failed run, else the last one.
	Target, Kind, Reason string
	ExitCode             int
	Duration             time.Duration
	Output               string
	Error                string
	// PlanError says why the rule's targets could not be resolved.
	PlanError string

	raw []byte
}

// Run is one task run, with its output redacted and cut to its tail.
type Run struct {
	// Kind is the action type (ssh, exec, http).
	Target, Kind, Reason, Status, Command string
	ExitCode                              int
	Duration                              time.Duration
	Output, Error                         string
}

// New builds the template data of one matched rule of a report.
func New(r *alexis.Report, rule *alexis.Rule, attempt int) Data {
	ev := r.Event
	d := Data{
		Source: string(ev.Source), ID: ev.ID, ShortID: ev.ShortID, Alias: ev.Alias, Action: ev.Action,
		Message: ev.Message, Description: ev.Description, Priority: ev.Priority,
		Tags: ev.Tags, TagValues: ev.TagValues, Details: ev.Details, Entities: ev.Entities, raw: ev.Raw,
		Rule:            rule.Name,
		RuleDescription: rule.Description,
		Status:          string(r.RuleStatus(rule.Name)),
		Attempt:         attempt,
	}
	if d.TagValues == nil && len(ev.Tags) > 0 {
		d.TagValues = alexis.ParseTags(ev.Tags)
	}
	for _, m := range r.Plan.Matches {
		if m.Rule == rule.Name {
			d.Targets = m.Targets
			d.PlanError = Redact(m.Error)
		}
	}
	decider := -1
	for i, t := range r.RunsOf(rule.Name) {
		d.Runs = append(d.Runs, Run{Target: t.Target, Kind: t.Action, Reason: t.Reason, Status: string(t.Status),
			Command: Redact(t.Command), ExitCode: t.ExitCode, Duration: t.Duration.Round(time.Millisecond),
			Output: redactTail(t.Output), Error: Redact(t.Error)})
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
		d.Target, d.Kind, d.Reason, d.ExitCode, d.Duration, d.Output, d.Error = x.Target, x.Kind, x.Reason, x.ExitCode, x.Duration, x.Output, x.Error
	}
	return d
}

// DefaultNote is the note and comment written when a rule gives none.
const DefaultNote = `Alexis remediation {{.Status}}: rule "{{.Rule}}", attempt {{.Attempt}}
{{- if .PlanError}}
Targets could not be resolved: {{.PlanError}}{{end}}
{{- range .Runs}}
- {{.Target}}{{if .Target}} {{end}}{{.Kind}}{{if .Reason}} ({{.Reason}}){{end}}: {{.Status}}, exit {{.ExitCode}}, {{.Duration}}
{{- if .Command}}
  command: {{.Command}}{{end}}
{{- if .Error}}
  error: {{.Error}}{{end}}
{{- if .Output}}
  output:
{{.Output}}{{end}}
{{- end}}`

// Template is a parsed note or comment template. Templates are plain text
// (a note is not a shell command, so nothing is quoted): fields of Data,
// text/template's builtins, json "gjson.path" into the event's raw body,
// raw (kept for templates shared with actions; it changes nothing here),
// and upper, lower, join.
type Template struct{ t *template.Template }

var funcs = template.FuncMap{
	"upper": strings.ToUpper, "lower": strings.ToLower, "join": strings.Join,
	"raw":  func(v any) string { return fmt.Sprint(v) },
	"json": func(string) string { return "" }, // replaced per render
}

// Parse parses a note or comment template; empty text means DefaultNote.
// An unknown field or function is an error here, at load time, not when a
// note is due.
func Parse(name, text string) (*Template, error) {
	if strings.TrimSpace(text) == "" {
		text = DefaultNote
	}
	t, err := template.New(name).Funcs(funcs).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, err
	}
	// Execute against a full and an empty sample to catch unknown fields
	// now, in both branches of most conditionals.
	for _, d := range []Data{full, {}} {
		if err := t.Execute(discard{}, d); err != nil {
			return nil, friendly(err)
		}
	}
	return &Template{t: t}, nil
}

var full = Data{Source: "s", ID: "i", ShortID: "s", Alias: "a", Action: "a", Message: "m", Description: "d",
	Priority: "p", Tags: []string{"a:b"}, TagValues: map[string]string{"a": "b"}, Details: map[string]string{"k": "v"},
	Entities: []alexis.Entity{{Name: "e", ID: "i", Type: "t"}}, Rule: "r", RuleDescription: "d", Status: "success",
	Attempt: 1, Targets: []string{"h"}, Target: "h", Kind: "ssh", Reason: "r", ExitCode: 1, Duration: 1, Output: "o",
	Error: "e", PlanError: "p",
	Runs: []Run{{Target: "h", Kind: "ssh", Reason: "r", Status: "success", Command: "c", ExitCode: 1, Duration: 1, Output: "o", Error: "e"}}}

// execErr is text/template's message for a field that does not exist.
var execErr = regexp.MustCompile(`^(template: .*?:\d+:\d+: )executing ".*?" at <.*?>: can't evaluate field (\w+) in type (\S+)$`)

// friendly rewrites an unknown-field error the way package action words
// it ("template: note:1:2: unknown field .Hostname (known: ...)"), keeping
// its position prefix.
func friendly(err error) error {
	m := execErr.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	var t reflect.Type
	switch m[3] {
	case "writeback.Data":
		t = reflect.TypeFor[Data]()
	case "writeback.Run":
		t = reflect.TypeFor[Run]()
	case "alexis.Entity":
		t = reflect.TypeFor[alexis.Entity]()
	default:
		return fmt.Errorf("%scannot read field .%s of a %s value", m[1], m[2], m[3])
	}
	var names []string
	for f := range t.Fields() {
		if f.IsExported() {
			names = append(names, "."+f.Name)
		}
	}
	return fmt.Errorf("%sunknown field .%s (known: %s)", m[1], m[2], strings.Join(names, " "))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Render fills the template and redacts the result once more, in case a
// template quotes event text that carries a secret.
func (t *Template) Render(d Data) (string, error) {
	tt := t.t
	if len(d.raw) > 0 {
		c, err := t.t.Clone()
		if err != nil {
			return "", err
		}
		raw := d.raw
		tt = c.Funcs(template.FuncMap{"json": func(path string) string { return gjsonText(gjson.GetBytes(raw, path)) }})
	}
	var b strings.Builder
	if err := tt.Execute(&b, d); err != nil {
		return "", err
	}
	return Redact(b.String()), nil
}

// gjsonText is a gjson result as action templates print it: a string's
// value, the JSON text of anything else, "" when missing.
func gjsonText(r gjson.Result) string {
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Null:
		return ""
	}
	return r.Raw
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

// keyBlock is a private key block, or its start when the text was cut.
var keyBlock = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?s:.*?)(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)`)

// keyEnd is the end of a private key block.
var keyEnd = regexp.MustCompile(`-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----`)

const redacted = "[REDACTED PRIVATE KEY]"

// lineRedactions apply within one line. A line is only searched by a
// pattern when it contains one of the pattern's triggers (ASCII
// case-insensitive), which keeps Redact near the speed of one pass over
// the text.
var lineRedactions = []struct {
	triggers []string
	re       *regexp.Regexp
	repl     string
}{
	{[]string{"authorization"}, regexp.MustCompile(`(?i)\b(authorization|proxy-authorization)(\s*[:=]\s*)[^\r\n]*`), "${1}${2}[REDACTED]"},
	{[]string{"bearer", "basic", "geniekey", "api-token", "token"},
		regexp.MustCompile(`(?i)\b(bearer|basic|geniekey|api-token|token)(\s+)[A-Za-z0-9._~+/=\-]{6,}`), "${1}${2}[REDACTED]"},
	{[]string{"password", "passwd", "pwd", "secret", "token", "api_key", "api-key", "apikey", "access_key", "access-key", "accesskey", "credential"},
		regexp.MustCompile(`(?i)\b([a-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|credentials?))(\s*[:=]\s*|"\s*:\s*")("[^"\r\n]*"|'[^'\r\n]*'|[^\s"',;&]+)`), "${1}${2}[REDACTED]"},
	{[]string{"dt0"}, regexp.MustCompile(`\bdt0[a-z][0-9]{2}\.[A-Za-z0-9]+\.[A-Za-z0-9]+`), "[REDACTED]"},
	{[]string{"://"}, regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+@`), "${1}[REDACTED]@"},
}

// Redact hides secrets that commands and their output often carry:
// password=..., token ..., Authorization headers, private key blocks (also
// one whose start or end was cut off), Dynatrace tokens, passwords in URLs.
func Redact(s string) string {
	if strings.Contains(s, "PRIVATE KEY") {
		// An END before any BEGIN: the output's start was cut off inside a
		// key; hide everything up to the END.
		if loc := keyEnd.FindStringIndex(s); loc != nil && !strings.Contains(s[:loc[0]], "-----BEGIN ") {
			s = redacted + s[loc[1]:]
		}
		s = keyBlock.ReplaceAllString(s, redacted)
	}
	low := asciiLower(s)
	var b strings.Builder
	changed := false
	for start := 0; start < len(s); {
		end := strings.IndexByte(s[start:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += start + 1
		}
		line, lowLine := s[start:end], low[start:end]
		orig := line
		for _, r := range lineRedactions {
			if containsAny(lowLine, r.triggers) {
				line = r.re.ReplaceAllString(line, r.repl)
			}
		}
		if line != orig && !changed {
			changed = true
			b.Grow(len(s))
			b.WriteString(s[:start])
		}
		if changed {
			b.WriteString(line)
		}
		start = end
	}
	if !changed {
		return s
	}
	return b.String()
}

// asciiLower lowercases ASCII letters only, so byte offsets stay the same.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// redactMargin is how much text before the quoted tail is redacted with
// it, so that a secret or key block cut by the tail is still recognised.
const redactMargin = 16 << 10

// redactTail returns the redacted tail of a task's output. Only the tail
// and a margin before it are redacted: the output may be 64 KiB and the
// note quotes 2000 characters. A key block whose start falls before the
// margin is still hidden (Redact treats an END without BEGIN as such).
func redactTail(out string) string {
	out = strings.TrimRight(out, "\r\n")
	if cut := len(out) - OutputTail*utf8.UTFMax - redactMargin; cut > 0 {
		for cut < len(out) && !utf8.RuneStart(out[cut]) {
			cut++
		}
		out = out[cut:]
	}
	return Tail(Redact(out), OutputTail)
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
