package alexis

import "time"

// Execution is one task run as the history keeps it: which event, which
// rule, what ran against which target, why, and how it ended. Package
// sqlite stores them; `alexis report` and GET /v1/executions read them.
type Execution struct {
	ID       int64         `json:"id"`
	EventID  int64         `json:"event_id"`
	Event    string        `json:"event"` // the event's Key
	Source   Source        `json:"source"`
	Rule     string        `json:"rule"`
	Target   string        `json:"target"`
	Action   string        `json:"action"`
	Reason   string        `json:"reason,omitempty"`
	Command  string        `json:"command,omitempty"`
	Status   Status        `json:"status"`
	ExitCode int           `json:"exit_code"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Output is the tail of the task's output.
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ExecutionFilter selects executions. Zero fields select everything; Since
// is inclusive and Until exclusive. Limit 0 means the store's default.
type ExecutionFilter struct {
	Rule    string
	Target  string
	Action  string
	Status  Status
	EventID int64
	Since   time.Time
	Until   time.Time
	Limit   int
}

// ExecutionStats sums up the runs of one (rule, action, target) group: the
// answers to "what ran, did it work, how long did it take, how often".
// Dry runs and skipped tasks are counted in Runs but are neither successes
// nor failures, and do not enter the durations.
type ExecutionStats struct {
	Rule      string `json:"rule"`
	Action    string `json:"action"`
	Target    string `json:"target"`
	Runs      int    `json:"runs"`
	Successes int    `json:"successes"`
	Failures  int    `json:"failures"`
	// SuccessRate is Successes / (Successes + Failures): the share of the
	// runs that really ran that succeeded. Nil (absent from the JSON) when
	// none did (only dry runs or skipped tasks): no rate, not a 0% one.
	SuccessRate  *float64      `json:"success_rate,omitempty"`
	MeanDuration time.Duration `json:"mean_duration"`
	P95Duration  time.Duration `json:"p95_duration"`
	Last         time.Time     `json:"last"`
}
