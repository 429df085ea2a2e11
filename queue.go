package alexis

// Event states in the durable queue (package sqlite). An event is queued
// when it is accepted, running while a worker handles it, done when every
// matching rule ran, and ignored when its Ignore was set (never run).
const (
	EventQueued  = "queued"
	EventRunning = "running"
	EventDone    = "done"
	EventIgnored = "ignored"
)

// Receipt is what the queue answers for one accepted event. A second
// delivery of the same Event.Key gets the first delivery's ID with
// Duplicate set, and is never queued again.
type Receipt struct {
	ID        int64  `json:"id"`
	Key       string `json:"key"`
	Status    string `json:"status"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Ignored   string `json:"ignored,omitempty"`
}

// QueuedEvent is an event a worker claimed from the queue.
type QueuedEvent struct {
	ID    int64
	Event *Event
	// Attempts counts the claims of this event, this one included: more
	// than 1 means an earlier run was interrupted.
	Attempts int
}
