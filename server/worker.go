package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/config"
)

// pollInterval is how often idle workers look at the queue even without a
// wake-up from the store.
const pollInterval = time.Second

// Work runs the workers (and the rules watcher) until ctx is done. It
// first requeues the events a previous process left unfinished. Up to
// cfg.Workers events are handled at once. When ctx is done, no new event
// is claimed; running events get cfg.ShutdownTimeout to finish, then their
// context is cancelled and those that did not finish are put back in the
// queue. Serve calls Work; call it yourself only when you mount Handler in
// your own HTTP server, and only once per process.
func (s *Server) Work(ctx context.Context) error {
	if err := s.recover(ctx); err != nil {
		return err
	}
	s.work(ctx)
	return nil
}

// recover requeues the events a previous process left running.
func (s *Server) recover(ctx context.Context) error {
	n, err := s.store.Recover(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("resuming events left unfinished by the previous run", "events", n)
	}
	return nil
}

// work is Work after recovery.
func (s *Server) work(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.watch(ctx)
	}()
	hctx, cancelHandles := context.WithCancel(context.Background())
	defer cancelHandles()
	sem := make(chan struct{}, s.cfg.Workers)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	var yield intakeYield
claim:
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break claim
		}
		free := 1 // take every free worker slot, to claim that many at once
	slots:
		for free < cap(sem) {
			select {
			case sem <- struct{}{}:
				free++
			default:
				break slots
			}
		}
		if !s.yieldToIntake(ctx, &yield) {
			for range free {
				<-sem
			}
			break claim
		}
		qs, err := s.store.Claim(ctx, free)
		for range free - len(qs) {
			<-sem
		}
		if err != nil || len(qs) == 0 {
			if err != nil && ctx.Err() == nil {
				s.log.Error("claim failed", "err", err)
			}
			select {
			case <-ctx.Done():
				break claim
			case <-s.store.Wake():
			case <-ticker.C:
			}
			continue
		}
		for _, q := range qs {
			s.running.Add(1)
			go func() {
				defer s.running.Done()
				var once sync.Once
				release := func() { once.Do(func() { <-sem }) }
				defer release()
				s.handle(hctx, q, release)
			}()
		}
	}
	done := make(chan struct{})
	go func() {
		s.running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(s.cfg.ShutdownTimeout):
		s.log.Warn("shutdown timeout: cancelling running events; they stay queued", "timeout", s.cfg.ShutdownTimeout)
		cancelHandles()
		<-done
	}
	wg.Wait()
}

// oldestWaiting is implemented by stores that tell when the event the next
// Claim takes was received (sqlite.DB); false: unknown, or none waiting.
type oldestWaiting interface {
	OldestWaiting() (time.Time, bool)
}

// epoch is the origin of Server.burstAt (monotonic).
var epoch = time.Now()

// burstWriters is how many intake requests waiting for the store at once
// make a burst, and burstGap how long a burst lasts after that was last
// seen. Steady traffic well below saturation rarely has 8 requests
// waiting together (at 2,000 alerts/s and a 1 ms fdatasync, about one
// write in a thousand if arrivals were random: arithmetic, not measured); a saturating burst nearly always does, though their
// count drops each time a group write completes.
const (
	burstWriters = 8
	burstGap     = 5 * time.Millisecond
)

// inBurst reports whether alerts are arriving in a burst.
func (s *Server) inBurst() bool {
	if s.writing.Load() >= burstWriters {
		return true
	}
	at := s.burstAt.Load() // 0: never
	return at != 0 && time.Since(epoch)-time.Duration(at) < burstGap
}

// intakeYield is the claim loop's state for yieldToIntake: the oldest
// waiting event it last waited for, and when (real time) it first did.
type intakeYield struct {
	head     time.Time
	headSeen time.Time
}

