package action

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	alexis "github.com/alexis-project/alexis"
)

// Define returns an action type named spec.Name, for a custom action in a
// few lines of Go. When a rule file uses it, each task's parameters are
// decoded into a P (a struct with json tags; unknown parameters and wrong
// types are errors naming the parameter) and handed to build, which
// prepares the Action: typically a Func, or an Action of a built-in type
// with parameters of its own choosing.
func Define[P any](spec alexis.ActionSpec, build func(p P) (alexis.Action, error)) alexis.Kind {
	return &defined[P]{spec: spec, build: build}
}

type defined[P any] struct {
	spec  alexis.ActionSpec
	build func(P) (alexis.Action, error)
}

func (d *defined[P]) Spec() alexis.ActionSpec { return d.spec }

func (d *defined[P]) New(p alexis.Params) (alexis.Action, error) {
	var v P
	if err := p.Decode(&v); err != nil {
		return nil, err
	}
	for _, ps := range d.spec.Params {
		if _, ok := p[ps.Name]; ps.Required && !ok {
			return nil, &alexis.ParamError{Param: ps.Name, Err: fmt.Errorf("is required")}
		}
	}
	return d.build(v)
}

// Func returns an Action that runs fn. show is a Plain template of what the
// action does, for plans and dry runs ("reboot {{ .Target }} via
// ServiceNow"); fn finds it rendered in inv.Rendered. A Result without a
// Status counts as a failure.
func Func(show string, fn func(ctx context.Context, inv alexis.Invocation) alexis.Result) (alexis.Action, error) {
	t, err := ParseTemplate("show", show, Plain)
	if err != nil {
		return nil, err
	}
	return &funcAction{show: t, fn: fn}, nil
}

type funcAction struct {
	show *Template
	fn   func(context.Context, alexis.Invocation) alexis.Result
}

func (f *funcAction) Render(ev *alexis.Event, target string) (string, error) {
	return f.show.Render(ev, target)
}

func (f *funcAction) Run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	return f.fn(ctx, inv)
}

// paramTemplate parses one template parameter, naming it in the error.
func paramTemplate(param, text string, mode Mode) (*Template, error) {
	t, err := ParseTemplate(param, text, mode)
	if err != nil {
		return nil, &alexis.ParamError{Param: param, Err: err}
	}
	return t, nil
}

// withDefaultTimeout bounds ctx by timeout (or def when timeout <= 0)
// unless it already has a deadline (the task's timeout).
func withDefaultTimeout(ctx context.Context, timeout, def time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	if timeout <= 0 {
		timeout = def
	}
	return context.WithTimeout(ctx, timeout)
}

// stopReason says why ctx is done.
func stopReason(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "timed out"
	}
	return "cancelled"
}

// failed is a failed Result with a formatted error.
func failed(exit int, retryable bool, format string, args ...any) alexis.Result {
	return alexis.Result{Status: alexis.StatusFailure, ExitCode: exit, Retryable: retryable, Error: fmt.Sprintf(format, args...)}
}

// displayArgs writes an argument vector for people: each element that is
// not made only of safe characters is shell-quoted, so that the line reads
// as the command it is.
func displayArgs(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
			b.WriteString(a)
		} else {
			b.WriteString(ShellQuote(a))
		}
	}
	return b.String()
}
