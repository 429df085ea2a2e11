package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	alexis "github.com/alexis-project/alexis"
)

// ExecName is the exec action type's name in rule files.
const ExecName = "exec"

// DefaultExecTimeout bounds a run of a program when the task sets no timeout.
const DefaultExecTimeout = 10 * time.Minute

// DefaultPassEnv are the variables of Alexis' own environment that a
// program run by exec receives.
var DefaultPassEnv = []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}

// Exec is the exec action type: it runs a local program with an argument
// vector, without a shell. The zero value is ready to use; its fields
// change the defaults.
type Exec struct {
	// Timeout bounds a run when the task sets none (default
	// DefaultExecTimeout).
	Timeout time.Duration
	// MaxOutput is how many bytes of output are kept when the task does
	// not say (default DefaultMaxOutput).
	MaxOutput int
	// PassEnv names the variables of Alexis' environment that programs
	// receive (default DefaultPassEnv). Secrets in Alexis' environment
	// stay there unless named here.
	PassEnv []string
}

type execParams struct {
	Program   string            `json:"program"`
	Args      []scalar          `json:"args"`
	Env       map[string]scalar `json:"env"`
	Dir       string            `json:"dir"`
	Stdin     string            `json:"stdin"`
	MaxOutput int               `json:"max_output"`
}

// Spec describes the exec action type.
func (k *Exec) Spec() alexis.ActionSpec {
	return alexis.ActionSpec{
		Name:    ExecName,
		Summary: "Run a local program with arguments, without a shell.",
		Params: []alexis.ParamSpec{
			{Name: "program", Type: "string", Required: true, Doc: "The program: an absolute path, or a name looked up in PATH. Written out, never a template."},
			{Name: "args", Type: "list of templates", Doc: "The arguments. Each is a plain template and becomes exactly one argument, whatever it contains."},
			{Name: "env", Type: "map of templates", Doc: "Extra environment variables; the program also receives PATH, HOME, LANG, LC_ALL, TZ, TMPDIR from Alexis and ALEXIS_RULE, ALEXIS_TARGET, ALEXIS_EVENT, ALEXIS_REASON."},
			{Name: "dir", Type: "string", Doc: "The working directory (default: Alexis' own)."},
			{Name: "stdin", Type: "template", Doc: `Standard input, a plain template; '{{ json "@this" }}' gives the alert's raw body. Default: empty.`},
			{Name: "max_output", Type: "int", Default: fmt.Sprint(DefaultMaxOutput), Doc: "Bytes of combined stdout and stderr kept, the tail."},
		},
		Example: "action: exec\nprogram: /usr/local/bin/restart-pool\nargs: [\"--host\", \"{{ .Target }}\", \"--reason\", \"{{ .Message }}\"]",
	}
}

// scalar is a string parameter that also accepts a number or a boolean
// as YAML writes them unquoted (args: [--port, 8080]).
type scalar string

func (s *scalar) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = scalar(str)
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v.(type) {
	case float64, bool:
		*s = scalar(b)
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(v), Type: reflect.TypeFor[string]()}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// New decodes and checks a task's parameters.
func (k *Exec) New(p alexis.Params) (alexis.Action, error) {
	var ps execParams
	if err := p.Decode(&ps); err != nil {
		return nil, err
	}
	a := &execAction{kind: k, program: ps.Program, dir: ps.Dir, maxOutput: ps.MaxOutput}
	switch {
	case ps.Program == "":
		return nil, &alexis.ParamError{Param: "program", Err: errors.New("is required")}
	case strings.Contains(ps.Program, "{{"):
		return nil, &alexis.ParamError{Param: "program", Err: errors.New("must be written out, not a template (an alert must not choose the program)")}
	case ps.MaxOutput < 0:
		return nil, &alexis.ParamError{Param: "max_output", Err: errors.New("must not be negative")}
	case strings.Contains(ps.Dir, "{{"):
		return nil, &alexis.ParamError{Param: "dir", Err: errors.New("must be written out, not a template")}
	}
	for i, s := range ps.Args {
		t, err := paramTemplate(fmt.Sprintf("args[%d]", i), string(s), Plain)
		if err != nil {
			return nil, err
		}
		a.args = append(a.args, t)
	}
	names := make([]string, 0, len(ps.Env))
	for name := range ps.Env {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !envName.MatchString(name) {
			return nil, &alexis.ParamError{Param: "env", Err: fmt.Errorf("%q is not a variable name", name)}
		}
		t, err := paramTemplate("env."+name, string(ps.Env[name]), Plain)
		if err != nil {
			return nil, err
		}
		a.env = append(a.env, envTemplate{name, t})
	}
	if ps.Stdin != "" {
		t, err := paramTemplate("stdin", ps.Stdin, Plain)
		if err != nil {
			return nil, err
		}
		a.stdin = t
	}
	return a, nil
}

