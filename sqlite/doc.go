// Package sqlite is Alexis' embedded store: the durable event queue that
// the webhook server writes before it answers, the task journal that keeps
// an action from running twice, and the execution history that reports
// read. It uses modernc.org/sqlite (pure Go, no cgo) in WAL mode.
//
// The shortest use:
//
//	db, err := sqlite.Open("data/alexis.db")
//	defer db.Close()
//	receipts, err := db.Enqueue(ctx, events)         // durable when it returns
//	stats, err := db.Summary(ctx, time.Now().Add(-24*time.Hour))
//
// # Durability
//
// Enqueue appends the events to the intake log, a directory of segment
// files beside the database (alexis.db-intake/), through one goroutine
// that shares one write and one fdatasync among every Enqueue waiting at
// the same time (group commit): each event has survived a crash of the
// process and a power loss when Enqueue returns, and an acknowledged alert
// is never lost. Duplicates are answered there too: the log writer knows
// the keys of the events in the log and looks the others up in the
// database only for keys a Bloom filter of the stored keys may hold. Under
// load it waits up to 2 ms for more calls (WithBatch); a lone call is
// written at once. WithUnsafeNoSync leaves out the fdatasync, for
// benchmarks only: it measures what durability costs, and gives it up.
//
// Every write of the database (Claim, Finish, BeginTask, EndTask, Requeue)
// goes through a second goroutine that batches the writes waiting at the
// same time into one transaction, on one connection with
// synchronous=FULL: in WAL mode SQLite fsyncs the WAL at every commit, so
// these writes too are durable when their method returns. One writer also
// means no writer ever waits in SQLite's busy handler. Queries run on
// read-only connections beside it.
//
// A worker claims an event from the log without a write: Claim hands it
// the event as Enqueue got it (kept in memory, no decoding), and the
// event's row reaches the database with its first journal entry
// (BeginTask, before any action runs) or with its outcome (Finish),
// whichever comes first: an event that runs no action costs one write. If
// the process dies before that, the event is still in the log and the
// next start handles it again (nothing of it had run). Ignored events are
// inserted as ignored right after they are logged; past MaxHandOff events
// or MaxHandOffBytes waiting in memory, the oldest are inserted as queued
// until half of each bound is left; Close inserts
// every event still waiting, as queued. A segment is deleted once all its
// events are in the database. Open replays what the log still holds after
// a crash into the database (skipping keys already stored) before
// anything else. In the database an event is its JSON (without the body)
// and its raw body; Claim decodes those for an event requeued, resumed or
// moved there.
//
// One process owns a store: Open locks the intake log (a LOCK file, flock),
// and a second Open fails. OpenReadOnly opens the database for queries
// beside its owner (alexis report does): it does not see the events still
// in the owner's intake log, and its write methods fail.
//
// # Exactly once, at most once
//
// An event is stored once per Event.Key (a unique index): duplicates get
// the first delivery's ID. A claimed event that was not finished when the
// process stopped is requeued by Recover at the next start and handled
// again; every task it had begun is found in the journal by (event, rule,
// task index, target) and is not run again: a finished task reports its
// recorded result, a task that was running when the process died is
// recorded as failed with the Interrupted error, and one whose place
// (rule, task number, target) now holds another action or command because
// the rule was edited in between fails with RuleChanged instead of
// running. So each action runs at most once per event and target, and
// exactly once unless the process dies while it runs. Notifiers (OpsGenie notes, Dynatrace comments) are
// not journaled: a crash between notifying and finishing the event makes
// them run again (at least once).
//
// # Escalations
//
// SaveEscalation, DeleteEscalation and Escalations keep the server's
// escalate_after timers, one row of the meta table each, from when a
// timer is set until it ran: written through the group committer like
// every other write, so a pending escalation survives a crash.
package sqlite
