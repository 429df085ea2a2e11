package kindtest

import (
	"context"
	"errors"
	"fmt"
	"sort"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action"
)

// Remote is a test action type that, like ssh, runs a shell command
// on a host: its command is a template rendered with shell quoting.
type Remote struct{ Name string }

func (k Remote) Spec() alexis.ActionSpec {
	return alexis.ActionSpec{
		Name:        k.Name,
		Summary:     "run a shell command on the target (test kind)",
		NeedsTarget: true,
		Params: []alexis.ParamSpec{
			{Name: "command", Type: "template", Required: true, Doc: "the command"},
			{Name: "user", Type: "string", Doc: "the remote user"},
			{Name: "port", Type: "int", Doc: "the port"},
		},
	}
}

func (Remote) New(p alexis.Params) (alexis.Action, error) {
	var cfg struct {
		Command string `json:"command"`
		User    string `json:"user"`
		Port    int    `json:"port"`
	}
	if err := p.Decode(&cfg); err != nil {
		return nil, err
	}
	// Like the real ssh kind, report every bad parameter, joined.
	var errs []error
	var t *action.Template
	if cfg.Command == "" {
		errs = append(errs, &alexis.ParamError{Param: "command", Err: fmt.Errorf("required")})
	} else if tt, err := action.ParseTemplate("command", cfg.Command, action.Shell); err != nil {
		errs = append(errs, &alexis.ParamError{Param: "command", Err: err})
	} else {
		t = tt
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		errs = append(errs, &alexis.ParamError{Param: "port", Err: fmt.Errorf("must be from 1 to 65535")})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &templateAction{t: t}, nil
}

// Call is a test action type that needs no target: a URL call.
type Call struct{}

func (Call) Spec() alexis.ActionSpec {
	return alexis.ActionSpec{
		Name:    "call",
		Summary: "call a URL (test kind)",
		Params: []alexis.ParamSpec{
			{Name: "url", Type: "template", Required: true, Doc: "the URL"},
			{Name: "headers", Type: "map", Doc: "request headers"},
		},
	}
}

func (Call) New(p alexis.Params) (alexis.Action, error) {
	var cfg struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	}
	if err := p.Decode(&cfg); err != nil {
		return nil, err
	}
	if cfg.URL == "" {
		return nil, &alexis.ParamError{Param: "url", Err: fmt.Errorf("required")}
	}
	t, err := action.ParseTemplate("url", cfg.URL, action.URL)
	if err != nil {
		return nil, &alexis.ParamError{Param: "url", Err: err}
	}
	names := make([]string, 0, len(cfg.Headers))
	for name := range cfg.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := action.ParseTemplate(name, cfg.Headers[name], action.Plain); err != nil {
			return nil, &alexis.ParamError{Param: "headers." + name, Err: err}
		}
	}
	return &templateAction{t: t}, nil
}

type templateAction struct{ t *action.Template }

func (a *templateAction) Render(ev *alexis.Event, target string) (string, error) {
	return a.t.Render(ev, target)
}

func (a *templateAction) Run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	return alexis.Result{Status: alexis.StatusSuccess}
}

// Registry has the test kinds under the names "remote" and "call", and the
// remote kind again as "ssh" for documentation examples.
func Registry() *alexis.Registry {
	return alexis.NewRegistry(Remote{"remote"}, Remote{"ssh"}, Call{})
}
