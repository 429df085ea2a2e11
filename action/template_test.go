package action

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	alexis "github.com/alexis-project/alexis"
)

// testEvent is an OpsGenie-like event with a body reachable by gjson.
func testEvent() *alexis.Event {
	return &alexis.Event{
		Source:    alexis.SourceOpsGenie,
		ID:        "70413a06-38d6-4c85-92b8-5ebc900d42e2-1715946120125",
		ShortID:   "1842",
		Alias:     "P-240517133",
		Action:    "Create",
		Message:   "Long GC time on duplicator",
		Priority:  "P3",
		Tags:      []string{"host:web-01", "env:prod", "Dynatrace"},
		TagValues: map[string]string{"host": "web-01", "env": "prod"},
		Details:   map[string]string{"host_regex": "web-0[1-3]", "service": "duplicator"},
		Entities:  []alexis.Entity{{Name: "web-01", Type: "HOST"}, {Name: "web-02", Type: "HOST"}},
		Raw:       []byte(`{"alert":{"message":"Long GC time on duplicator","count":3,"ok":true,"obj":{"a":1}}}`),
	}
}

func render(t *testing.T, text string, mode Mode, ev *alexis.Event, target string) string {
	t.Helper()
	tm, err := ParseTemplate("t", text, mode)
	if err != nil {
		t.Fatalf("ParseTemplate(%q): %v", text, err)
	}
	out, err := tm.Render(ev, target)
	if err != nil {
		t.Fatalf("Render(%q): %v", text, err)
	}
	return out
}

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		text string
		want string
	}{
		// Shell: every interpolation quoted for where it stands.
		{"shell word", Shell, `systemctl restart {{ .Details.service }}`, `systemctl restart 'duplicator'`},
		{"shell target", Shell, `ping -c1 {{ .Target }}`, `ping -c1 'web-01'`},
		{"shell missing key", Shell, `echo {{ .Details.nope }}`, `echo ''`},
		{"shell nil event field", Shell, `echo {{ .Description }}`, `echo ''`},
		{"shell in double quotes", Shell, `echo "alert: {{ .Message }}"`, `echo "alert: Long GC time on duplicator"`},
		{"shell in single quotes", Shell, `echo 'alert: {{ .Message }}'`, `echo 'alert: Long GC time on duplicator'`},
		{"shell concatenated", Shell, `--regex={{ .Details.host_regex }}`, `--regex='web-0[1-3]'`},
		{"shell command substitution", Shell, `echo "$(hostname) {{ .ShortID }}"`, `echo "$(hostname) 1842"`},
		{"shell inside $()", Shell, `x=$(grep {{ .Details.service }} /etc/hosts)`, `x=$(grep 'duplicator' /etc/hosts)`},
		{"shell after a closed comment", Shell, "# restart\nsystemctl restart {{ .Details.service }}", "# restart\nsystemctl restart 'duplicator'"},
		{"shell hash inside a word", Shell, `echo a#{{ .ShortID }}`, `echo a#'1842'`},
		{"shell here-string", Shell, `grep x <<< {{ .Message }}`, `grep x <<< 'Long GC time on duplicator'`},
		{"shell raw", Shell, `{{ raw .Details.service }}`, `duplicator`},
		{"shell raw piped", Shell, `{{ .Details.service | printf "%s.service" | raw }}`, `duplicator.service`},
		{"shell raw not last is quoted", Shell, `{{ raw .Details.service | printf "%s;" }}`, `'duplicator;'`},
		{"shell details key with a dash", Shell, `{{ index .Details "host-name" }}`, `''`},
		{"shell json string", Shell, `echo {{ json "alert.message" }}`, `echo 'Long GC time on duplicator'`},
		{"shell json number", Shell, `echo {{ json "alert.count" }}`, `echo '3'`},
		{"shell json object", Shell, `echo {{ json "alert.obj" }}`, `echo '{"a":1}'`},
		{"shell json missing", Shell, `echo {{ json "alert.nope" }}`, `echo ''`},
		{"shell json piped", Shell, `echo {{ "alert.count" | json }}`, `echo '3'`},
		{"shell tags", Shell, `echo {{ .Tags }}`, `echo 'host:web-01 env:prod Dynatrace'`},
		{"shell entities", Shell, `echo {{ .Entities }}`, `echo 'web-01 web-02'`},
		{"shell range", Shell, `{{ range .Entities }}ping {{ .Name }}; {{ end }}`, `ping 'web-01'; ping 'web-02'; `},
		{"shell range root var", Shell, `{{ range .Entities }}{{ $.ShortID }} {{ end }}`, `'1842' '1842' `},
		{"shell with", Shell, `{{ with .Details.service }}restart {{ . }}{{ else }}true{{ end }}`, `restart 'duplicator'`},
		{"shell if", Shell, `{{ if eq .Priority "P3" }}echo {{ .Priority }}{{ end }}`, `echo 'P3'`},
		{"shell printf", Shell, `echo {{ printf "%s-%s" .Source .ShortID }}`, `echo 'opsgenie-1842'`},
		{"shell index", Shell, `echo {{ index .Details "host_regex" }}`, `echo 'web-0[1-3]'`},
		{"shell assignment prints nothing", Shell, `{{ $s := .Details.service }}echo {{ $s }}`, `echo 'duplicator'`},
		{"shell case at top level", Shell, `case {{ .Priority }} in P1) echo {{ .Message }};; esac`, `case 'P3' in P1) echo 'Long GC time on duplicator';; esac`},
		{"shell after ${}", Shell, `cd "${HOME}/{{ .Details.service }}" && ls ${PWD}{{ .ShortID }}`, `cd "${HOME}/duplicator" && ls ${PWD}'1842'`},
		{"shell after arithmetic", Shell, `echo $(( 1 + (2) )) {{ .ShortID }}; (( x > 1 )) && echo {{ .ShortID }}`, `echo $(( 1 + (2) )) '1842'; (( x > 1 )) && echo '1842'`},
		{"shell after [[ ]]", Shell, `[[ -f /x ]] && echo {{ .ShortID }}`, `[[ -f /x ]] && echo '1842'`},
		{"shell test", Shell, `[ {{ .ShortID }} -eq 3 ] || echo {{ .ShortID }}`, `[ '1842' -eq 3 ] || echo '1842'`},
		{"shell after let", Shell, `let n=1; echo {{ .ShortID }}`, `let n=1; echo '1842'`},
		{"shell after subscript", Shell, `a[1]=x; echo {{ .ShortID }}`, `a[1]=x; echo '1842'`},
		{"shell after ansi-c", Shell, `echo $'\t\\' {{ .ShortID }}`, `echo $'\t\\' '1842'`},
		{"shell tag value", Shell, `echo {{ .TagValues.host }}`, `echo 'web-01'`},

		// URL: by the part of the URL.
		{"url path", URL, `https://api.example.com/hosts/{{ .Message }}/reboot`, `https://api.example.com/hosts/Long%20GC%20time%20on%20duplicator/reboot`},
		{"url query", URL, `https://api.example.com/x?q={{ .Message }}&h={{ .Details.host_regex }}`, `https://api.example.com/x?q=Long+GC+time+on+duplicator&h=web-0%5B1-3%5D`},
		{"url host", URL, `https://{{ .Target }}:8443/health`, `https://web-01:8443/health`},
		{"url fragment", URL, `https://h/x#{{ .ShortID }}`, `https://h/x#1842`},
		{"url slash in path", URL, `https://h/a/{{ .Details.x }}`, `https://h/a/`},
		{"url raw base", URL, `{{ raw .Details.service }}/x?id={{ .ID }}`, `duplicator/x?id=70413a06-38d6-4c85-92b8-5ebc900d42e2-1715946120125`},

		// JSON: a value outside strings, string contents inside.
		{"json value", JSON, `{"m": {{ .Message }}}`, `{"m": "Long GC time on duplicator"}`},
		{"json in string", JSON, `{"m": "alert {{ .ShortID }}: {{ .Message }}"}`, `{"m": "alert 1842: Long GC time on duplicator"}`},
		{"json list", JSON, `{"tags": {{ .Tags }}}`, `{"tags": ["host:web-01","env:prod","Dynatrace"]}`},
		{"json map", JSON, `{{ .TagValues }}`, `{"env":"prod","host":"web-01"}`},
		{"json entities", JSON, `{{ .Entities }}`, `[{"name":"web-01","type":"HOST"},{"name":"web-02","type":"HOST"}]`},
		{"json missing key", JSON, `{"x": {{ .Details.nope }}}`, `{"x": ""}`},
		{"json escaped quote in text", JSON, `{"a\"b": {{ .ShortID }}}`, `{"a\"b": "1842"}`},
		{"json gjson number is a string", JSON, `{"n": {{ json "alert.count" }}}`, `{"n": "3"}`},
		{"json raw number", JSON, `{"n": {{ raw (json "alert.count") }}}`, `{"n": 3}`},

		// Plain: as it is.
		{"plain", Plain, `{{ .Message }} '{{ .ShortID }}'`, `Long GC time on duplicator '1842'`},
		{"plain json", Plain, `{{ json "alert.ok" }}`, `true`},
		{"plain lists", Plain, `{{ .Tags }} / {{ .Entities }}`, `host:web-01 env:prod Dynatrace / web-01 web-02`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.text, tt.mode, testEvent(), "web-01")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s template %q (-want +got):\n%s", tt.mode, tt.text, diff)
			}
		})
	}
}

