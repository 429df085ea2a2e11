package opsgenie

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/writeback"
)

// Notifier writes the outcome of a handled OpsGenie event back to its alert.
// It implements alexis.Notifier.
//
// It acts on events whose Source is opsgenie and that carry an alert id
// (Event.ID), and with WithDynatraceAlias on Dynatrace events (by alias);
// other events, and events with Ignore set, are left alone.
// For each matched rule, in order:
//
//   - a note, always: the rule's reaction note template (OnSuccess when every
//     run succeeded, OnFailure when a run failed or the rule had nothing to
//     run), or writeback.DefaultNote; secrets redacted, cut to MaxNote;
//   - in dry-run only the note (with the commands that would have run);
//   - the reaction's team, or the remediation team (WithRemediationTeam)
//     when the reaction names none; each team is added once per event;
//   - the reaction's tags, then acknowledge, escalate and close as it says;
//     with WithConfirm, escalate and close wait for OpsGenie's request
//     status and fail if OpsGenie did not carry them out;
//   - when the rule has EscalateAfter and the reaction neither closes nor
//     escalates the alert: a timer that, that long after, escalates the alert if it is
//     still open and unacknowledged (to OnFailure.Escalate, else
//     WithDefaultEscalation).
//
// When no rule matched and the event's action is one of the investigate
// actions (default: Create), the alert goes to the investigation team
// (WithInvestigationTeam) with a note saying so.
//
// Pending escalations live in memory unless WithEscalationStore keeps
// them: Close cancels them, Pending lists them and Schedule restores them.
type Notifier struct {
	w                 AlertWriter
	log               *slog.Logger
	remediationTeam   string
	investigationTeam string
	escalation        string
	investigate       map[string]bool
	confirm           bool
	dynatraceAlias    bool
	counter           func(ctx context.Context, ev *alexis.Event, rule string) (int, error)
	notes             writeback.Cache
	store             EscalationStore

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	pending  map[string]*pending
	attempts map[string]*attemptCount
	closed   bool
}

// PendingEscalation is an escalation waiting for its time.
type PendingEscalation struct {
	AlertID string `json:"alert_id"`
	// IDType says what AlertID is (empty: ByID).
	IDType     IDType    `json:"id_type,omitempty"`
	Rule       string    `json:"rule"`
	Escalation string    `json:"escalation"`
	Due        time.Time `json:"due"`
}

type pending struct {
	PendingEscalation
	timer *time.Timer
}

var _ alexis.Notifier = (*Notifier)(nil)

// NotifierOption configures a Notifier.
type NotifierOption func(*Notifier)

// WithRemediationTeam is the team a remediated alert goes to when the rule's
// reaction names none (the seed's default_remediation_queue).
func WithRemediationTeam(team string) NotifierOption {
	return func(n *Notifier) { n.remediationTeam = team }
}

// WithInvestigationTeam is the team an alert goes to when no rule matched
// (the seed's default_investigation_queue). Empty: leave such alerts alone.
func WithInvestigationTeam(team string) NotifierOption {
	return func(n *Notifier) { n.investigationTeam = team }
}

// WithDefaultEscalation is the escalation used by EscalateAfter when the
// rule's OnFailure names none.
func WithDefaultEscalation(name string) NotifierOption {
	return func(n *Notifier) { n.escalation = name }
}

// WithInvestigateActions sets the event actions for which an unmatched
// alert is routed to investigation (default: Create only, so that notes
// and tag changes on an alert do not re-route it).
func WithInvestigateActions(actions ...string) NotifierOption {
	return func(n *Notifier) {
		n.investigate = map[string]bool{}
		for _, a := range actions {
			n.investigate[a] = true
		}
	}
}

// WithConfirm makes escalate and close wait for OpsGenie's request status
// (AlertWriter.Confirm) and report a request OpsGenie did not carry out.
func WithConfirm(confirm bool) NotifierOption { return func(n *Notifier) { n.confirm = confirm } }

// WithDynatraceAlias also writes back for Dynatrace events, to the
// OpsGenie alert whose alias is the event's problem id (PID), which is how
// the Dynatrace integration for OpsGenie is understood to set the alias
// (UNVERIFIED in the vendors' docs; see wire-formats §3.5). A write to an
// alias no alert has is accepted by OpsGenie and then fails quietly; with
// WithConfirm, escalate and close report it.
func WithDynatraceAlias(on bool) NotifierOption { return func(n *Notifier) { n.dynatraceAlias = on } }