// yieldToIntake lets the intake come first during a burst (see
// config.Config.IntakePriority): while alerts arrive in a burst, it waits
// until the oldest waiting event was received IntakePriority ago,
// checking every millisecond whether the burst ended; the claim that
// follows takes that event and the next ones. Whatever the clock says
// (server.WithClock, a clock stepped back), it waits for one oldest event
// at most IntakePriority of real time, and not at all for an event
// received in the future. It returns false if ctx ended meanwhile.
func (s *Server) yieldToIntake(ctx context.Context, y *intakeYield) bool {
	d := config.DefaultIntakePriority
	if s.cfg.IntakePriority != nil {
		d = *s.cfg.IntakePriority
	}
	ow, ok := s.store.(oldestWaiting)
	if d <= 0 || !ok {
		return true
	}
	var timer *time.Timer
	began := time.Now()
	defer func() {
		if timer != nil { // it waited
			s.metrics.yielded.Add(time.Since(began).Seconds())
		}
	}()
	for s.inBurst() {
		received, ok := ow.OldestWaiting()
		if !ok {
			return true
		}
		age := s.now().Sub(received)
		if age < 0 || age >= d {
			return true
		}
		if !received.Equal(y.head) {
			y.head, y.headSeen = received, time.Now()
		}
		wait := min(d-age, d-time.Since(y.headSeen), time.Millisecond)
		if wait <= 0 {
			return true
		}
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
	}
	return true
}

// handling is the state of one event being handled, shared with the
// journaled actions through Server.inflight.
type handling struct {
	id       int64
	mu       sync.Mutex
	journal  map[runKey]int // runs that went through the journal
	reported bool           // first task start observed
}

type runKey struct {
	rule, target, action, reason string
	started                      int64
}

func keyOf(rule, target, action, reason string, started time.Time) runKey {
	return runKey{rule, target, action, reason, started.UnixNano()}
}

func (h *handling) add(k runKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.journal == nil {
		h.journal = map[runKey]int{}
	}
	h.journal[k]++
}

// unjournaled returns the runs that did not go through the journal: dry
// runs, skipped tasks, tasks that failed before they could start.
func (h *handling) unjournaled(runs []alexis.TaskRun) []alexis.TaskRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []alexis.TaskRun
	for _, r := range runs {
		k := keyOf(r.Rule, r.Target, r.Action, r.Reason, r.Started)
		if h.journal[k] > 0 {
			h.journal[k]--
			continue
		}
		out = append(out, r)
	}
	return out
}

// handle runs one claimed event through the engine and records the
// outcome. It calls release, which frees the event's worker slot, once the
// event was handled and only its outcome is left to record: the next claim
// then shares a group commit with that write instead of waiting for it.
func (s *Server) handle(ctx context.Context, q *alexis.QueuedEvent, release func()) {
	log := s.log.With("event", q.Event.Key(), "event_id", q.ID)
	if q.Attempts > 1 {
		log.Warn("handling event again after an interrupted run", "attempt", q.Attempts)
	}
	h := &handling{id: q.ID}
	s.inflight.Store(q.Event, h)
	defer s.inflight.Delete(q.Event)
	if s.hooks.AfterClaim != nil {
		if err := s.hooks.AfterClaim(q); err != nil {
			log.Warn("event abandoned by hook", "err", err)
			return
		}
	}
	rep, panicked, herr := s.safeHandle(ctx, q.Event)
	if panicked != "" {
		// A bug, not a bad alert: record it and move on rather than crash
		// (and crash again on the same event at every restart).
		log.Error("handling the event panicked; marked done", "panic", panicked)
		if err := s.store.Finish(context.Background(), q.ID, h.unjournaled(nil), "panic: "+panicked); err != nil {
			log.Error("recording the outcome failed; the event resumes at the next start", "err", err)
		}
		return
	}
	if ctx.Err() != nil {
		if err := s.store.Requeue(context.Background(), q.ID); err != nil {
			log.Error("requeue failed; the event resumes at the next start", "err", err)
		}
		log.Warn("event interrupted by shutdown; requeued")
		return
	}
	if s.hooks.AfterHandle != nil {
		if err := s.hooks.AfterHandle(q, rep); err != nil {
			log.Warn("event abandoned by hook", "err", err)
			return
		}
	}
	msg := ""
	if herr != nil {
		msg = herr.Error()
	}
	release()
	if err := s.store.Finish(context.Background(), q.ID, h.unjournaled(rep.Runs), msg); err != nil {
		log.Error("recording the outcome failed; the event resumes at the next start", "err", err)
		return
	}
	for _, m := range rep.Plan.Matches {
		s.metrics.ruleMatches.WithLabelValues(m.Rule).Inc()
	}
	s.metrics.handled.WithLabelValues(string(q.Event.Source)).Inc()
	log.Debug("event done", "rules", len(rep.Plan.Matches), "runs", len(rep.Runs))
}