func TestRenderNilEvent(t *testing.T) {
	got := render(t, `run {{ .Target }} {{ .Message }} {{ .Details.x }} {{ json "a" }}`, Shell, nil, "h1")
	if want := `run 'h1' '' '' ''`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRenderTagValuesDerived(t *testing.T) {
	ev := &alexis.Event{Tags: []string{"host:db-7"}}
	if got := render(t, `{{ .TagValues.host }}`, Plain, ev, ""); got != "db-7" {
		t.Errorf("got %q, want db-7 (derived from Tags when TagValues is nil)", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		text string
		want string // the exact error
	}{
		{"unknown field", Shell, `echo {{ .Mesage }}`,
			`template: t:1:8: unknown field .Mesage (known: .Target .Source .ID .ShortID .Alias .Action .Message .Description .Priority .Tags .TagValues .Details .Entities)`},
		{"unknown field on $", Shell, `{{ $.Nope }}`,
			`template: t:1:4: unknown field .Nope (known: .Target .Source .ID .ShortID .Alias .Action .Message .Description .Priority .Tags .TagValues .Details .Entities)`},
		{"unknown entity field", Shell, `{{ range .Entities }}{{ .Host }}{{ end }}`,
			`template: t:1:24: unknown field .Host (known: .Name .ID .Type)`},
		{"field of a string", Shell, `{{ .Message.Text }}`, `template: t:1:11: cannot read field .Text of a string value`},
		{"field of a list", Shell, `{{ .Entities.Name }}`, `template: t:1:12: cannot read field .Name of a list value`},
		{"unknown function", Shell, `{{ shell .Message }}`, `template: t:1: function "shell" not defined`},
		{"internal escaper", Shell, `{{ _shell .Message }}`, `template: t:1:3: function "_shell" not defined`},
		{"json without path", Shell, `{{ json }}`, `template: t:1:3: json takes one argument, not 0`},
		{"json two paths", Shell, `{{ json "a" "b" }}`, `template: t:1:3: json takes one argument, not 2`},
		{"json piped and argument", Shell, `{{ "a" | json "b" }}`, `template: t:1:9: json takes one argument, not 2`},
		{"raw two", Shell, `{{ raw .ID .Alias }}`, `template: t:1:3: raw takes one argument, not 2`},
		{"syntax", Shell, `{{ .Message `, `template: t:1: unclosed action`},
		{"define", Shell, `{{ define "x" }}y{{ end }}`, `template: t: {{define}} and {{block}} are not supported`},
		{"template call", Shell, `{{ template "x" }}`, `template: t:1:12: {{template}} is not supported`},
		{"backquotes", Shell, "echo `{{ .Message }}`", "template: t:1:9: an interpolation may not stand inside `backquotes`; use $(...)"},
		{"backquotes in double", Shell, "echo \"`{{ .Message }}`\"", "template: t:1:10: an interpolation may not stand inside `backquotes`; use $(...)"},
		{"comment", Shell, "true # {{ .Message }}", "template: t:1:10: an interpolation may not stand in a # comment (a newline in the value would end the comment)"},
		{"backslash", Shell, `echo \{{ .Message }}`, "template: t:1:9: an interpolation may not follow a backslash (it would escape the opening quote)"},
		{"dollar", Shell, `echo ${{ .Message }}`, "template: t:1:9: an interpolation may not follow a $ (write ${NAME} or move the $)"},
		{"heredoc", Shell, "cat <<EOF\n{{ .Message }}\nEOF", "template: t:2:3: an interpolation may not stand in a here-document (the shell expands $(...) there); pass the value as an argument"},
		{"if branches differ", Shell, `{{ if .ID }}'{{ end }}x`, "template: t:1:6: the branches of {{if}} must end in the same quoting (close the quotes you open inside them)"},
		{"range body open quote", Shell, `{{ range .Tags }}"{{ end }}`, "template: t:1:9: the body of {{range}} must end in the quoting it starts in (close the quotes you open inside it)"},
		{"case inside $()", Shell, `echo "$(case x in x) echo {{ .Message }};; esac)"`, "template: t:1:29: an interpolation may not follow a case statement inside $(...) or (...); use if, or move the case out"},
		{"inside ${}", Shell, `echo ${x:-{{ .Message }}}`, "template: t:1:13: an interpolation may not stand inside ${...}; assign it first (v={{ ... }}) and use ${v}"},
		{"inside ${} in double quotes", Shell, `echo "${x:-{{ .Message }}}"`, "template: t:1:14: an interpolation may not stand inside ${...}; assign it first (v={{ ... }}) and use ${v}"},
		{"after quotes in ${}", Shell, `echo "${x:-"}"}" {{ .Message }}`, "template: t:1:20: an interpolation may not follow quotes or $( inside ${...} (shells disagree on where it ends); assign that value to a variable first"},
		{"arithmetic", Shell, `echo $(( {{ .ShortID }} + 1 ))`, "template: t:1:12: an interpolation may not stand in arithmetic ((...)), $((...)) or $[...]: bash evaluates it, and a[$(cmd)] runs cmd"},
		{"arithmetic command", Shell, `(( {{ .ShortID }} > 3 )) && echo hi`, "template: t:1:6: an interpolation may not stand in arithmetic ((...)), $((...)) or $[...]: bash evaluates it, and a[$(cmd)] runs cmd"},
		{"arithmetic via $()", Shell, `echo $(( $(echo {{ .ShortID }}) ))`, "template: t:1:19: an interpolation may not stand in arithmetic ((...)), $((...)) or $[...]: bash evaluates it, and a[$(cmd)] runs cmd"},
		{"old arithmetic", Shell, `echo $[ {{ .ShortID }} ]`, "template: t:1:11: an interpolation may not stand in arithmetic ((...)), $((...)) or $[...]: bash evaluates it, and a[$(cmd)] runs cmd"},
		{"double brackets", Shell, `[[ {{ .ShortID }} -eq 3 ]]`, "template: t:1:6: an interpolation may not stand inside [[ ... ]]: bash evaluates -eq operands as arithmetic, which can run commands; use [ ... ]"},
		{"double brackets quoted", Shell, `[[ "{{ .Message }}" == x ]]`, "template: t:1:7: an interpolation may not stand inside [[ ... ]]: bash evaluates -eq operands as arithmetic, which can run commands; use [ ... ]"},
		{"let", Shell, `let n={{ .ShortID }}`, "template: t:1:9: an interpolation may not stand in a let, declare, typeset or local command: arithmetic evaluation can run commands"},
		{"declare", Shell, `declare -i n={{ .ShortID }}`, "template: t:1:16: an interpolation may not stand in a let, declare, typeset or local command: arithmetic evaluation can run commands"},
		{"subscript", Shell, `a[{{ .ShortID }}]=1`, "template: t:1:5: an interpolation may not stand inside [...] in a word: bash evaluates an array subscript as arithmetic"},
		{"quotes in arithmetic", Shell, `echo $(( "1" )) {{ .ShortID }}`, "template: t:1:19: an interpolation may not follow quotes or backquotes inside arithmetic (where it ends cannot be told for sure)"},
		{"ansi-c quotes", Shell, `echo $'a{{ .ShortID }}'`, "template: t:1:11: an interpolation may not stand inside $'...' (bash interprets backslashes there); use '...'"},
		{"after ansi-c escaped quote", Shell, `echo $'a\'b' {{ .ShortID }}`, "template: t:1:16: an interpolation may not follow \\' inside $'...' (bash and dash disagree on where it ends)"},
		// A node that prints nothing between the two characters of a
		// shell token: bash reads $'\'' (ANSI-C quotes), << (a
		// here-document), ((, [[ or let as one.
		{"comment splits $'", Shell, `echo ${{/* c */}}'\'' {{ .Message }} '#'`, "template: t:1:17: a comment, assignment or {{if}}, {{with}}, {{range}} may not follow \"$\": with the text after it the shell may read one token (like $' or <<) that the quoting cannot follow; move it or put a space before it"},
		{"comment splits <<", Shell, "cat <{{/* c */}}<E\n{{ .Message }}\nE", "template: t:1:16: a comment, assignment or {{if}}, {{with}}, {{range}} may not follow \"<\": with the text after it the shell may read one token (like $' or <<) that the quoting cannot follow; move it or put a space before it"},
		{"comment splits ((", Shell, `({{/* c */}}( {{ .Message }} ))`, "template: t:1:12: a comment, assignment or {{if}}, {{with}}, {{range}} may not follow \"(\": with the text after it the shell may read one token (like $' or <<) that the quoting cannot follow; move it or put a space before it"},
		{"assignment splits [[", Shell, `[{{ $v := 1 }}[ {{ .Message }} ]]`, "template: t:1:4: a comment, assignment or {{if}}, {{with}}, {{range}} may not follow \"[\": with the text after it the shell may read one token (like $' or <<) that the quoting cannot follow; move it or put a space before it"},
		{"if splits backslash", Shell, `echo \{{ if .ID }}{{ end }}'{{ .Message }}'`, "template: t:1:12: a comment, assignment or {{if}}, {{with}}, {{range}} may not follow \"\\\\\": with the text after it the shell may read one token (like $' or <<) that the quoting cannot follow; move it or put a space before it"},
		{"branches end in $", Shell, `{{ if .ID }}echo ${{ else }}echo ${{ end }}'\'' {{ .Message }} '#'`, "template: t:1:43: a comment, assignment or {{if}}, {{with}}, {{range}} may not follow \"$\": with the text after it the shell may read one token (like $' or <<) that the quoting cannot follow; move it or put a space before it"},
		{"range body splits <<", Shell, "cat {{ range .Tags }}<{{ end }}E\n{{ .Message }}\nE", "template: t:1:21: a comment, assignment or {{if}}, {{with}}, {{range}} may not follow \"<\": with the text after it the shell may read one token (like $' or <<) that the quoting cannot follow; move it or put a space before it"},
		{"comment splits let", Shell, `le{{/* c */}}t n={{ .Message }}`, "template: t:1:13: a comment, assignment or {{if}}, {{with}}, {{range}} may not follow \"le\": with the text after it the shell may read the command word let, which the quoting must see whole; move it or put a space before it"},
		{"value continues a name", Shell, `echo "$HOME{{ .Message }}"`, `template: t:1:14: an interpolation may not follow $NAME inside "..." (the value would continue the name); write ${NAME}`},
		{"value continues a name after a comment", Shell, `echo "$HO{{/* c */}}ME{{ .Message }}"`, `template: t:1:25: an interpolation may not follow $NAME inside "..." (the value would continue the name); write ${NAME}`},
		{"value continues a name after {{if}}", Shell, `echo "{{ if .ID }}$HOME{{ end }}{{ .Message }}"`, `template: t:1:35: an interpolation may not follow $NAME inside "..." (the value would continue the name); write ${NAME}`},
		{"continuation joins <<", Shell, "cat <\\\n<EOF\n{{ .Message }}\nEOF", "template: t:3:3: an interpolation may not follow a backslash-newline within a word or token (the shell joins the lines before it reads them, which the quoting does not follow); break the line after a blank"},
		{"continuation joins ${", Shell, "echo \"$\\\n{D:-{{ .Message }}}\"", "template: t:2:7: an interpolation may not follow a backslash-newline within a word or token (the shell joins the lines before it reads them, which the quoting does not follow); break the line after a blank"},
		{"continuation continues a name", Shell, "echo \"$HO\\\nME{{ .Message }}\"", "template: t:2:5: an interpolation may not follow a backslash-newline within a word or token (the shell joins the lines before it reads them, which the quoting does not follow); break the line after a blank"},
		{"continuation after a comment continues a name", Shell, "echo \"$HO{{/* c */}}\\\nME{{ .Message }}\"", "template: t:2:5: an interpolation may not follow a backslash-newline within a word or token (the shell joins the lines before it reads them, which the quoting does not follow); break the line after a blank"},
		{"url scheme", URL, `{{ .Details.url }}`, "template: t:1:3: the scheme and host of a URL must be written out (https://host/...); interpolate only the host, path, query or fragment, or use raw"},
		{"json after backslash", JSON, `{"a": "\{{ .Message }}"}`, "template: t:1:11: an interpolation may not follow a backslash in a JSON string"},
		{"mode", Mode(9), `x`, "template t: unknown mode 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTemplate("t", tt.text, tt.mode)
			if err == nil {
				t.Fatalf("ParseTemplate(%q) succeeded, want error %q", tt.text, tt.want)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name, text string
		mode       Mode
		ev         *alexis.Event
		want       string
	}{
		{"nul in shell", `echo {{ .Message }}`, Shell, &alexis.Event{Message: "a\x00b"},
			`template: t:1:8: executing "t" at <_shell_arg>: the value contains a NUL byte, which a shell command cannot carry`},
		{"nul in double quotes", `echo "{{ .Message }}"`, Shell, &alexis.Event{Message: "\x00"},
			`template: t:1:9: executing "t" at <_shell_double_arg>: the value contains a NUL byte, which a shell command cannot carry`},
		{"bad url host", `https://{{ .Message }}/x`, URL, &alexis.Event{Message: "evil.com/#"},
			`template: t:1:11: executing "t" at <_url_host>: URL host: target "evil.com/#" is not a hostname or an IP address`},
		{"dot-dot path", `https://h/api/{{ .Message }}/x`, URL, &alexis.Event{Message: ".."},
			`template: t:1:17: executing "t" at <_url_path>: URL path segment ".." is refused (it would change the path)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := ParseTemplate("t", tt.text, tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tm.Render(tt.ev, "")
			if err == nil {
				t.Fatalf("Render succeeded, want error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// hostile are alert texts that try to break out of their quotes.
var hostile = []string{
	`x'; touch PWNED #`,
	`$(touch PWNED)`,
	"`touch PWNED`",
	"a\ntouch PWNED\n",
	`"; touch PWNED; "`,
	`\'; touch PWNED; #`,
	`'\''; touch PWNED; '`,
	`${IFS}touch${IFS}PWNED`,
	`$((1+1))$(touch PWNED)`,
	"-rf / ; touch PWNED",
	`*`,
	`~root`,
	"\\",
	`'`,
	`"`,
	"",
	"héllo wörld ☃",
	"a\r\nb\tc\x01\x7f",
	"a[$(touch PWNED)]",
	"x[`touch PWNED`]+1",
}

// TestShellHostile renders hostile messages into shell commands in every
// quoting context and runs them with a real /bin/sh (and bash, the usual
// login shell of remote users, when installed) in a temporary directory:
// nothing may run, and the value must arrive byte for byte.
func TestShellHostile(t *testing.T) {
	shells := []string{lookSh(t)}
	if bash, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, bash)
	}
	same := func(m string) string { return m }
	subst := func(m string) string { return strings.TrimRight(m, "\n") } // $(...) drops trailing newlines
	templates := []struct {
		text     string
		want     func(msg string) string
		bashOnly bool
	}{
		{`printf '%s' {{ .Message }}`, same, false},
		{`printf '%s' "{{ .Message }}"`, same, false},
		{`printf '%s' 'pre{{ .Message }}'`, func(m string) string { return "pre" + m }, false},
		{`printf '%s' "$(printf '%s' {{ .Message }})"`, subst, false},
		{`printf '%s' "$(printf '%s' "{{ .Message }}")"`, subst, false},
		{`v={{ .Message }}; printf '%s' "$v"`, same, false},
		{`v=${HOME:+x}{{ .Message }}; printf '%s' "${v#x}"`, same, false},
		{`printf '%s' {{ .Details.missing }}{{ .Message }}`, same, false},
		{`printf '%s' "{{ .Details.missing }}{{ .Message }}"`, same, false},
		{`printf '%s' '{{ .Details.missing }}'{{ .Message }}`, same, false},
		{`printf '%s' ''{{ .Message }}`, same, false},
		{`printf '%s' {{/* c */}}{{ .Message }}`, same, false},
		{`printf '%s' hi{{/* c */}} {{ .Message }}`, func(m string) string { return "hi" + m }, false},
		{`{{ if .Message }}printf '%s' {{ .Message }}{{ else }}printf ''{{ end }}`, same, false},
		{`[ -n "$HOME" ] && printf '%s' {{ .Message }}`, same, false},
		{`x=$((1+2)); printf '%s' {{ .Message }}`, same, false},
		{`[[ -n x ]] && printf '%s' {{ .Message }}`, same, true},
		{`a[1]=x; printf '%s' {{ .Message }}`, same, true},
		{`printf '%s' $'\x41'{{ .Message }}`, func(m string) string { return "A" + m }, true},
		// After expansions and brace groups.
		{`D=; printf '%s' $D{{ .Message }}`, same, false},
		{`printf '%s' "${HOME:+}{{ .Message }}"`, same, false},
		{`printf '%s' $(true){{ .Message }}`, same, false},
		{`printf '%s' "$(true){{ .Message }}"`, same, false},
		{"printf '%s' `true`{{ .Message }}", same, false},
		{`printf '%s' ~{{ .Message }}`, func(m string) string { return "~" + m }, false},
		{`printf '%s' $''{{ .Message }}`, same, true},
		{`printf '%s' x{,}{{ .Message }}`, func(m string) string { return "x" + m + "x" + m }, true},
		// Line continuations after a blank, ; & or |.
		{"true &&\\\nprintf '%s' \\\n {{ .Message }}", same, false},
	}
	for _, sh := range shells {
		for _, tt := range templates {
			if tt.bashOnly && !strings.HasSuffix(sh, "bash") {
				continue
			}
			testHostile(t, sh, tt.text, tt.want)
		}
	}
}

func testHostile(t *testing.T, sh, text string, want func(string) string) {
	t.Helper()
	tm, err := ParseTemplate("hostile", text, Shell)
	if err != nil {
		t.Fatalf("ParseTemplate(%q): %v", text, err)
	}
	{
		for _, msg := range hostile {
			dir := t.TempDir()
			cmd, err := tm.Render(&alexis.Event{Message: msg}, "")
			if err != nil && strings.HasPrefix(msg, "-") && strings.Contains(err.Error(), "would be read as an option") {
				continue // refused where it would start an argument: fine
			}
			if err != nil {
				t.Fatalf("Render(%q) with %q: %v", text, msg, err)
			}
			if got, want := runSh(t, sh, dir, cmd), want(msg); got != want {
				t.Errorf("%s: template %q, message %q:\n command %q\n printed %q, want %q", sh, text, msg, cmd, got, want)
			}
			if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
				t.Errorf("template %q, message %q: the command %q created PWNED", text, msg, cmd)
			}
		}
	}
}

func TestShellNULRefused(t *testing.T) {
	tm := MustParseTemplate("nul", `touch {{ .Message }}`, Shell)
	if out, err := tm.Render(&alexis.Event{Message: "a\x00; touch PWNED"}, ""); err == nil {
		t.Fatalf("Render with a NUL byte gave %q, want an error", out)
	}
}

func lookSh(t testing.TB) string {
	sh, err := exec.LookPath("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh")
	}
	return sh
}

// runSh runs cmd with sh -c in dir and returns what it printed.
func runSh(t testing.TB, sh, dir, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, sh, "-c", cmd)
	c.Dir = dir
	c.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	out, err := c.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", cmd, err)
	}
	return string(out)
}

