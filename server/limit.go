package server

import (
	"context"
	"sort"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
)

// seedLimiter returns the engine's limiter for limits.per_target: the
// in-memory one, loaded with the runs the history recorded within each
// limited rule's window, so that a restart does not reset the limits.
// One run is one (event, rule, target); dry runs and skipped tasks do not
// count, as in the engine.
func (s *Server) seedLimiter(ctx context.Context, rs *alexis.RuleSet) *alexis.MemoryLimiter {
	l := alexis.NewMemoryLimiter()
	limits := map[string]alexis.Limits{}
	var longest time.Duration
	for _, r := range rs.Rules {
		if r.Limits.PerTarget > 0 && r.Limits.Window > 0 {
			limits[r.Name] = r.Limits
			longest = max(longest, r.Limits.Window)
		}
	}
	if len(limits) == 0 {
		return l
	}
	now := s.now()
	xs, err := s.store.Executions(ctx, alexis.ExecutionFilter{Since: now.Add(-longest), Limit: sqlite.MaxLimit})
	if err != nil {
		s.log.Warn("cannot read the history to restore rule limits; they start empty", "err", err)
		return l
	}
	type run struct {
		event        int64
		rule, target string
	}
	first := map[run]time.Time{}
	for _, x := range xs {
		if _, ok := limits[x.Rule]; !ok || x.Status == alexis.StatusDryRun || x.Status == alexis.StatusSkipped {
			continue
		}
		k := run{x.EventID, x.Rule, x.Target}
		if t, ok := first[k]; !ok || x.Started.Before(t) {
			first[k] = x.Started
		}
	}
	type timed struct {
		run
		at time.Time
	}
	runs := make([]timed, 0, len(first))
	for k, t := range first {
		runs = append(runs, timed{k, t})
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].at.Before(runs[j].at) })
	for _, r := range runs {
		lim := limits[r.rule]
		l.Allow(r.rule, r.target, lim.PerTarget, lim.Window, r.at)
	}
	if len(runs) > 0 {
		s.log.Info("rule limits restored from the history", "runs", len(runs))
	}
	return l
}
