package alexis

import "time"

// Scope is the evaluation state of one event, prepared once by
// RuleSet.Prepare and shared by every rule's expressions. It is opaque to
// the Engine; package match defines what it holds.
type Scope any

// Condition is a compiled predicate over an event (a rule's `when`).
// A missing field makes it false, never an error; an error means the
// expression failed at run time in a way the author should hear about.
type Condition interface {
	Eval(Scope) (bool, error)
}

// TargetSelector yields the targets (hosts) a matching rule acts on.
type TargetSelector interface {
	Select(Scope) ([]string, error)
}

// StaticTargets is a TargetSelector for an explicit list of targets.
type StaticTargets []string

// Select returns a copy of the list.
func (t StaticTargets) Select(Scope) ([]string, error) {
	return append([]string(nil), t...), nil
}

// Rule is a compiled, immutable rule. Package rule builds rules from files;
// library users may also build them in Go.
type Rule struct {
	Name        string
	Description string
	Version     string
	// Enabled is false for rules that are loaded and validated but never
	// match (`enabled: false`).
	Enabled bool
	// File and Line locate the rule's definition, for messages.
	File string
	Line int
	// Sources restricts the rule to events from these sources; empty means
	// every source.
	Sources []Source
	// When decides whether the rule matches. When it is nil the rule matches
	// every event of its sources.
	When Condition
	// WhenText is the source text of When, for display.
	WhenText string
	// Targets resolves the hosts to act on. Nil means no target: tasks
	// that need none (http, exec) run once with an empty target.
	Targets TargetSelector
	// Tasks run in order on each target.
	Tasks []Task
	// OnSuccess and OnFailure say what to write back where people look.
	OnSuccess Reaction
	OnFailure Reaction
	// EscalateAfter, when positive, escalates the alert if it is still open
	// that long after the remediation ran (the seed's delay_escalation).
	EscalateAfter time.Duration
	Limits        Limits
	// DryRun makes this rule plan and report without touching any host,
	// whatever the engine's setting (the seed's "development" mode).
	DryRun bool
	// Requires holds conditions that are necessary for When to be true.
	// The Engine's index uses them to skip rules that cannot match; they
	// must never exclude an event that When would accept.
	Requires Requirements
}

// Requirements are necessary conditions of a rule, found by static analysis
// of its expression. They are an optimisation only.
type Requirements struct {
	// Tags must all be present on the event.
	Tags []string `json:"tags,omitempty"`
	// Equals maps a normalized field (source, id, short_id, alias, action,
	// message, description, priority) to the exact value it must have.
	Equals map[string]string `json:"equals,omitempty"`
	// TagValues maps a tag key to the value it must have among the
	// event's tag values (Event.TagValues, or ParseTags(Event.Tags) when
	// that is nil).
	TagValues map[string]string `json:"tag_values,omitempty"`
}

// Task is one step of a rule: an action with its decoded parameters.
type Task struct {
	// Action is the action type's name ("ssh", "exec", "http").
	Action string
	// Params are the parameters as the rule file wrote them.
	Params Params
	// Run is the prepared action that Params decoded into.
	Run Action
	// Timeout bounds one run of the task on one target (0: the action's own default).
	Timeout time.Duration
	// DelayAfter is a pause after the task before the next one on the same target.
	DelayAfter time.Duration
	// Reason labels the task in logs, notes and history ("restart-gc").
	Reason string
	// ContinueOnFailure lets the target's next tasks run after this one fails.
	ContinueOnFailure bool
}

// Reaction is what to write back after a remediation: on success or on
// failure. Package opsgenie and package dynatrace carry it out.
type Reaction struct {
	// Team is an OpsGenie team to route the alert to (the seed's route_to_team).
	Team string `json:"team,omitempty"`
	// Note is a template for an OpsGenie note; empty uses the default.
	Note string `json:"note,omitempty"`
	// Comment is a template for a Dynatrace problem comment; empty uses the default.
	Comment string `json:"comment,omitempty"`
	// Close closes the alert or problem.
	Close bool `json:"close,omitempty"`
	// Acknowledge acknowledges the OpsGenie alert.
	Acknowledge bool `json:"acknowledge,omitempty"`
	// Escalate names an OpsGenie escalation to escalate to.
	Escalate string `json:"escalate,omitempty"`
	// Tags are added to the OpsGenie alert.
	Tags []string `json:"tags,omitempty"`
}

// Limits bound how often and how widely a rule acts.
type Limits struct {
	// PerTarget is the most runs of this rule on one target within Window (0: no limit).
	PerTarget int
	// Window is the period of PerTarget.
	Window time.Duration
	// Concurrency is the most targets this rule acts on at once (0: the engine's bound).
	Concurrency int
}

// RuleSet is an ordered set of compiled rules and the function that
// prepares an event for their expressions.
type RuleSet struct {
	Rules []*Rule
	// Prepare builds the Scope of one event. Nil gives a nil Scope, which
	// only Conditions that need nothing can use.
	Prepare func(*Event) Scope
	// Hash identifies the set's content (sha256 of the files, by package rule).
	Hash string
	// Files are the files the set was loaded from, in load order.
	Files []string
}

// Lookup returns the rule with the given name.
func (rs *RuleSet) Lookup(name string) *Rule {
	for _, r := range rs.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}