// FuzzShellQuote checks that any string without NUL, quoted by ShellQuote
// (and by Shell mode in each quoting context), reaches printf through a
// real shell unchanged.
func FuzzShellQuote(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	sh := lookSh(f)
	word := MustParseTemplate("w", `printf '%s' {{ .Message }}`, Shell)
	double := MustParseTemplate("d", `printf '%s' "{{ .Message }}"`, Shell)
	single := MustParseTemplate("s", `printf '%s' '{{ .Message }}'`, Shell)
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			if _, err := word.Render(&alexis.Event{Message: s}, ""); err == nil {
				t.Fatalf("NUL accepted")
			}
			return
		}
		dir := t.TempDir()
		cmds := []string{"printf '%s' " + ShellQuote(s)}
		for _, tm := range []*Template{word, double, single} {
			c, err := tm.Render(&alexis.Event{Message: s}, "")
			if err != nil && strings.HasPrefix(s, "-") {
				continue // refused where it would start an argument
			}
			if err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, c)
		}
		for _, c := range cmds {
			if got := runSh(t, sh, dir, c); got != s {
				t.Fatalf("%q printed %q, want %q", c, got, s)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("the commands created files in %s", dir)
		}
	})
}

// FuzzParseTemplate feeds rule-file text to the template parser in every
// mode: it must return a template or an error, never panic, and a parsed
// template must render hostile values without panicking.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{
		`systemctl restart {{ .Details.service }}`,
		`echo "{{ .Message }}" '{{ .Message }}' $(x {{ .ID }})`,
		"echo `{{ .Message }}`",
		"cat <<EOF\n{{ .Message }}\nEOF",
		`{{ range .Entities }}{{ .Name }} {{ end }}`,
		`{{ if .ID }}'{{ else }}'{{ end }}{{ .Message }}`,
		`https://{{ .Target }}/a/{{ .Message }}?q={{ .Message }}#{{ .ID }}`,
		`{"m": {{ .Message }}, "s": "x {{ .Message }}\"", "t": {{ .Tags }}}`,
		`{{ json "a.b" | raw }}{{ $x := .ID }}{{ $x }}`,
		`{{ range .Tags }}{{ break }}{{ end }}`,
		`{{ with $.Details.x }}{{ . }}{{ end }}`,
		`ls $D{{ .Message }} "${D}{{ .Message }}" "$D{{ .Message }}" {,a}{{ .Message }} $(x){{ .Message }}`,
		`{{ .Nope }}`, `{{`, `}}`, `{{ template "x" }}`,
	} {
		f.Add(s)
	}
	ev := testEvent()
	ev.Message = "x'; touch PWNED # \" $(id) `id` \\ \n"
	f.Fuzz(func(t *testing.T, text string) {
		for _, m := range []Mode{Plain, Shell, URL, JSON} {
			tm, err := ParseTemplate("fuzz", text, m)
			if err != nil {
				if tm != nil {
					t.Fatalf("%s: both a template and an error", m)
				}
				continue
			}
			_, _ = tm.Render(ev, "web-01")
			_, _ = tm.Render(nil, "")
		}
	})
}