// WithNotifyLogger sets the logger (default slog.Default()).
func WithNotifyLogger(l *slog.Logger) NotifierOption { return func(n *Notifier) { n.log = l } }

// WithAttemptCounter replaces the in-memory attempt numbering: count
// returns how many remediations of rule on this event's alert came before
// (from a history store, or dynatrace.AttemptCounter for alerts raised by
// Dynatrace). The note's attempt number is count+1. A negative count (does
// not know) or an error falls back to the in-memory count.
func WithAttemptCounter(count func(ctx context.Context, ev *alexis.Event, rule string) (int, error)) NotifierOption {
	return func(n *Notifier) { n.counter = count }
}

// EscalationStore keeps pending escalations across a crash (see
// WithEscalationStore).
type EscalationStore interface {
	// SaveEscalation stores p durably, replacing a stored escalation of the
	// same alert and rule.
	SaveEscalation(ctx context.Context, p PendingEscalation) error
	// DeleteEscalation removes p, and only p: a later escalation of the
	// same alert and rule stays.
	DeleteEscalation(ctx context.Context, p PendingEscalation) error
}

// WithEscalationStore keeps every pending escalation in st, so that a
// crash does not lose it: it is saved when it is scheduled (before Notify
// returns; a failure to save is among Notify's errors, and the escalation
// is still kept in memory) and deleted once it has run (escalated, found
// not needed, or failed). Close cancels the timers but leaves what st
// holds, for Schedule to restore at the next start. An escalation that
// Close or a crash interrupts while it runs stays stored and runs again:
// at least once.
func WithEscalationStore(st EscalationStore) NotifierOption {
	return func(n *Notifier) { n.store = st }
}

// NewNotifier returns a Notifier writing through w (a *Client).
func NewNotifier(w AlertWriter, opts ...NotifierOption) *Notifier {
	n := &Notifier{w: w, log: slog.Default(), investigate: map[string]bool{"Create": true},
		pending: map[string]*pending{}, attempts: map[string]*attemptCount{}}
	for _, o := range opts {
		o(n)
	}
	n.log = n.log.With("component", "opsgenie")
	n.ctx, n.cancel = context.WithCancel(context.Background())
	return n
}

