package action

import (
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/tidwall/gjson"

	alexis "github.com/alexis-project/alexis"
)

// Mode says where a rendered template lands, and so how every
// interpolation in it is quoted.
type Mode int

// Template modes.
const (
	// Plain inserts values as they are: one argv element of a program run
	// without a shell, an HTTP header value, a non-JSON body.
	Plain Mode = iota
	// Shell quotes values for a POSIX shell command line, according to the
	// quoting context each interpolation stands in.
	Shell
	// URL escapes values for the part of the URL they stand in.
	URL
	// JSON encodes values as JSON strings (or string contents inside a
	// JSON string literal).
	JSON
)

func (m Mode) String() string {
	switch m {
	case Plain:
		return "plain"
	case Shell:
		return "shell"
	case URL:
		return "url"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Template is a parsed action parameter template. It is immutable and safe
// for concurrent use.
type Template struct {
	name string
	text string
	mode Mode
	tmpl *template.Template
}

// data is what a template sees as dot. Its field names are the template
// vocabulary; ParseTemplate checks every field reference against it.
type data struct {
	Target      string
	Source      string
	ID          string
	ShortID     string
	Alias       string
	Action      string
	Message     string
	Description string
	Priority    string
	Tags        []string
	TagValues   map[string]string
	Details     map[string]string
	Entities    []alexis.Entity

	raw []byte
	// wordEmpty is set by the escaper of a value that starts a shell
	// argument: whether the word so far came out empty (see shellCont).
	wordEmpty bool
}

var dataType = reflect.TypeFor[data]()

// Names of the escapers appended to every printing action. They start with
// an underscore and rules may not call them.
const (
	escShell       = "_shell"        // unquoted shell word: '...'
	escShellSingle = "_shell_single" // inside '...'
	escShellDouble = "_shell_double" // inside "..."
	// The same where the value starts an argument: it must not start with "-".
	escShellArg       = "_shell_arg"
	escShellSingleArg = "_shell_single_arg"
	escShellDoubleArg = "_shell_double_arg"
	// The same after values that may all have come out empty: checked
	// only when they did.
	escShellCont       = "_shell_cont"
	escShellSingleCont = "_shell_single_cont"
	escShellDoubleCont = "_shell_double_cont"
	escURLHost         = "_url_host"
	escURLPath         = "_url_path"
	escURLQuery        = "_url_query"
	escJSON            = "_json"        // a JSON value
	escJSONString      = "_json_string" // inside a JSON string literal
	escPlain           = "_plain"       // formats lists as Shell and JSON do, quotes nothing
)

// funcs is the function map of every template. ParseTemplate rewrites
// each call of json to pass the root data ($) first, so that json reads the
// event's raw body without a per-render function map.
var funcs = template.FuncMap{
	"json": func(d *data, path string) string { return gjsonText(gjson.GetBytes(d.raw, path)) },
	"raw":  func(v any) string { return text(v) },

	escShell:           func(v any) (string, error) { return shellWord(text(v)) },
	escShellSingle:     func(v any) (string, error) { return shellInSingle(text(v)) },
	escShellDouble:     func(v any) (string, error) { return shellInDouble(text(v)) },
	escShellArg:        func(d *data, v any) (string, error) { return shellArg(d, text(v), shellWord) },
	escShellSingleArg:  func(d *data, v any) (string, error) { return shellArg(d, text(v), shellInSingle) },
	escShellDoubleArg:  func(d *data, v any) (string, error) { return shellArg(d, text(v), shellInDouble) },
	escShellCont:       func(d *data, v any) (string, error) { return shellCont(d, text(v), shellWord) },
	escShellSingleCont: func(d *data, v any) (string, error) { return shellCont(d, text(v), shellInSingle) },
	escShellDoubleCont: func(d *data, v any) (string, error) { return shellCont(d, text(v), shellInDouble) },
	escURLHost:         func(v any) (string, error) { return urlHost(text(v)) },
	escURLPath:         func(v any) (string, error) { return urlPath(text(v)) },
	escURLQuery:        func(v any) (string, error) { return urlQuery(text(v)), nil },
	escJSON:            jsonValue,
	escJSONString:      func(v any) (string, error) { return jsonInString(text(v)), nil },
	escPlain:           func(v any) string { return text(v) },
}

// gjsonText is the text of a gjson result: a string's value, the JSON text
// of any other value, "" when missing.
func gjsonText(r gjson.Result) string {
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Null:
		return ""
	}
	return r.Raw
}

// text formats an interpolated value: strings as they are, lists of
// strings joined by single spaces, entities by their names, nil as "".
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []string:
		return strings.Join(x, " ")
	case []alexis.Entity:
		names := make([]string, len(x))
		for i, e := range x {
			names[i] = e.Name
		}
		return strings.Join(names, " ")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// ParseTemplate parses text as a template for mode. Field references are
// checked against the template vocabulary (.Target, .Message, ...; keys
// under .Details and .TagValues are free) and functions against json, raw
// and text/template's builtins: anything else is an error now, not when an
// alert arrives. Every printing action gets the mode's escaper appended, so
// values are quoted for where they land; an action whose last command is
// raw is inserted as it is. Errors name the template, line and column.
func ParseTemplate(name, text string, mode Mode) (*Template, error) {
	switch mode {
	case Plain, Shell, URL, JSON:
	default:
		return nil, fmt.Errorf("template %s: unknown mode %d", name, int(mode))
	}
	t, err := template.New(name).Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, cleanErr(err)
	}
	if ts := t.Templates(); len(ts) > 1 {
		return nil, fmt.Errorf("template: %s: {{define}} and {{block}} are not supported", name)
	}
	if t.Tree == nil || t.Tree.Root == nil {
		t, _ = template.New(name).Parse("")
	}
	c := &checker{tree: t.Tree}
	c.list(t.Tree.Root, dataType)
	if c.err != nil {
		return nil, c.err
	}
	if err := escapeTree(t.Tree, mode); err != nil {
		return nil, err
	}
	return &Template{name: name, text: text, mode: mode, tmpl: t}, nil
}