// TestOptionAfterValues: a value after values in the same word starts
// the argument only if they all came out empty; then it is checked when
// the template runs. Otherwise it arrives byte for byte through a real
// shell.
func TestOptionAfterValues(t *testing.T) {
	shells := []string{lookSh(t)}
	if bash, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, bash)
	}
	for _, text := range []string{
		`printf '[%s]' {{ .Details.a }}{{ .Details.b }}{{ .Message }}`,
		`printf '[%s]' "{{ .Details.a }}{{ .Details.b }}{{ .Message }}"`,
		`printf '[%s]' '{{ .Details.a }}'{{ .Details.b }}""{{ .Message }}`,
		`printf '[%s]' {{ .Details.a }}''"{{ .Details.b }}"'{{ .Message }}'`,
	} {
		tm, err := ParseTemplate("t", text, Shell)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", text, err)
		}
		for _, d := range []map[string]string{{"a": "x"}, {"b": "x"}, {"a": "x", "b": "y"}} {
			ev := &alexis.Event{Message: "--version", Details: d}
			cmd, err := tm.Render(ev, "")
			if err != nil {
				t.Errorf("%q with %v: %v", text, d, err)
				continue
			}
			want := "[" + d["a"] + d["b"] + "--version]"
			for _, sh := range shells {
				if got := runSh(t, sh, t.TempDir(), cmd); got != want {
					t.Errorf("%s: %q with %v: %q printed %q, want %q", sh, text, d, cmd, got, want)
				}
			}
		}
		ev := &alexis.Event{Message: "--version", Details: map[string]string{"a": "", "b": ""}}
		if cmd, err := tm.Render(ev, ""); err == nil || !strings.Contains(err.Error(), "would be read as an option") {
			t.Errorf("%q with empty values rendered %q, %v; want it refused", text, cmd, err)
		}
	}
}