// Notify writes the outcome of one handled event. Every write is tried;
// the errors of those that failed are joined.
func (n *Notifier) Notify(ctx context.Context, r *alexis.Report) error {
	ev := r.Event
	if ev == nil || ev.Ignore != "" || ev.ID == "" {
		return nil
	}
	var ref Ref
	switch {
	case ev.Source == alexis.SourceOpsGenie:
		ref = AlertID(ev.ID)
	case ev.Source == alexis.SourceDynatrace && n.dynatraceAlias:
		ref = AliasRef(ev.ID)
	default:
		return nil
	}
	if len(r.Rules) == 0 {
		return n.routeToInvestigation(ctx, ev, ref)
	}
	var errs []error
	fail := func(what string, err error) {
		if err != nil {
			n.log.Warn("write-back failed", "event", ev.Key(), "what", what, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	teams := map[string]bool{}
	for _, rule := range r.Rules {
		status := r.RuleStatus(rule.Name)
		react := rule.OnSuccess
		if status != alexis.StatusSuccess && status != alexis.StatusDryRun {
			react = rule.OnFailure
		}
		attempt := n.attempt(ctx, ev, rule.Name, status == alexis.StatusDryRun)
		note, err := n.notes.Render(react.Note, writeback.New(r, rule, attempt))
		fail("rule "+rule.Name+": note template", err)
		if note != "" {
			_, err := n.w.AddNote(ctx, ref, note)
			fail("rule "+rule.Name+": add note", err)
		}
		if status == alexis.StatusDryRun {
			continue
		}
		team := react.Team
		if team == "" {
			team = n.remediationTeam
		}
		if team != "" && !teams[team] {
			teams[team] = true
			_, err := n.w.AddTeam(ctx, ref, Team{Name: team}, "")
			fail("rule "+rule.Name+": add team "+team, err)
		}
		if len(react.Tags) > 0 {
			_, err := n.w.AddTags(ctx, ref, react.Tags, "")
			fail("rule "+rule.Name+": add tags", err)
		}
		if react.Acknowledge {
			_, err := n.w.Acknowledge(ctx, ref, "")
			fail("rule "+rule.Name+": acknowledge", err)
		}
		if react.Escalate != "" {
			fail("rule "+rule.Name+": escalate", n.confirmed(ctx, func() (string, error) {
				return n.w.Escalate(ctx, ref, Escalation{Name: react.Escalate}, "")
			}))
		}
		if react.Close {
			fail("rule "+rule.Name+": close", n.confirmed(ctx, func() (string, error) {
				return n.w.Close(ctx, ref, "")
			}))
		} else if rule.EscalateAfter > 0 && react.Escalate == "" {
			fail("rule "+rule.Name+": save escalation", n.scheduleFor(ctx, ev, ref, rule))
		}
	}
	return errors.Join(errs...)
}

func (n *Notifier) routeToInvestigation(ctx context.Context, ev *alexis.Event, ref Ref) error {
	if n.investigationTeam == "" || !n.investigate[ev.Action] {
		return nil
	}
	note := fmt.Sprintf("Alexis: no remediation rule matched this alert; routed to %s for investigation.", n.investigationTeam)
	_, err := n.w.AddTeam(ctx, ref, Team{Name: n.investigationTeam}, note)
	if err != nil {
		n.log.Warn("write-back failed", "event", ev.Key(), "what", "investigation team", "err", err)
		return fmt.Errorf("investigation team %s: %w", n.investigationTeam, err)
	}
	return nil
}

// confirmed runs an accepted write and, with WithConfirm, waits for it.
func (n *Notifier) confirmed(ctx context.Context, write func() (string, error)) error {
	id, err := write()
	if err != nil || !n.confirm {
		return err
	}
	_, err = n.w.Confirm(ctx, id)
	return err
}

// attempt numbers this remediation of rule on the event's alert. Dry runs
// are numbered like the next real attempt but do not count.
func (n *Notifier) attempt(ctx context.Context, ev *alexis.Event, rule string, dry bool) int {
	if n.counter != nil {
		c, err := n.counter(ctx, ev, rule)
		if err != nil {
			n.log.Warn("attempt count failed; counting in memory", "event", ev.Key(), "rule", rule, "err", err)
		} else if c >= 0 {
			return c + 1
		}
	}
	key := ev.ID + "\x00" + rule
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.attempts[key]
	if c == nil {
		c = &attemptCount{}
		if !dry {
			n.pruneAttempts()
			n.attempts[key] = c
		}
	}
	if dry {
		return c.n + 1
	}
	c.n++
	c.last = time.Now()
	return c.n
}

// attemptCount is the in-memory count of one rule's remediations of one alert.
type attemptCount struct {
	n    int
	last time.Time
}

// Bounds of the in-memory attempt counts: at most maxAttemptKeys alerts ×
// rules are remembered; when full, those idle for attemptTTL go first,
// then all but the newest half.
const (
	maxAttemptKeys = 10000
	attemptTTL     = 24 * time.Hour
)

// pruneAttempts makes room for one more count. n.mu is held.
func (n *Notifier) pruneAttempts() {
	if len(n.attempts) < maxAttemptKeys {
		return
	}
	cutoff := time.Now().Add(-attemptTTL)
	for k, c := range n.attempts {
		if c.last.Before(cutoff) {
			delete(n.attempts, k)
		}
	}
	if len(n.attempts) < maxAttemptKeys {
		return
	}
	lasts := make([]time.Time, 0, len(n.attempts))
	for _, c := range n.attempts {
		lasts = append(lasts, c.last)
	}
	sort.Slice(lasts, func(i, j int) bool { return lasts[i].Before(lasts[j]) })
	median := lasts[len(lasts)/2]
	for k, c := range n.attempts {
		if c.last.Before(median) {
			delete(n.attempts, k)
		}
	}
	for k := range n.attempts { // equal times: drop any
		if len(n.attempts) < maxAttemptKeys/2 {
			break
		}
		delete(n.attempts, k)
	}
}

func (n *Notifier) scheduleFor(ctx context.Context, ev *alexis.Event, ref Ref, rule *alexis.Rule) error {
	esc := rule.OnFailure.Escalate
	if esc == "" {
		esc = n.escalation
	}
	if esc == "" {
		n.log.Warn("escalate_after set but no escalation named (on_failure.escalate or the default)", "event", ev.Key(), "rule", rule.Name)
		return nil
	}
	return n.schedule(ctx, PendingEscalation{AlertID: ref.Value, IDType: ref.Type, Rule: rule.Name, Escalation: esc, Due: time.Now().Add(rule.EscalateAfter)})
}

// Schedule arranges an escalation: at p.Due (at once if it has passed),
// if alert p.AlertID is still open and unacknowledged, it is escalated to
// p.Escalation. It replaces a pending escalation of the same alert and
// rule. With WithEscalationStore it is saved first (a failure is logged).
// After Close it does nothing.
func (n *Notifier) Schedule(p PendingEscalation) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := n.schedule(ctx, p); err != nil {
		n.log.Error("escalation not saved; a crash before it runs loses it", "alert", p.AlertID, "rule", p.Rule, "err", err)
	}
}

// storeTimeout bounds the EscalationStore calls made without a caller's
// context.
const storeTimeout = 10 * time.Second

// schedule saves p in the store, if any, then arms its timer (saving
// first: a timer that fires at once deletes what was saved, never the
// reverse). The timer is armed even if saving failed.
func (n *Notifier) schedule(ctx context.Context, p PendingEscalation) error {
	key := string(p.IDType) + ":" + p.AlertID + "\x00" + p.Rule
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		n.log.Warn("notifier closed; escalation not scheduled", "alert", p.AlertID, "rule", p.Rule)
		return nil
	}
	var err error
	if n.store != nil {
		err = n.store.SaveEscalation(ctx, p)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed { // saved, if it was, for the next start
		return err
	}
	if old := n.pending[key]; old != nil {
		old.timer.Stop()
	}
	pe := &pending{PendingEscalation: p}
	pe.timer = time.AfterFunc(time.Until(p.Due), func() {
		n.mu.Lock()
		if n.pending[key] != pe || n.closed {
			n.mu.Unlock()
			return
		}
		delete(n.pending, key)
		n.wg.Add(1)
		n.mu.Unlock()
		defer n.wg.Done()
		if n.escalateIfOpen(p) {
			n.forget(p)
		}
	})
	n.pending[key] = pe
	return err
}

// forget deletes an escalation that ran from the store.
func (n *Notifier) forget(p PendingEscalation) {
	if n.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := n.store.DeleteEscalation(ctx, p); err != nil {
		n.log.Error("escalation ran but is still stored; it runs again after a restart", "alert", p.AlertID, "rule", p.Rule, "err", err)
	}
}

// escalateIfOpen escalates p's alert if it is still open and
// unacknowledged. It returns false when Close interrupted it (p is then
// left for the next start), true when it ran to an end, failures included.
func (n *Notifier) escalateIfOpen(p PendingEscalation) bool {
	ref := Ref{Value: p.AlertID, Type: p.IDType}
	if ref.Type == "" {
		ref.Type = ByID
	}
	log := n.log.With("alert", p.AlertID, "rule", p.Rule, "escalation", p.Escalation)
	a, err := n.w.Get(n.ctx, ref)
	if err != nil {
		log.Warn("escalation check failed", "err", err)
		return n.ctx.Err() == nil
	}
	if a.Status != "open" || a.Acknowledged {
		log.Info("no escalation needed", "status", a.Status, "acknowledged", a.Acknowledged)
		return true
	}
	note := fmt.Sprintf("Alexis: alert still open after remediation by rule %q; escalating to %s.", p.Rule, p.Escalation)
	if err := n.confirmed(n.ctx, func() (string, error) {
		return n.w.Escalate(n.ctx, ref, Escalation{Name: p.Escalation}, note)
	}); err != nil {
		log.Warn("escalation failed", "err", err)
		return n.ctx.Err() == nil
	}
	log.Info("escalated")
	return true
}

// Pending lists the escalations waiting for their time, soonest first.
func (n *Notifier) Pending() []PendingEscalation {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]PendingEscalation, 0, len(n.pending))
	for _, p := range n.pending {
		out = append(out, p.PendingEscalation)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due) })
	return out
}

// Close cancels the pending escalations and waits for any that is running.
// Those WithEscalationStore keeps stay stored; otherwise call Pending
// first to keep them.
func (n *Notifier) Close() error {
	n.mu.Lock()
	n.closed = true
	for k, p := range n.pending {
		p.timer.Stop()
		delete(n.pending, k)
	}
	n.mu.Unlock()
	n.cancel()
	n.wg.Wait()
	return nil
}
