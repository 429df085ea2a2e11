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
// Enqueue returns after the transaction holding the events committed on a
// connection with synchronous=FULL: in WAL mode SQLite fsyncs the WAL on
// every such commit, so an acknowledged event survives a crash of the
// process and a power loss. Concurrent Enqueue calls are batched into one
// transaction by a single writer goroutine (group commit), so the cost of
// the fsync is shared. BeginTask, which records that an action is about to
// run, is also synchronous=FULL. Claims, results and history rows use
// synchronous=NORMAL: they survive a crash of the process; a power loss may
// lose the last of them, which at worst makes an event be claimed again,
// and BeginTask keeps its actions from running twice.
//
// # Exactly once, at most once
//
// An event is stored once per Event.Key (a unique index): duplicates get
// the first delivery's ID. A claimed event that was not finished when the
// process stopped is requeued by Recover at the next start and handled
// again; every task it had begun is found in the journal by (event, rule,
// task index, target) and is not run again: a finished task reports its
// recorded result, a task that was running when the process died is
// recorded as failed with the Interrupted error. So each action runs at
// most once per event and target, and exactly once unless the process
// dies while it runs. Notifiers (OpsGenie notes, Dynatrace comments) are
// not journaled: a crash between notifying and finishing the event makes
// them run again (at least once).
package sqlite
