package alexis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Action is a prepared task: an action type's parameters decoded and
// validated at load time. The same Action serves every event and target;
// it must be safe for concurrent use.
type Action interface {
	// Render returns what the task would do for this event and target, with
	// every template filled in, without side effects: a command line, a URL.
	// Plans and dry runs show it.
	Render(ev *Event, target string) (string, error)
	// Run performs the task. It must return promptly when ctx is done.
	Run(ctx context.Context, inv Invocation) Result
}

// Invocation is one run of an Action on one target.
type Invocation struct {
	Event  *Event
	Rule   string
	Target string
	Reason string
	// Rendered is the output of Render for this event and target.
	Rendered string
	// Shared holds resources that the tasks of one run on one target share
	// (an SSH connection). It is closed when the run ends.
	Shared *Shared
}

// Kind is an action type that rules name in their tasks. It describes itself
// and prepares Actions from parameters when rules load.
type Kind interface {
	Spec() ActionSpec
	// New decodes and validates a task's parameters. Errors should be
	// *ParamError where a single parameter is at fault.
	New(p Params) (Action, error)
}

// ActionSpec describes an action type for `alexis actions` and the docs.
type ActionSpec struct {
	Name    string      `json:"name"`
	Summary string      `json:"summary"`
	Params  []ParamSpec `json:"params"`
	// NeedsTarget is true for actions that act on a host (ssh).
	NeedsTarget bool `json:"needs_target"`
	// Example is a task in rule-file YAML.
	Example string `json:"example"`
}

// ParamSpec describes one parameter of an action type.
type ParamSpec struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
	Default  string `json:"default,omitempty"`
	Doc      string `json:"doc"`
}

// Params are a task's parameters as written in the rule file.
type Params map[string]any

// ParamError is a problem with one parameter of a task.
type ParamError struct {
	Param string
	Err   error
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Err.Error() }
func (e *ParamError) Unwrap() error { return e.Err }

// Decode fills dst (a pointer to a struct with json tags) from p. Unknown
// parameters and wrong types are reported as *ParamError naming the
// parameter.
func (p Params) Decode(dst any) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if ok := asType(err, &te); ok {
		return &ParamError{Param: te.Field, Err: fmt.Errorf("must be %s, not %s", te.Type.String(), te.Value)}
	}
	const unknown = "json: unknown field "
	if s := err.Error(); len(s) > len(unknown) && s[:len(unknown)] == unknown {
		name := s[len(unknown):]
		if len(name) >= 2 && name[0] == '"' {
			name = name[1 : len(name)-1]
		}
		return &ParamError{Param: name, Err: fmt.Errorf("unknown parameter")}
	}
	return err
}

func asType(err error, target **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*target = t
	}
	return ok
}

// Registry holds the action types rules may use. Build one in main (or in
// your own program) and hand it to the rule loader; there is no global one.
type Registry struct {
	mu    sync.RWMutex
	kinds map[string]Kind
}

// NewRegistry returns a registry holding kinds. It panics on a duplicate
// name, which is a programming error.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{kinds: make(map[string]Kind)}
	for _, k := range kinds {
		if err := r.Register(k); err != nil {
			panic(err)
		}
	}
	return r
}

// Register adds an action type. Its name must be new.
func (r *Registry) Register(k Kind) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := k.Spec().Name
	if name == "" {
		return Errorf(EINVALID, "action type has no name")
	}
	if _, dup := r.kinds[name]; dup {
		return Errorf(ECONFLICT, "action type %q registered twice", name)
	}
	r.kinds[name] = k
	return nil
}

// Lookup returns the action type called name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.kinds[name]
	return k, ok
}

// Specs describes every registered action type, sorted by name.
func (r *Registry) Specs() []ActionSpec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]ActionSpec, 0, len(r.kinds))
	for _, k := range r.kinds {
		out = append(out, k.Spec())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Status is the outcome of one task run.
type Status string

// Task statuses.
const (
	StatusSuccess Status = "success"
	StatusFailure Status = "failure"
	StatusSkipped Status = "skipped"
	StatusDryRun  Status = "dry-run"
)

// Result is what one run of an action returned.
type Result struct {
	Status   Status        `json:"status"`
	ExitCode int           `json:"exit_code"`
	Output   string        `json:"output,omitempty"` // capped; the tail is kept
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	Error    string        `json:"error,omitempty"`
	// Retryable says whether the failure is worth trying again (a refused
	// connection, a timeout), as opposed to a definite no (exit status 1).
	Retryable bool `json:"retryable,omitempty"`
}

// Shared holds resources shared by the tasks of one run on one target.
type Shared struct {
	mu   sync.Mutex
	vals map[string]io.Closer
	keys []string
}

// Get returns the resource stored under key, opening it on first use.
func (s *Shared) Get(key string, open func() (io.Closer, error)) (io.Closer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.vals[key]; ok {
		return c, nil
	}
	c, err := open()
	if err != nil {
		return nil, err
	}
	if s.vals == nil {
		s.vals = make(map[string]io.Closer)
	}
	s.vals[key] = c
	s.keys = append(s.keys, key)
	return c, nil
}

// Close closes every resource, newest first.
func (s *Shared) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	for i := len(s.keys) - 1; i >= 0; i-- {
		if err := s.vals[s.keys[i]].Close(); err != nil && first == nil {
			first = err
		}
	}
	s.vals, s.keys = nil, nil
	return first
}