// MustParseTemplate is ParseTemplate for templates written in Go code; it
// panics on error.
func MustParseTemplate(name, text string, mode Mode) *Template {
	t, err := ParseTemplate(name, text, mode)
	if err != nil {
		panic(err)
	}
	return t
}

// startsWithValue reports whether the template's output may start with
// something other than its literal text: its first node (after trimming
// by {{- and comments) is not literal text.
func (t *Template) startsWithValue() bool {
	if t.tmpl.Tree == nil || t.tmpl.Tree.Root == nil || len(t.tmpl.Tree.Root.Nodes) == 0 {
		return false
	}
	nodes := t.tmpl.Tree.Root.Nodes
	n, ok := nodes[0].(*parse.TextNode)
	return !ok || len(n.Text) == 0
}

// Name returns the template's name.
func (t *Template) Name() string { return t.name }

// Text returns the template's source text.
func (t *Template) Text() string { return t.text }

// Mode returns the template's mode.
func (t *Template) Mode() Mode { return t.mode }

// Render fills the template with ev and target. ev may be nil (every field
// empty). A value that cannot be quoted safely (a NUL byte for a shell, a
// host that is no host name in a URL's authority) is an error.
func (t *Template) Render(ev *alexis.Event, target string) (string, error) {
	d := newData(ev, target)
	var b strings.Builder
	if err := t.tmpl.Execute(&b, d); err != nil {
		return "", cleanErr(err)
	}
	return b.String(), nil
}

func newData(ev *alexis.Event, target string) *data {
	d := &data{Target: target}
	if ev == nil {
		return d
	}
	d.Source = string(ev.Source)
	d.ID, d.ShortID, d.Alias, d.Action = ev.ID, ev.ShortID, ev.Alias, ev.Action
	d.Message, d.Description, d.Priority = ev.Message, ev.Description, ev.Priority
	d.Tags, d.TagValues, d.Details, d.Entities = ev.Tags, ev.TagValues, ev.Details, ev.Entities
	if d.TagValues == nil && len(ev.Tags) > 0 {
		d.TagValues = alexis.ParseTags(ev.Tags)
	}
	d.raw = ev.Raw
	return d
}

// cleanErr shortens text/template's error messages: the "template: "
// prefix stays, the escaper names (internal) are replaced by what they do.
func cleanErr(err error) error {
	s := err.Error()
	for _, r := range []struct{ from, to string }{
		{"error calling " + escShellSingleArg + ": ", ""},
		{"error calling " + escShellDoubleArg + ": ", ""},
		{"error calling " + escShellArg + ": ", ""},
		{"error calling " + escShellSingleCont + ": ", ""},
		{"error calling " + escShellDoubleCont + ": ", ""},
		{"error calling " + escShellCont + ": ", ""},
		{"error calling " + escShellSingle + ": ", ""},
		{"error calling " + escShellDouble + ": ", ""},
		{"error calling " + escShell + ": ", ""},
		{"error calling " + escURLHost + ": ", ""},
		{"error calling " + escURLPath + ": ", ""},
		{"error calling " + escJSON + ": ", ""},
	} {
		s = strings.ReplaceAll(s, r.from, r.to)
	}
	for esc := range takesData { // the $ they get is an inner detail
		s = strings.ReplaceAll(s, "<"+esc+" $>", "<"+esc+">")
	}
	return &TemplateError{msg: s, err: err}
}

// TemplateError is an error parsing or rendering a template. Its message
// names the template, line and column.
type TemplateError struct {
	msg string
	err error
}

func (e *TemplateError) Error() string { return e.msg }
func (e *TemplateError) Unwrap() error { return e.err }
