package dynatrace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/writeback"
)

// DryRunPrefix starts the comment of a dry run; it does not count as an attempt.
const DryRunPrefix = "Autoremediation Dry Run"

// Notifier writes the outcome of a handled event back to its Dynatrace
// problem. It implements alexis.Notifier.
//
// It acts on events whose problem id ProblemID finds: Dynatrace events, and
// OpsGenie events raised by the Dynatrace integration. For each matched
// rule, in order:
//
//   - a comment "Autoremediation Attempt N" followed by the rule's reaction
//     comment template (OnSuccess when every run succeeded, OnFailure
//     otherwise), else its note template (the same text as the OpsGenie
//     note), else writeback.DefaultNote, with context "Alexis"; N counts
//     Alexis' earlier attempt comments on the problem (CountAttempts), so
//     numbering survives restarts; a dry run writes "Autoremediation Dry
//     Run" and nothing else;
//   - a CUSTOM_INFO event (WithEventType to change) on the impacted entity
//     that matches the rule's target by name, else the first impacted
//     entity (from the event, or from the problem when the event names
//     none), with the rule, target, action, reason, status and ids as
//     properties;
//   - when the rule succeeded and its OnSuccess says close: the problem is
//     closed with the comment text.
//
// Unmatched events are left alone: routing is OpsGenie's business.
type Notifier struct {
	w         ProblemWriter
	log       *slog.Logger
	context   string
	eventType string
	comments  writeback.Cache
}

var _ alexis.Notifier = (*Notifier)(nil)

// NotifierOption configures a Notifier.
type NotifierOption func(*Notifier)

// WithNotifyLogger sets the logger (default slog.Default()).
func WithNotifyLogger(l *slog.Logger) NotifierOption { return func(n *Notifier) { n.log = l } }

// WithNotifyContext sets the context of the comments, by which earlier
// attempts are recognised (default DefaultContext, "Alexis").
func WithNotifyContext(s string) NotifierOption { return func(n *Notifier) { n.context = s } }

// WithEventType sets the event type of remediation markers: EventInfo
// (default), EventDeployment or EventAnnotation.
func WithEventType(t string) NotifierOption { return func(n *Notifier) { n.eventType = t } }

// NewNotifier returns a Notifier writing through w (a *Client).
func NewNotifier(w ProblemWriter, opts ...NotifierOption) *Notifier {
	n := &Notifier{w: w, log: slog.Default(), context: DefaultContext, eventType: EventInfo}
	for _, o := range opts {
		o(n)
	}
	n.log = n.log.With("component", "dynatrace")
	return n
}

var pidRE = regexp.MustCompile(`^-?[0-9]+(_[0-9]+V2)?$`)

// ProblemID returns the Dynatrace problem id (PID) an event concerns: the
// ID of a Dynatrace event; for an OpsGenie event, its "PID" detail (any
// case) or else its alias, if either has the form of a PID. Otherwise "".
func ProblemID(ev *alexis.Event) string {
	switch ev.Source {
	case alexis.SourceDynatrace:
		return ev.ID
	case alexis.SourceOpsGenie:
		for k, v := range ev.Details {
			if strings.EqualFold(k, "PID") && pidRE.MatchString(strings.TrimSpace(v)) {
				return strings.TrimSpace(v)
			}
		}
		if pidRE.MatchString(ev.Alias) {
			return ev.Alias
		}
	}
	return ""
}

// AttemptCounter counts, for the OpsGenie notifier's WithAttemptCounter,
// Alexis' earlier attempt comments on the problem of an event (ProblemID),
// so that OpsGenie notes and Dynatrace comments number attempts alike and
// the count survives restarts. For an event without a problem it returns
// -1 (unknown). The count is per problem, whatever the rule: when several
// rules match one event, their OpsGenie notes share the next number while
// the Dynatrace comments number them in turn. List the OpsGenie notifier
// before the Dynatrace one, so that it counts before the new comment is
// written.
func AttemptCounter(w ProblemWriter, commentContext string) func(ctx context.Context, ev *alexis.Event, rule string) (int, error) {
	if commentContext == "" {
		commentContext = DefaultContext
	}
	return func(ctx context.Context, ev *alexis.Event, _ string) (int, error) {
		pid := ProblemID(ev)
		if pid == "" {
			return -1, nil
		}
		cs, err := w.Comments(ctx, pid)
		if err != nil {
			return -1, err
		}
		return CountAttempts(cs, commentContext), nil
	}
}

