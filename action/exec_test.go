package action

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	alexis "github.com/alexis-project/alexis"
)

func newExec(t *testing.T, k *Exec, p alexis.Params) alexis.Action {
	t.Helper()
	a, err := k.New(p)
	if err != nil {
		t.Fatalf("New(%v): %v", p, err)
	}
	return a
}

// sh runs script with /bin/sh; the script sees the rendered args as $1...
func shParams(script string, args ...any) alexis.Params {
	return alexis.Params{"program": "/bin/sh", "args": append([]any{"-c", script, "sh"}, args...)}
}

var ignoreTimes = cmpopts.IgnoreFields(alexis.Result{}, "Started", "Duration")

func TestExecArgsAreNotShellWords(t *testing.T) {
	dir := t.TempDir()
	// The script prints each argument between < >; no value may run.
	a := newExec(t, &Exec{}, alexis.Params{
		"program": "/bin/sh",
		"args":    []any{"-c", `for a; do printf '<%s>' "$a"; done`, "sh", "{{ .Message }}", "{{ .Target }}", "x{{ .Details.nope }}y"},
		"dir":     dir,
	})
	for _, msg := range hostile {
		if strings.IndexByte(msg, 0) >= 0 {
			continue
		}
		res := a.Run(context.Background(), alexis.Invocation{Event: &alexis.Event{Message: msg}, Target: "web-01"})
		want := alexis.Result{Status: alexis.StatusSuccess, Output: "<" + msg + "><web-01><xy>"}
		if strings.HasPrefix(msg, "-") { // would be an option: refused
			want = alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Error: "exec: args[3]: " + errOption(msg).Error()}
		}
		if diff := cmp.Diff(want, res, ignoreTimes); diff != "" {
			t.Errorf("message %q (-want +got):\n%s", msg, diff)
		}
		if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
			t.Fatalf("message %q created PWNED", msg)
		}
	}
}

func TestExecResults(t *testing.T) {
	tests := []struct {
		name   string
		params alexis.Params
		want   alexis.Result
	}{
		{"success", shParams(`echo out; echo err >&2`), alexis.Result{Status: alexis.StatusSuccess, Output: "out\nerr\n"}},
		{"exit status", shParams(`echo failing; exit 3`),
			alexis.Result{Status: alexis.StatusFailure, ExitCode: 3, Output: "failing\n", Error: "exec: /bin/sh: exit status 3"}},
		{"killed by a signal", shParams(`kill -TERM $$`),
			alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Error: "exec: /bin/sh: signal: terminated"}},
		{"no such program", alexis.Params{"program": "/nonexistent/prog"},
			alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Error: "exec: fork/exec /nonexistent/prog: no such file or directory"}},
		{"not in PATH", alexis.Params{"program": "alexis-no-such-program"},
			alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Error: `exec: exec: "alexis-no-such-program": executable file not found in $PATH`}},
		{"output capped, tail kept", alexis.Params{"program": "/bin/sh", "args": []any{"-c", `printf '%s' 0123456789abcdef`}, "max_output": 6},
			alexis.Result{Status: alexis.StatusSuccess, Output: "[10 bytes of output dropped]\nabcdef"}},
		{"stdin", alexis.Params{"program": "/bin/cat", "stdin": `{{ json "a" }}|{{ .Message }}`},
			alexis.Result{Status: alexis.StatusSuccess, Output: `{"b":1}|hi`}},
		{"dir", alexis.Params{"program": "/bin/pwd", "dir": "/"}, alexis.Result{Status: alexis.StatusSuccess, Output: "/\n"}},
		{"unquoted YAML scalars", alexis.Params{"program": "/bin/echo", "args": []any{"--port", 8080, true, 1.5}, "env": map[string]any{"N": 3}},
			alexis.Result{Status: alexis.StatusSuccess, Output: "--port 8080 true 1.5\n"}},
		{"env", alexis.Params{"program": "/bin/sh", "args": []any{"-c", `echo "$ALEXIS_RULE $ALEXIS_TARGET $ALEXIS_EVENT $ALEXIS_REASON $GREETING [$ALEXIS_TEST_SECRET]"`},
			"env": map[string]any{"GREETING": "hello {{ .Message }}"}},
			alexis.Result{Status: alexis.StatusSuccess, Output: "r1 web-01 opsgenie/42/Create restart hello hi []\n"}},
	}
	t.Setenv("ALEXIS_TEST_SECRET", "s3cret") // must not reach programs
	ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: "42", Action: "Create", Message: "hi", Raw: []byte(`{"a":{"b":1}}`)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newExec(t, &Exec{}, tt.params)
			res := a.Run(context.Background(), alexis.Invocation{Event: ev, Rule: "r1", Target: "web-01", Reason: "restart"})
			if diff := cmp.Diff(tt.want, res, ignoreTimes); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if res.Started.IsZero() || res.Duration <= 0 {
				t.Errorf("Started %v, Duration %v: want both set", res.Started, res.Duration)
			}
		})
	}
}

// alive reports whether pid is a live process (not gone, not a zombie).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the program did not write its child's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitDead waits up to 5s for pid to die.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 500 && alive(pid); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("process %d outlived its task", pid)
	}
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "pid")
	// A child in the background and the shell both sleep; the touch after
	// the wait must never happen.
	a := newExec(t, &Exec{}, shParams(`sleep 30 & echo $! > "$1"; wait; touch "$1.done"`, pidfile))
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want string
	}{
		{"timeout", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		}, "exec: /bin/sh timed out; its process group was killed"},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			return ctx, cancel
		}, "exec: /bin/sh cancelled; its process group was killed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(pidfile)
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			res := a.Run(ctx, alexis.Invocation{})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Run took %v after the context ended", took)
			}
			want := alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Retryable: true, Error: tc.want}
			if diff := cmp.Diff(want, res, ignoreTimes); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			waitDead(t, readPid(t, pidfile))
			if _, err := os.Stat(pidfile + ".done"); err == nil {
				t.Error("the script went on after being killed")
			}
		})
	}
}

