package alexis

import (
	"sync"
	"time"
)

// Limiter enforces a rule's limits.per_target: at most per runs of one
// rule on one target within window. The Engine asks it before acting on a
// target (not in dry-run mode); the default is an in-memory MemoryLimiter,
// which forgets on restart. Implementations must be safe for concurrent use.
type Limiter interface {
	// Allow reports whether rule may act on target at now, fewer than per
	// runs having been allowed within the window before now, and if so
	// records this run.
	Allow(rule, target string, per int, window time.Duration, now time.Time) bool
}

// WithLimiter replaces the in-memory limiter (for example by one that
// counts the runs in the history store, so that limits survive restarts).
func WithLimiter(l Limiter) Option {
	return func(e *Engine) {
		if l != nil {
			e.limiter = l
		}
	}
}

// MemoryLimiter is a Limiter that keeps the recent runs in memory.
type MemoryLimiter struct {
	mu    sync.Mutex
	runs  map[limitKey]*limitRuns
	calls int
}

type limitKey struct{ rule, target string }

type limitRuns struct {
	times  []time.Time // oldest first
	window time.Duration
}

// NewMemoryLimiter returns an empty MemoryLimiter.
func NewMemoryLimiter() *MemoryLimiter {
	return &MemoryLimiter{runs: make(map[limitKey]*limitRuns)}
}

// Allow implements Limiter.
func (l *MemoryLimiter) Allow(rule, target string, per int, window time.Duration, now time.Time) bool {
	if per <= 0 || window <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%1024 == 0 {
		l.sweep(now)
	}
	k := limitKey{rule, target}
	r := l.runs[k]
	if r == nil {
		r = &limitRuns{}
		l.runs[k] = r
	}
	r.window = window
	r.times = recent(r.times, now.Add(-window))
	if len(r.times) >= per {
		return false
	}
	r.times = append(r.times, now)
	return true
}

// recent drops the times at or before since.
func recent(ts []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(since) {
		i++
	}
	return ts[i:]
}

// sweep forgets the keys with no run within their window.
func (l *MemoryLimiter) sweep(now time.Time) {
	for k, r := range l.runs {
		if len(recent(r.times, now.Add(-r.window))) == 0 {
			delete(l.runs, k)
		}
	}
}
