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
// Every write (Enqueue, Claim, Finish, BeginTask, EndTask, Requeue) goes
// through one goroutine that batches the writes waiting at the same time
// into one transaction (group commit), on one connection with
// synchronous=FULL: in WAL mode SQLite fsyncs the WAL at every commit, so
// each write has survived a crash of the process and a power loss when
// its method returns, and an acknowledged alert is never lost. Under load
// the committer waits up to 2 ms for more writes (WithBatch); a lone write
// commits at once. One writer also means no writer ever waits in SQLite's
// busy handler. Queries run on read-only connections beside it.
//
// An event is stored as its JSON (without the body) and its raw body. The
// events Enqueue newly queued are also kept in memory, up to MaxHandOff,
// once their transaction committed: Claim hands those to the worker as
// they are instead of decoding the stored copy. After a restart, or for an
// event requeued or beyond that bound, Claim decodes the stored copy.
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