// safeHandle runs Engine.Handle, turning a panic into its message.
func (s *Server) safeHandle(ctx context.Context, ev *alexis.Event) (rep *alexis.Report, panicked string, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = fmt.Sprint(p)
		}
	}()
	rep, err = s.engine.Handle(ctx, ev)
	return rep, "", err
}

// TaskDone implements alexis.Observer: it feeds the metrics.
func (s *Server) TaskDone(ev *alexis.Event, run alexis.TaskRun) {
	s.metrics.actions.WithLabelValues(run.Action, string(run.Status)).Inc()
	if run.Status == alexis.StatusSuccess || run.Status == alexis.StatusFailure {
		s.metrics.actionDuration.WithLabelValues(run.Action).Observe(run.Duration.Seconds())
	}
	v, ok := s.inflight.Load(ev)
	if !ok || ev.Received.IsZero() || run.Status == alexis.StatusSkipped {
		return
	}
	h := v.(*handling)
	h.mu.Lock()
	first := !h.reported
	h.reported = true
	h.mu.Unlock()
	if first {
		s.metrics.toAction.Observe(run.Started.Sub(ev.Received).Seconds())
	}
}

// journaled returns a copy of rs whose actions go through the task
// journal, so that no task runs twice for the same event (see
// sqlite.DB.BeginTask). The rules themselves are not changed.
func (s *Server) journaled(rs *alexis.RuleSet) *alexis.RuleSet {
	out := *rs
	out.Rules = make([]*alexis.Rule, len(rs.Rules))
	for i, r := range rs.Rules {
		c := *r
		c.Tasks = make([]alexis.Task, len(r.Tasks))
		for k, t := range r.Tasks {
			t.Run = &journalAction{s: s, rule: r.Name, task: k, action: t.Action, inner: t.Run}
			c.Tasks[k] = t
		}
		out.Rules[i] = &c
	}
	return &out
}

// journalAction records a task in the journal before running it and its
// result after.
type journalAction struct {
	s      *Server
	rule   string
	task   int
	action string
	inner  alexis.Action
}

func (a *journalAction) Render(ev *alexis.Event, target string) (string, error) {
	return a.inner.Render(ev, target)
}

func (a *journalAction) Run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	v, ok := a.s.inflight.Load(inv.Event)
	if !ok { // not an event of the queue (a library user calling Handle)
		return a.inner.Run(ctx, inv)
	}
	h := v.(*handling)
	start := a.s.now()
	run := alexis.TaskRun{Rule: a.rule, Target: inv.Target, Action: a.action, Reason: inv.Reason, Command: inv.Rendered,
		Result: alexis.Result{Started: start}}
	id, prior, err := a.s.store.BeginTask(ctx, h.id, a.task, run)
	if err != nil {
		a.s.log.Error("task not run: cannot journal it", "rule", a.rule, "target", inv.Target, "err", err)
		return alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Started: start, Retryable: true,
			Error: "not run: cannot record the task in the journal: " + err.Error()}
	}
	if prior != nil {
		a.s.log.Warn("task already ran for this event; not run again", "event", inv.Event.Key(), "rule", a.rule,
			"target", inv.Target, "action", a.action, "status", prior.Status)
		h.add(keyOf(a.rule, inv.Target, a.action, inv.Reason, prior.Started))
		return *prior
	}
	res := a.inner.Run(ctx, inv)
	if res.Started.IsZero() {
		res.Started = start
	}
	if res.Duration == 0 {
		res.Duration = a.s.now().Sub(start)
	}
	if res.Status == "" {
		res.Status = alexis.StatusFailure
	}
	if err := a.s.store.EndTask(context.Background(), id, res); err != nil {
		a.s.log.Error("recording the task result failed", "rule", a.rule, "target", inv.Target, "err", err)
	}
	h.add(keyOf(a.rule, inv.Target, a.action, inv.Reason, res.Started))
	return res
}