// TestOptionValues: a value that starts an argument may not start with
// "-" (rm {{ .X }} with -rf, tar with --checkpoint-action=exec=...),
// unless -- came before it in the command or text before it in the word.
func TestOptionValues(t *testing.T) {
	ev := &alexis.Event{Message: "--checkpoint-action=exec=sh"}
	tests := []struct {
		text string
		want string // "" means refused
	}{
		{`tar cf x {{ .Message }}`, ""},
		{`tar cf x "{{ .Message }}"`, ""},
		{`tar cf x '{{ .Message }}'`, ""},
		{`echo "$(ls {{ .Message }})"`, ""},
		{`rm -- x; ls {{ .Message }}`, ""},
		{`{{ if .ID }}x{{ end }}{{ .Message }}`, ""},
		{`tar cf x -- {{ .Message }}`, `tar cf x -- '--checkpoint-action=exec=sh'`},
		{`tar cf x -- "{{ .Message }}"`, `tar cf x -- "--checkpoint-action=exec=sh"`},
		{`tar cf x ./{{ .Message }}`, `tar cf x ./'--checkpoint-action=exec=sh'`},
		{`tar cf x "./{{ .Message }}"`, `tar cf x "./--checkpoint-action=exec=sh"`},
		{`logger --tag=alexis {{ raw .Message }}`, `logger --tag=alexis --checkpoint-action=exec=sh`},
		{`logger "alert: {{ .Message }}"`, `logger "alert: --checkpoint-action=exec=sh"`},
		{`logger --msg={{ .Message }}`, `logger --msg='--checkpoint-action=exec=sh'`},
		// A value after values that came out empty, or after empty
		// quotes, still starts the argument.
		{`ls {{ .Details.dir }}{{ .Message }}`, ""},
		{`rm "{{ .Details.a }}{{ .Message }}"`, ""},
		{`ls '{{ .Details.dir }}'{{ .Message }}`, ""},
		{`rm ''{{ .Message }}`, ""},
		{`rm ""'{{ .Message }}'`, ""},
		{`ls {{ .Details.a }}"{{ .Details.b }}"{{ .Message }}`, ""},
		{`ls {{ if .ID }}{{ .Details.a }}{{ end }}{{ .Message }}`, ""},
		{"ls \\\n{{ .Message }}", ""},
		{`ls x{{ .Details.a }}{{ .Message }}`, `ls x'''--checkpoint-action=exec=sh'`},
		{`ls ''x{{ .Message }}`, `ls ''x'--checkpoint-action=exec=sh'`},
		{`ls "{{ .Details.a }}x{{ .Message }}"`, `ls "x--checkpoint-action=exec=sh"`},
		// After an expansion or a bash brace group that may leave the
		// word empty so far, or (unquoted) split it, a value starts an
		// argument too.
		{`ls $D{{ .Message }}`, ""},
		{`ls ${D}{{ .Message }}`, ""},
		{`ls ${D:-x}{{ .Message }}`, ""},
		{`ls $1{{ .Message }}`, ""},
		{`ls $@{{ .Message }}`, ""},
		{`ls $(hostname){{ .Message }}`, ""},
		{"ls `hostname`{{ .Message }}", ""},
		{`ls $((1)){{ .Message }}`, ""},
		{`ls $[1]{{ .Message }}`, ""},
		{`ls $''{{ .Message }}`, ""},
		{`ls $'\0'{{ .Message }}`, ""},
		{`ls $""{{ .Message }}`, ""},
		{`ls "$D"{{ .Message }}`, ""},
		{`ls "${D}{{ .Message }}"`, ""},
		{`ls "$(hostname){{ .Message }}"`, ""},
		{"ls \"`hostname`{{ .Message }}\"", ""},
		{`ls "$@"{{ .Message }}`, ""},
		{`ls "$1{{ .Message }}"`, ""},
		{`ls $D''{{ .Message }}`, ""},
		{`ls $D$E{{ .Message }}`, ""},
		{`ls x$D{{ .Message }}`, ""},                // $D may end in a blank
		{`ls --name=$(hostname){{ .Message }}`, ""}, // or hold one
		{`ls "x$@"{{ .Message }}`, ""},              // "$@" is words
		{`ls "x${@}{{ .Message }}"`, ""},
		{`ls "x$(hostname){{ .Message }}"`, ""}, // not split, but checked all the same
		{`ls $D{{/* c */}}{{ .Message }}`, ""},
		{`ls $D{{ .Details.a }}{{ .Message }}`, ""},
		{`ls {{ .Details.a }}$D{{ .Message }}`, ""},
		{`ls {{ if .ID }}$D{{ end }}{{ .Message }}`, ""},
		{`ls $(echo $D{{ .Message }})`, ""},
		{`ls {,x}{{ .Message }}`, ""},
		{`ls {x,}{{ .Message }}`, ""},
		{`ls {x,y}{{ .Message }}`, ""},
		{`ls {x,{{ .Message }}}`, ""},
		{`ls {x,{y,}}{{ .Message }}`, ""},
		{`ls {,$(echo a b)}{{ .Message }}`, ""},
		{`ls {{ .Details.a }}{x,}{{ .Message }}`, ""},
		{`ls $D/{{ .Message }}`, `ls $D/'--checkpoint-action=exec=sh'`},
		{`ls ${D}x{{ .Message }}`, `ls ${D}x'--checkpoint-action=exec=sh'`},
		{`ls "$D"x{{ .Message }}`, `ls "$D"x'--checkpoint-action=exec=sh'`},
		{`ls $D{{ .Details.a }}x{{ .Message }}`, `ls $D''x'--checkpoint-action=exec=sh'`},
		{`ls "${D}/{{ .Message }}"`, `ls "${D}/--checkpoint-action=exec=sh"`},
		{`ls "$(hostname)-{{ .Message }}"`, `ls "$(hostname)---checkpoint-action=exec=sh"`},
		{`ls a$'x'{{ .Message }}`, `ls a$'x''--checkpoint-action=exec=sh'`},
		{`ls ~{{ .Message }}`, `ls ~'--checkpoint-action=exec=sh'`},
		{`ls x{,y}{{ .Message }}`, `ls x{,y}'--checkpoint-action=exec=sh'`},
		{`ls /etc/{a,{{ .Message }}}`, `ls /etc/{a,'--checkpoint-action=exec=sh'}`},
		{`ls --opts=a,{{ .Message }}`, `ls --opts=a,'--checkpoint-action=exec=sh'`},
		{`ls -- $D{{ .Message }}`, `ls -- $D'--checkpoint-action=exec=sh'`},
		{`ls $D {{ .Message }}x`, ""},
		// -- before $(...) does not reach the command inside.
		{`echo -- $(ls {{ .Message }})`, ""},
		{`echo -- "$(ls {{ .Message }})"`, ""},
		{`echo -- $(ls -- {{ .Message }})`, `echo -- $(ls -- '--checkpoint-action=exec=sh')`},
	}
	for _, tt := range tests {
		tm, err := ParseTemplate("t", tt.text, Shell)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", tt.text, err)
		}
		got, err := tm.Render(ev, "")
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q rendered %q, want it refused", tt.text, got)
		case tt.want == "" && !strings.Contains(err.Error(), `starts an argument with "-" and would be read as an option`):
			t.Errorf("%q: %v", tt.text, err)
		case tt.want != "" && err != nil:
			t.Errorf("%q: %v", tt.text, err)
		case tt.want != "" && got != tt.want:
			t.Errorf("%q rendered %q, want %q", tt.text, got, tt.want)
		}
		// Values without a leading dash are never refused.
		if _, err := tm.Render(&alexis.Event{ID: "1", Message: "web-01"}, ""); err != nil {
			t.Errorf("%q with web-01: %v", tt.text, err)
		}
	}
}