// Notify writes the outcome of one handled event. Every write is tried;
// the errors of those that failed are joined.
func (n *Notifier) Notify(ctx context.Context, r *alexis.Report) error {
	ev := r.Event
	if ev == nil || ev.Ignore != "" || len(r.Rules) == 0 {
		return nil
	}
	pid := ProblemID(ev)
	if pid == "" {
		return nil
	}
	var errs []error
	fail := func(what string, err error) {
		if err != nil {
			n.log.Warn("write-back failed", "event", ev.Key(), "problem", pid, "what", what, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	attempts := 0
	if cs, err := n.w.Comments(ctx, pid); err != nil {
		fail("count earlier attempts", err)
	} else {
		attempts = CountAttempts(cs, n.context)
	}
	var entities []alexis.Entity
	entitiesDone := false
	for _, rule := range r.Rules {
		status := r.RuleStatus(rule.Name)
		react := rule.OnSuccess
		if status != alexis.StatusSuccess && status != alexis.StatusDryRun {
			react = rule.OnFailure
		}
		header := DryRunPrefix
		if status != alexis.StatusDryRun {
			attempts++
			header = AttemptPrefix + " " + strconv.Itoa(attempts)
		}
		d := writeback.New(r, rule, attempts+boolInt(status == alexis.StatusDryRun))
		tmpl := react.Comment
		if tmpl == "" {
			tmpl = react.Note // the same content as the OpsGenie note
		}
		text, err := n.comments.Render(tmpl, d)
		fail("rule "+rule.Name+": comment template", err)
		msg := header + "\n" + text
		fail("rule "+rule.Name+": comment", n.w.AddComment(ctx, pid, msg, n.context))
		if status == alexis.StatusDryRun {
			continue
		}
		if !entitiesDone {
			entities, err = n.entities(ctx, ev, pid)
			fail("impacted entities", err)
			entitiesDone = true
		}
		_, err = n.w.IngestEvent(ctx, n.marker(ev, pid, d, entities))
		fail("rule "+rule.Name+": event", err)
		if status == alexis.StatusSuccess && react.Close {
			fail("rule "+rule.Name+": close", n.w.Close(ctx, pid, msg))
		}
	}
	return errors.Join(errs...)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// entities returns the impacted entities with ids: the event's, else the
// problem's.
func (n *Notifier) entities(ctx context.Context, ev *alexis.Event, pid string) ([]alexis.Entity, error) {
	var out []alexis.Entity
	for _, e := range ev.Entities {
		if e.ID != "" {
			out = append(out, e)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	p, err := n.w.Problem(ctx, pid)
	if err != nil {
		return nil, err
	}
	for _, e := range p.ImpactedEntities {
		out = append(out, alexis.Entity{ID: e.EntityID.ID, Type: e.EntityID.Type, Name: e.Name})
	}
	if p.RootCauseEntity != nil && p.RootCauseEntity.EntityID.ID != "" {
		e := p.RootCauseEntity
		out = append(out, alexis.Entity{ID: e.EntityID.ID, Type: e.EntityID.Type, Name: e.Name})
	}
	return out, nil
}

// marker builds the remediation event of one rule.
func (n *Notifier) marker(ev *alexis.Event, pid string, d writeback.Data, entities []alexis.Entity) EventIngest {
	target := d.Target
	if target == "" && len(d.Targets) > 0 {
		target = d.Targets[0]
	}
	title := "Alexis remediation " + d.Status + ": " + d.Rule
	if target != "" {
		title += " on " + target
	}
	props := map[string]string{
		"alexis.rule": d.Rule, "alexis.status": d.Status, "alexis.attempt": strconv.Itoa(d.Attempt),
		"alexis.event": ev.Key(), "dynatrace.problemId": pid, "triggeredBy": "alexis",
	}
	set := func(k, v string) {
		if v != "" {
			props[k] = writeback.Cut(v, 1000)
		}
	}
	set("alexis.target", target)
	set("alexis.targets", strings.Join(d.Targets, ","))
	set("alexis.action", d.Kind)
	set("alexis.reason", d.Reason)
	if len(d.Runs) > 0 {
		props["alexis.exit_code"] = strconv.Itoa(d.ExitCode)
		props["alexis.duration_ms"] = strconv.FormatInt(d.Duration.Milliseconds(), 10)
	}
	if ev.Source == alexis.SourceOpsGenie {
		set("opsgenie.alertId", ev.ID)
	}
	out := EventIngest{EventType: n.eventType, Title: writeback.Cut(title, 256), Properties: props}
	if e := pickEntity(entities, target); e != "" {
		out.EntitySelector = EntitySelector(e)
	}
	return out
}

// pickEntity returns the id of the entity named like target (the whole
// name, or its first DNS label), else of the first host, else of the first
// entity.
func pickEntity(entities []alexis.Entity, target string) string {
	host, _, _ := strings.Cut(target, ".")
	for _, e := range entities {
		if target != "" && (strings.EqualFold(e.Name, target) || strings.EqualFold(e.Name, host)) {
			return e.ID
		}
	}
	for _, e := range entities {
		if e.Type == "HOST" || strings.HasPrefix(e.ID, "HOST-") {
			return e.ID
		}
	}
	if len(entities) > 0 {
		return entities[0].ID
	}
	return ""
}
