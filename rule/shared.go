package rule

import (
	"encoding/json"
	"sync"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/writeback"
	"github.com/alexis-project/alexis/match"
)

// shared is what the files of one load have in common while they compile,
// possibly on several goroutines at once.
//
// The registry's action types are called under one lock: Kind.New and
// Kind.Spec are user code that need not be safe for concurrent use. An
// action type that implements PureKind is called without it, once per
// distinct set of parameters.
//
// Expressions and write-back templates are compiled once per distinct text
// (rule bases repeat them: the same targets_from, the same note for many
// rules). A compiled match.Condition or match.Targets is immutable and
// safe for concurrent use (its expr program runs on a VM of its own each
// time), so rules share it; an expression that does not compile shares
// its *match.Error, whose positions count within the expression text and
// are placed in each file separately.
type shared struct {
	reg   *alexis.Registry
	regMu sync.Mutex

	mu      sync.Mutex
	conds   map[string]compiled[*match.Condition]
	targets map[string]compiled[*match.Targets]
	notes   map[[2]string]error
	actions map[string]compiled[alexis.Action]
}

// PureKind is an optional interface of alexis.Kind. An action type whose
// PureNew returns true promises that its New is safe to call from several
// goroutines at once, depends on nothing but its parameters, and returns an
// Action that is never changed afterwards. Loading then calls New once for
// each distinct set of parameters (compared as their JSON encoding, which
// is what alexis.Params.Decode reads) and tasks written alike share the
// Action, as the tasks of one rule share it across targets already. The
// built-in exec, http and ssh types are pure.
type PureKind interface {
	PureNew() bool
}

type compiled[T any] struct {
	v   T
	err error
}

func newShared(reg *alexis.Registry) *shared {
	if reg == nil {
		reg = alexis.NewRegistry()
	}
	return &shared{
		reg:     reg,
		conds:   map[string]compiled[*match.Condition]{},
		targets: map[string]compiled[*match.Targets]{},
		notes:   map[[2]string]error{},
		actions: map[string]compiled[alexis.Action]{},
	}
}

// once returns m[key], computing and storing it with f when missing. f runs
// without the lock, so that different texts compile in parallel; two
// goroutines may compile the same text at once, and then the first result
// stored is kept (both are equivalent).
func once[K comparable, V any](mu *sync.Mutex, m map[K]V, key K, f func() V) V {
	mu.Lock()
	v, ok := m[key]
	mu.Unlock()
	if ok {
		return v
	}
	v = f()
	mu.Lock()
	defer mu.Unlock()
	if prev, ok := m[key]; ok {
		return prev
	}
	m[key] = v
	return v
}

func (s *shared) condition(src string) (*match.Condition, error) {
	r := once(&s.mu, s.conds, src, func() compiled[*match.Condition] {
		c, err := match.CompileCondition(src)
		return compiled[*match.Condition]{c, err}
	})
	return r.v, r.err
}

func (s *shared) targetsExpr(src string) (*match.Targets, error) {
	r := once(&s.mu, s.targets, src, func() compiled[*match.Targets] {
		t, err := match.CompileTargets(src)
		return compiled[*match.Targets]{t, err}
	})
	return r.v, r.err
}

// writeback checks a note or comment template named name.
func (s *shared) writeback(name, text string) error {
	return once(&s.mu, s.notes, [2]string{name, text}, func() error {
		_, err := writeback.Parse(name, text)
		return err
	})
}

// lookup finds an action type and its description.
func (s *shared) lookup(name string) (alexis.Kind, alexis.ActionSpec, bool) {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	k, ok := s.reg.Lookup(name)
	if !ok {
		return nil, alexis.ActionSpec{}, false
	}
	return k, k.Spec(), true
}

// newAction prepares a task's action with its type, named name.
func (s *shared) newAction(k alexis.Kind, name string, p alexis.Params) (alexis.Action, error) {
	if pk, ok := k.(PureKind); ok && pk.PureNew() {
		if b, err := json.Marshal(p); err == nil {
			r := once(&s.mu, s.actions, name+"\x00"+string(b), func() compiled[alexis.Action] {
				a, err := k.New(p)
				return compiled[alexis.Action]{a, err}
			})
			return r.v, r.err
		}
	}
	s.regMu.Lock()
	defer s.regMu.Unlock()
	return k.New(p)
}

// specs describes every registered action type, sorted by name.
func (s *shared) specs() []alexis.ActionSpec {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	return s.reg.Specs()
}