// TestOptionAfterExpansions runs, through dash and bash, templates in
// which a shell expansion or a bash brace group stands before the value
// in its word. Where it may leave nothing before the value, or split the
// word right there, the test first shows the attack: the command as it
// would be rendered without the check (the value quoted, nothing more)
// makes the shell pass "--version" as a word of its own. Then Render
// must refuse that value, and a legitimate one must still arrive byte for
// byte. Where literal text certainly comes first, the value starting with
// "-" is accepted and stays inside its word.
func TestOptionAfterExpansions(t *testing.T) {
	shells := []string{lookSh(t)}
	if bash, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, bash)
	}
	const attack, mark = "--version", "XYZZY"
	tests := []struct {
		text     string
		refused  bool
		bashOnly bool   // a bash construct ({,x}, $'')
		want     string // printed for the value web-01
		wantDash string // when dash prints something else
	}{
		{text: `D=; printf '[%s]' $D{{ .Message }}`, refused: true, want: "[web-01]"},
		{text: `D=; printf '[%s]' ${D}{{ .Message }}`, refused: true, want: "[web-01]"},
		{text: `printf '[%s]' $(true){{ .Message }}`, refused: true, want: "[web-01]"},
		{text: "printf '[%s]' `true`{{ .Message }}", refused: true, want: "[web-01]"},
		{text: `printf '[%s]' "$(true)"{{ .Message }}`, refused: true, want: "[web-01]"},
		{text: `D=; printf '[%s]' "${D}{{ .Message }}"`, refused: true, want: "[web-01]"},
		{text: `set --; printf '[%s]' "$@"{{ .Message }}`, refused: true, want: "[web-01]"},
		{text: `D='a '; printf '[%s]' x$D{{ .Message }}`, refused: true, want: "[xa][web-01]"},
		{text: `set -- a ''; printf '[%s]' "x$@"{{ .Message }}`, refused: true, want: "[xa][web-01]"},
		{text: `D=; printf '[%s]' $D{{ .Details.a }}{{ .Message }}`, refused: true, want: "[web-01]"},
		{text: `D=; printf '[%s]' {{ .Details.a }}$D{{ .Message }}`, refused: true, want: "[web-01]"},
		{text: `D=; printf '[%s]' $(echo $D{{ .Message }})`, refused: true, want: "[web-01]"},
		{text: `printf '[%s]' {,x}{{ .Message }}`, refused: true, bashOnly: true, want: "[web-01][xweb-01]"},
		{text: `printf '[%s]' {x,{{ .Message }}}`, refused: true, bashOnly: true, want: "[x][web-01]"},
		{text: `printf '[%s]' $''{{ .Message }}`, refused: true, bashOnly: true, want: "[web-01]"},
		// Literal text comes first: accepted, also with "-".
		{text: `D=; printf '[%s]' $D/{{ .Message }}`, want: "[/web-01]"},
		{text: `D='a '; printf '[%s]' x$D/{{ .Message }}`, want: "[xa][/web-01]"},
		{text: `printf '[%s]' ~{{ .Message }}`, want: "[~web-01]"},
		{text: `printf '[%s]' --name={{ .Message }}`, want: "[--name=web-01]"},
		{text: `printf '[%s]' /etc/{a,{{ .Message }}}`, want: "[/etc/a][/etc/web-01]", wantDash: "[/etc/{a,web-01}]"},
	}
	ev := func(msg string) *alexis.Event {
		return &alexis.Event{Message: msg, Details: map[string]string{"a": ""}}
	}
	for _, tt := range tests {
		tm, err := ParseTemplate("t", tt.text, Shell)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", tt.text, err)
		}
		legit, err := tm.Render(ev("web-01"), "")
		if err != nil {
			t.Fatalf("Render(%q) with web-01: %v", tt.text, err)
		}
		unchecked, err := tm.Render(ev(mark), "")
		if err != nil {
			t.Fatalf("Render(%q) with %s: %v", tt.text, mark, err)
		}
		unchecked = strings.ReplaceAll(unchecked, mark, attack)
		checked, err := tm.Render(ev(attack), "")
		switch {
		case tt.refused && err == nil:
			t.Errorf("%q rendered %q with %s, want it refused", tt.text, checked, attack)
		case tt.refused && !strings.Contains(err.Error(), `starts an argument with "-" and would be read as an option`):
			t.Errorf("%q with %s: %v", tt.text, attack, err)
		case !tt.refused && err != nil:
			t.Errorf("%q with %s: %v", tt.text, attack, err)
		case !tt.refused && checked != unchecked:
			t.Errorf("%q with %s rendered %q, want %q", tt.text, attack, checked, unchecked)
		}
		for _, sh := range shells {
			isBash := strings.HasSuffix(sh, "bash")
			if tt.bashOnly && !isBash {
				continue
			}
			want := tt.want
			if !isBash && tt.wantDash != "" {
				want = tt.wantDash
			}
			if got := runSh(t, sh, t.TempDir(), legit); got != want {
				t.Errorf("%s: %q printed %q, want %q", sh, legit, got, want)
			}
			// Without the check, the value is a word of its own exactly
			// where the template is refused.
			got := runSh(t, sh, t.TempDir(), unchecked)
			if alone := strings.Contains(got, "["+attack); alone != tt.refused {
				t.Errorf("%s: %q printed %q: %s starts a word: %v, want %v", sh, unchecked, got, attack, alone, tt.refused)
			}
		}
	}
}

// TestContinuationRefused: a backslash-newline is removed before the
// shell reads tokens, so "<\ newline<" is "<<" and the value lands in a
// here-document, where $(...) runs even inside single quotes. The test
// shows that with dash and bash (the value quoted as it would be outside
// quotes), then that such a template is refused when it loads.
func TestContinuationRefused(t *testing.T) {
	shells := []string{lookSh(t)}
	if bash, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, bash)
	}
	text := "cat <\\\n<EOF\n{{ .Message }}\nEOF"
	cmd := strings.Replace(text, "{{ .Message }}", ShellQuote("$(touch PWNED)"), 1)
	for _, sh := range shells {
		if !ranValue(sh, t.TempDir(), cmd) {
			t.Errorf("%s: %q did not run the value; the test shows nothing", sh, cmd)
		}
	}
	if _, err := ParseTemplate("t", text, Shell); err == nil || !strings.Contains(err.Error(), "backslash-newline") {
		t.Errorf("ParseTemplate(%q): %v, want it refused", text, err)
	}
}
