package builtin

import (
	"errors"
	"fmt"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action"
	"github.com/alexis-project/alexis/action/ssh"
)

// Config configures the built-in action types. The zero value gives every
// default (ssh then needs at least a key file to run, not to plan).
type Config struct {
	SSH  ssh.Config
	Exec action.Exec
	HTTP action.HTTP
}

// Registry returns a new registry holding exec, http and ssh. Building it
// reads no file and never fails: a missing key or known_hosts file shows
// when an ssh task runs, or earlier with Check.
func Registry(cfg Config) *alexis.Registry {
	exec, http := cfg.Exec, cfg.HTTP
	return alexis.NewRegistry(&exec, &http, ssh.New(cfg.SSH))
}

// Checker is implemented by action types that can verify their
// configuration and credentials up front (ssh: the key and known_hosts).
type Checker interface {
	Check() error
}

// Check calls Check on every action type of reg that has one and joins
// the errors, each prefixed with the type's name. `alexis serve` calls it
// at start unless in dry-run mode.
func Check(reg *alexis.Registry) error {
	var errs []error
	for _, spec := range reg.Specs() {
		k, _ := reg.Lookup(spec.Name)
		if c, ok := k.(Checker); ok {
			if err := c.Check(); err != nil {
				errs = append(errs, fmt.Errorf("action %s: %w", spec.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// CheckUsed is Check restricted to the action types that the rules of rs
// use: a deployment whose rules only run local programs needs no SSH key.
// An action type that a later reload starts to use is not checked then;
// its tasks fail with the same message when they run.
func CheckUsed(reg *alexis.Registry, rs *alexis.RuleSet) error {
	used := map[string]bool{}
	for _, r := range rs.Rules {
		for _, t := range r.Tasks {
			used[t.Action] = true
		}
	}
	var errs []error
	for _, spec := range reg.Specs() {
		if !used[spec.Name] {
			continue
		}
		k, _ := reg.Lookup(spec.Name)
		if c, ok := k.(Checker); ok {
			if err := c.Check(); err != nil {
				errs = append(errs, fmt.Errorf("action %s: %w", spec.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}