type envTemplate struct {
	name string
	t    *Template
}

type execAction struct {
	kind      *Exec
	program   string
	args      []*Template
	env       []envTemplate
	dir       string
	stdin     *Template
	maxOutput int
}

// argv renders the argument vector. An argument whose template does not
// start with literal text may not come out starting with "-" (the program
// would read alert text as an option) unless a literal -- came before.
func (a *execAction) argv(ev *alexis.Event, target string) ([]string, error) {
	argv := []string{a.program}
	dd := false
	for i, t := range a.args {
		s, err := t.Render(ev, target)
		if err != nil {
			return nil, err
		}
		if !dd && t.startsWithValue() && strings.HasPrefix(s, "-") {
			return nil, fmt.Errorf("args[%d]: %w", i, errOption(s))
		}
		dd = dd || t.Text() == "--"
		argv = append(argv, s)
	}
	return argv, nil
}

// Render shows the command line, each argument shell-quoted when it
// needs to be, for people; no shell ever reads it.
func (a *execAction) Render(ev *alexis.Event, target string) (string, error) {
	argv, err := a.argv(ev, target)
	if err != nil {
		return "", err
	}
	return displayArgs(argv), nil
}

func (a *execAction) environ(inv alexis.Invocation) ([]string, error) {
	pass := a.kind.PassEnv
	if pass == nil {
		pass = DefaultPassEnv
	}
	var env []string
	for _, name := range pass {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	event := ""
	if inv.Event != nil {
		event = inv.Event.Key()
	}
	env = append(env, "ALEXIS_RULE="+inv.Rule, "ALEXIS_TARGET="+inv.Target, "ALEXIS_EVENT="+event, "ALEXIS_REASON="+inv.Reason)
	for _, e := range a.env {
		v, err := e.t.Render(inv.Event, inv.Target)
		if err != nil {
			return nil, err
		}
		env = append(env, e.name+"="+v)
	}
	return env, nil
}

// Run runs the program in a process group of its own and waits for it.
// When ctx is done the whole group is killed; whatever the program left
// running in its group when it exits is killed too.
func (a *execAction) Run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	start := time.Now()
	res := a.run(ctx, inv)
	res.Started, res.Duration = start, time.Since(start)
	return res
}

func (a *execAction) run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	argv, err := a.argv(inv.Event, inv.Target)
	if err != nil {
		return failed(-1, false, "exec: %v", err)
	}
	env, err := a.environ(inv)
	if err != nil {
		return failed(-1, false, "exec: %v", err)
	}
	var stdin string
	if a.stdin != nil {
		if stdin, err = a.stdin.Render(inv.Event, inv.Target); err != nil {
			return failed(-1, false, "exec: %v", err)
		}
	}
	ctx, cancel := withDefaultTimeout(ctx, a.kind.Timeout, DefaultExecTimeout)
	defer cancel()
	max := a.maxOutput
	if max == 0 {
		max = a.kind.MaxOutput
	}
	out := NewTailBuffer(max)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = env, a.dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Stdin = strings.NewReader(stdin)
	ownProcessGroup(cmd)
	cmd.WaitDelay = time.Second // pipes held open by leftovers do not hold us
	err = cmd.Run()
	if cmd.Process != nil {
		killProcessGroup(cmd.Process.Pid)
	}
	res := alexis.Result{Status: alexis.StatusSuccess, Output: out.Output()}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	switch {
	case cmd.Process == nil:
		r := failed(-1, false, "exec: %v", err)
		r.Output = res.Output
		return r
	case ctx.Err() != nil:
		res.Status, res.Retryable = alexis.StatusFailure, true
		res.Error = fmt.Sprintf("exec: %s %s; its process group was killed", argv[0], stopReason(ctx))
	case errors.As(err, &exitErr):
		res.Status = alexis.StatusFailure
		res.Error = fmt.Sprintf("exec: %s: %v", argv[0], exitErr)
	case errors.Is(err, exec.ErrWaitDelay):
		// The program exited; processes it left behind held its output open
		// and were killed. Its exit status stands.
		if res.ExitCode != 0 {
			res.Status = alexis.StatusFailure
			res.Error = fmt.Sprintf("exec: %s: exit status %d", argv[0], res.ExitCode)
		}
	case err != nil:
		res.Status = alexis.StatusFailure
		res.Error = fmt.Sprintf("exec: %s: %v", argv[0], err)
	}
	return res
}
