package alexis

import "time"

// Plan is what the Engine would do for one event: every matching rule in
// order, with its resolved targets and its tasks fully rendered. Computing a
// plan runs nothing. A Plan is a plain value: compare it with go-cmp in tests.
type Plan struct {
	// Event is the event's Key.
	Event string `json:"event"`
	// Ignored repeats Event.Ignore: such an event has no matches.
	Ignored string  `json:"ignored,omitempty"`
	Matches []Match `json:"matches"`
}

// Match is a rule that matched an event, with the targets it resolved.
type Match struct {
	Rule    string   `json:"rule"`
	Targets []string `json:"targets"`
	// DryRun is true when the rule or the engine is in dry-run mode.
	DryRun bool          `json:"dry_run,omitempty"`
	Tasks  []PlannedTask `json:"tasks"`
	// Error says why the targets could not be resolved, if they could not.
	Error string `json:"error,omitempty"`
}

// PlannedTask is one task on one target, rendered.
type PlannedTask struct {
	Target  string        `json:"target"`
	Action  string        `json:"action"`
	Reason  string        `json:"reason,omitempty"`
	Command string        `json:"command"`
	Timeout time.Duration `json:"timeout,omitempty"`
	// Error says why the task cannot run on this target (an invalid
	// target, a template that failed); such a task fails without running.
	Error string `json:"error,omitempty"`
}

// RuleNames lists the names of the matching rules, in order.
func (p Plan) RuleNames() []string {
	out := make([]string, len(p.Matches))
	for i, m := range p.Matches {
		out[i] = m.Rule
	}
	return out
}

// Report is the outcome of handling one event: the plan and every task run.
type Report struct {
	Event *Event `json:"event"`
	Plan  Plan   `json:"plan"`
	// Rules are the matched rules, in the order of Plan.Matches.
	Rules []*Rule   `json:"-"`
	Runs  []TaskRun `json:"runs"`
}

// TaskRun is one task run on one target.
type TaskRun struct {
	Rule    string `json:"rule"`
	Target  string `json:"target"`
	Action  string `json:"action"`
	Reason  string `json:"reason,omitempty"`
	Command string `json:"command"`
	Result
}

// RuleStatus sums up the runs of one rule: failure if any task failed;
// otherwise skipped if any task was skipped (a cancelled run, a target
// over the rule's limits: the remediation did not fully happen); dry-run
// if every run was a dry run; success when every task succeeded. A
// matched rule with no runs (no targets) is skipped.
func (r *Report) RuleStatus(rule string) Status {
	n, dry, skipped := 0, 0, 0
	for _, t := range r.Runs {
		if t.Rule != rule {
			continue
		}
		n++
		switch t.Status {
		case StatusFailure:
			return StatusFailure
		case StatusDryRun:
			dry++
		case StatusSkipped:
			skipped++
		}
	}
	switch {
	case n == 0 || skipped > 0:
		return StatusSkipped
	case dry == n:
		return StatusDryRun
	}
	return StatusSuccess
}

// RunsOf returns the runs of one rule, in order.
func (r *Report) RunsOf(rule string) []TaskRun {
	var out []TaskRun
	for _, t := range r.Runs {
		if t.Rule == rule {
			out = append(out, t)
		}
	}
	return out
}