func TestExecKindTimeoutDefault(t *testing.T) {
	a := newExec(t, &Exec{Timeout: 200 * time.Millisecond}, shParams(`sleep 30`))
	start := time.Now()
	res := a.Run(context.Background(), alexis.Invocation{})
	if res.Status != alexis.StatusFailure || !strings.Contains(res.Error, "timed out") {
		t.Errorf("got %+v, want a timeout failure", res)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

func TestExecLeftoversKilled(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "pid")
	// The shell exits at once, leaving a child that holds its output open.
	a := newExec(t, &Exec{}, shParams(`sleep 30 & echo $! > "$1"; echo started`, pidfile))
	start := time.Now()
	res := a.Run(context.Background(), alexis.Invocation{})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %v: the leftover child held it", took)
	}
	want := alexis.Result{Status: alexis.StatusSuccess, Output: "started\n"}
	if diff := cmp.Diff(want, res, ignoreTimes); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	waitDead(t, readPid(t, pidfile))
}

func TestExecOptionValues(t *testing.T) {
	ev := &alexis.Event{Message: "--checkpoint-action=exec=sh"}
	for _, tc := range []struct {
		args []any
		want string // "" means refused
	}{
		{[]any{"cf", "x", "{{ .Message }}"}, ""},
		{[]any{"cf", "x", "{{ .Details.none }}{{ .Message }}"}, ""},
		{[]any{"cf", "x", " {{- .Message }}"}, ""},
		{[]any{"cf", "x", "{{/* c */}}{{ .Message }}"}, ""},
		{[]any{"cf", "x", "{{ if true }}{{ end }}{{ .Message }}"}, ""},
		{[]any{"cf", "x", " {{ .Message }}"}, "/bin/echo cf x ' --checkpoint-action=exec=sh'"},
		{[]any{"cf", "x", "--", "{{ .Message }}"}, "/bin/echo cf x -- --checkpoint-action=exec=sh"},
		{[]any{"cf", "x", "./{{ .Message }}"}, "/bin/echo cf x ./--checkpoint-action=exec=sh"},
		{[]any{"--msg={{ .Message }}"}, "/bin/echo --msg=--checkpoint-action=exec=sh"},
		{[]any{"-v", "{{ .ID }}"}, "/bin/echo -v ''"},
	} {
		a := newExec(t, &Exec{}, alexis.Params{"program": "/bin/echo", "args": tc.args})
		got, err := a.Render(ev, "")
		res := a.Run(context.Background(), alexis.Invocation{Event: ev})
		switch {
		case tc.want == "":
			if err == nil || !strings.Contains(err.Error(), "would be read as an option") || res.Status != alexis.StatusFailure || !strings.Contains(res.Error, "args[2]: the value") {
				t.Errorf("%v: Render %q, %v; Run %+v: want both refused", tc.args, got, err, res)
			}
		case err != nil || got != tc.want || res.Status != alexis.StatusSuccess:
			t.Errorf("%v: Render %q, %v; Run %+v: want %q", tc.args, got, err, res, tc.want)
		}
	}
}

func TestExecRender(t *testing.T) {
	a := newExec(t, &Exec{}, alexis.Params{"program": "ansible-playbook", "args": []any{"--limit", "{{ .Target }}", "-e", "msg={{ .Message }}", "site.yml"}})
	got, err := a.Render(&alexis.Event{Message: "it's down"}, "web-01")
	if err != nil {
		t.Fatal(err)
	}
	if want := `ansible-playbook --limit web-01 -e 'msg=it'\''s down' site.yml`; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestExecParamErrors(t *testing.T) {
	tests := []struct {
		name   string
		params alexis.Params
		param  string
		want   string
	}{
		{"no program", alexis.Params{"args": []any{"x"}}, "program", "program: is required"},
		{"program template", alexis.Params{"program": "{{ .Message }}"}, "program", "program: must be written out, not a template (an alert must not choose the program)"},
		{"dir template", alexis.Params{"program": "/bin/true", "dir": "/tmp/{{ .ID }}"}, "dir", "dir: must be written out, not a template"},
		{"bad arg", alexis.Params{"program": "/bin/true", "args": []any{"ok", "{{ .Nope }}"}}, "args[1]",
			"args[1]: template: args[1]:1:3: unknown field .Nope (known: .Target .Source .ID .ShortID .Alias .Action .Message .Description .Priority .Tags .TagValues .Details .Entities)"},
		{"arg not a scalar", alexis.Params{"program": "/bin/true", "args": []any{[]any{"x"}}}, "args", "args: must be string, not array"},
		{"bad env name", alexis.Params{"program": "/bin/true", "env": map[string]any{"A-B": "x"}}, "env", `env: "A-B" is not a variable name`},
		{"bad env value", alexis.Params{"program": "/bin/true", "env": map[string]any{"A": "{{ nope }}"}}, "env.A", `env.A: template: env.A:1: function "nope" not defined`},
		{"negative max_output", alexis.Params{"program": "/bin/true", "max_output": -1}, "max_output", "max_output: must not be negative"},
		{"unknown", alexis.Params{"program": "/bin/true", "command": "ls"}, "command", "command: unknown parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&Exec{}).New(tt.params)
			var pe *alexis.ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("New: %v, want a *ParamError", err)
			}
			if pe.Param != tt.param || err.Error() != tt.want {
				t.Errorf("New: param %q, %q\nwant param %q, %q", pe.Param, err.Error(), tt.param, tt.want)
			}
		})
	}
}
