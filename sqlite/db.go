package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexis-project/alexis"
	_ "modernc.org/sqlite" // the pure-Go driver, registered as "sqlite"
)

// DB is the Alexis store: the durable event queue, the task journal and the
// execution history, in one SQLite file, with an intake log in front of
// it. It is safe for concurrent use.
//
// Accepted events are first appended to the intake log (a directory of
// segment files beside the database) by one goroutine that shares one
// write and one fdatasync among every waiting Enqueue (intakelog.go); they
// reach SQLite with their first journal entry or their outcome (doc.go). Every write of SQLite (claims,
// results, the journal) goes through another goroutine that batches
// concurrent writes into one transaction (group commit) on one connection
// with synchronous=FULL. Either way, each write is durable, across a power
// loss too, when its method returns. Queries use a pool of read-only
// connections, which WAL mode lets run beside the writer.
type DB struct {
	path   string
	writer *sql.DB
	read   *sql.DB
	log    *slog.Logger
	now    func() time.Time

	window   time.Duration
	maxBatch int
	in       chan *op
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stmts    map[string]*sql.Stmt // the writer's, used by the committer only
	commits  atomic.Int64
	ops      atomic.Int64
	busy     atomic.Int64 // nanoseconds spent in commitTx
	mu       sync.RWMutex // guards closed against sends on in and intakeIn
	closed   bool
	readOnly bool     // OpenReadOnly: no writer, no intake log
	lock     *os.File // held (flock) while the store is open for writing
	crashed  bool     // Close as a crash would: nothing moved from the log (tests)

	// The intake log (intake.go, intakelog.go). The log writer goroutine
	// owns logDir, seg, nextSeg, nextID and logBuf.
	logDir          string
	seg             *segment
	nextSeg         atomic.Uint64
	prepared        chan *segment // the next segment, preallocated (prepareSegments)
	prepWant        chan struct{} // the current segment is half full
	prepDone        chan struct{}
	stopPrep        context.CancelFunc
	nextID          int64
	logBuf          []byte
	logWrites       atomic.Int64
	logWriteTime    atomic.Int64 // ns in the log's writes and fdatasyncs
	intakeIn        chan *intakeReq
	intakeStop      chan struct{}
	intakeDone      chan struct{}
	sqlQueued       atomic.Bool  // the database may hold queued events
	failAppend      error        // tests: the next log writes fail with it
	noSync          bool         // WithUnsafeNoSync: log writes are not flushed
	maxHandOff      int          // MaxHandOff; tests lower it
	maxHandOffBytes int          // MaxHandOffBytes; tests lower it
	lookups         atomic.Int64 // keys looked up in the database by the log writer

	// The filter of stored keys (keyfilter.go), the log writer's.
	filter        *keyFilter
	filterBacklog []string
	filterGone    bool
	filterReady   chan *keyFilter
	filterOn      atomic.Bool // filter installed (for tests)
	filterDone    chan struct{}
	stopFilter    context.CancelFunc

	pendMu    sync.Mutex
	pendKeys  map[string]*pending // every event in the log and not in SQLite
	pendByID  map[int64]*pending
	pendQ     []*pending // those waiting for a worker, in order
	pendBytes int        // their size()
	pendLive  int        // of pendKeys, those not ignored
	moved     []string   // keys now in SQLite, for the log writer to forget
}

// Option configures a DB.
type Option func(*DB)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(db *DB) { db.log = l } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(db *DB) { db.now = now } }

// WithBatch sets how the intake log writer and the group committer batch
// writes: at most max events per write, and after taking what is already
// waiting they wait up to window for more, but only while the previous
// batch held more than one request (under load) and the batch is small; a
// lone request is written at once. 0 never waits. Defaults: window 2ms,
// max 256.
func WithBatch(window time.Duration, max int) Option {
	return func(db *DB) {
		db.window = window
		if max > 0 {
			db.maxBatch = max
		}
	}
}

// WithUnsafeNoSync makes the intake log skip its fdatasync: Enqueue
// returns once the batch is written to the file, before it is on the disk.
// A crash of the process loses nothing (the kernel has the data), but a
// crash of the machine or a power loss can lose events the store has
// acknowledged, which breaks the server's promise that a 2xx answer is
// never lost. It exists for benchmarks, to measure what the flush costs
// (like etcd's --unsafe-no-fsync); the server never sets it and its
// configuration has no setting for it. Open logs a warning when it is on.
func WithUnsafeNoSync() Option { return func(db *DB) { db.noSync = true } }

// Open opens (creating if needed) the store at path and starts its group
// committer. Close it when done.
func Open(path string, opts ...Option) (*DB, error) {
	db := &DB{path: path, log: slog.Default(), now: time.Now, maxBatch: 256, window: 2 * time.Millisecond,
		in: make(chan *op, 1024), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		intakeIn: make(chan *intakeReq, 1024), intakeStop: make(chan struct{}), intakeDone: make(chan struct{}),
		pendKeys: map[string]*pending{}, pendByID: map[int64]*pending{}, logDir: logDir(path), maxHandOff: MaxHandOff,
		maxHandOffBytes: MaxHandOffBytes,
		filterReady:     make(chan *keyFilter, 1)}
	for _, o := range opts {
		o(db)
	}
	db.log = db.log.With("component", "sqlite")
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	// One process owns the store: it alone writes the intake log (and
	// deletes its segments).
	if err := os.MkdirAll(db.logDir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	lock, err := lockDir(db.logDir)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	db.lock = lock
	if db.writer, err = openPool(path, "FULL", 1, false); err != nil {
		lock.Close()
		return nil, err
	}
	if err := migrate(db.writer); err != nil {
		db.writer.Close()
		lock.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if err := db.prepare(); err != nil {
		db.writer.Close()
		lock.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := db.replay(); err != nil {
		db.writer.Close()
		lock.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", db.logDir, err)
	}
	if db.read, err = openPool(path, "FULL", 4, true); err != nil {
		db.writer.Close()
		lock.Close()
		return nil, err
	}
	db.sqlQueued.Store(true)
	fctx, cancel := context.WithCancel(context.Background())
	db.stopFilter, db.filterDone = cancel, make(chan struct{})
	go db.buildKeyFilter(fctx)
	pctx, pcancel := context.WithCancel(context.Background())
	db.stopPrep, db.prepDone, db.prepared = pcancel, make(chan struct{}), make(chan *segment)
	db.prepWant = make(chan struct{}, 1)
	go db.prepareSegments(pctx)
	go db.commitLoop()
	go db.intakeLoop()
	if db.noSync {
		db.log.Warn("intake log: fdatasync is off (WithUnsafeNoSync): a machine crash or power loss can lose acknowledged events")
	}
	return db, nil
}

// OpenReadOnly opens the store at path for queries only (Executions,
// Summary, QueueDepth of what is in the database, Meta...), beside a
// process that owns it: it neither takes the intake log nor writes. Its
// write methods fail. Events still waiting in the owner's intake log are
// not seen.
func OpenReadOnly(path string, opts ...Option) (*DB, error) {
	db := &DB{path: path, log: slog.Default(), now: time.Now, readOnly: true, closed: true,
		done: make(chan struct{}), pendKeys: map[string]*pending{}, pendByID: map[int64]*pending{}}
	for _, o := range opts {
		o(db)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	var err error
	if db.read, err = openPool(path, "FULL", 4, true); err != nil {
		return nil, err
	}
	close(db.done)
	return db, nil
}

func openPool(path, sync string, conns int, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	pool, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	pool.SetConnMaxLifetime(0)
	if err := pool.Ping(); err != nil {
		pool.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return pool, nil
}

const schema = `
CREATE TABLE IF NOT EXISTS events (
	id        INTEGER PRIMARY KEY,
	key       TEXT NOT NULL UNIQUE,
	source    TEXT NOT NULL,
	received  INTEGER NOT NULL,
	status    TEXT NOT NULL,
	ignore    TEXT NOT NULL DEFAULT '',
	attempts  INTEGER NOT NULL DEFAULT 0,
	claimed   INTEGER NOT NULL DEFAULT 0,
	finished  INTEGER NOT NULL DEFAULT 0,
	error     TEXT NOT NULL DEFAULT '',
	event     TEXT NOT NULL,
	body      BLOB
);
CREATE INDEX IF NOT EXISTS events_status ON events(status, id);
CREATE TABLE IF NOT EXISTS executions (
	id        INTEGER PRIMARY KEY,
	event_id  INTEGER NOT NULL REFERENCES events(id),
	rule      TEXT NOT NULL,
	task_idx  INTEGER NOT NULL,
	target    TEXT NOT NULL,
	action    TEXT NOT NULL,
	reason    TEXT NOT NULL,
	command   TEXT NOT NULL,
	status    TEXT NOT NULL,
	exit_code INTEGER NOT NULL,
	started   INTEGER NOT NULL,
	duration  INTEGER NOT NULL,
	output    TEXT NOT NULL,
	error     TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS executions_task ON executions(event_id, rule, task_idx, target) WHERE task_idx >= 0;
CREATE INDEX IF NOT EXISTS executions_started ON executions(started);
CREATE INDEX IF NOT EXISTS executions_rule ON executions(rule, target, started);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
PRAGMA user_version = 1;
`

func migrate(pool *sql.DB) error {
	var v int
	if err := pool.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > 1 {
		return fmt.Errorf("database schema version %d is newer than this program (1)", v)
	}
	_, err := pool.Exec(schema)
	return err
}

// Stats returns how many transactions the group committer committed, how
// many writes they held (writes/commits is the mean batch size) and how
// long it spent running them, fsync included.
func (db *DB) Stats() (commits, writes int64, busy time.Duration) {
	return db.commits.Load(), db.ops.Load(), time.Duration(db.busy.Load())
}

// LogWrites returns how many writes (each with its fdatasync) the intake
// log writer made: accepted events / LogWrites is its mean batch size.
func (db *DB) LogWrites() int64 { return db.logWrites.Load() }

// LogWriteTime returns the wall time the intake log writer spent in its
// writes and their fdatasyncs: over LogWrites, how long the disk took to
// make a batch durable.
func (db *DB) LogWriteTime() time.Duration { return time.Duration(db.logWriteTime.Load()) }

// Path returns the file the store was opened from.
func (db *DB) Path() string { return db.path }

// Close stops the log writer and the group committer after they stored
// what they hold, moves the events still waiting in the intake log into
// the database (as queued: the next start resumes them) and closes it.
func (db *DB) Close() error {
	if db.readOnly {
		return db.read.Close()
	}
	db.mu.Lock()
	first := !db.closed
	db.closed = true
	db.mu.Unlock()
	if first {
		db.stopFilter()
		<-db.filterDone
		close(db.intakeStop)
		<-db.intakeDone
		db.stopPrep()
		<-db.prepDone
		db.dropPrepared()
		if db.seg != nil {
			db.seal(db.seg)
			db.seg = nil
		}
		if !db.crashed {
			db.flushPending()
		}
		close(db.stop)
	}
	<-db.done
	err := errors.Join(db.read.Close(), db.writer.Close())
	if first {
		err = errors.Join(err, db.lock.Close())
	}
	return err
}

// flushPending moves every event waiting in the intake log into the
// database, as queued, and waits for the commit. Events being claimed or
// moved are already on their way.
func (db *DB) flushPending() {
	db.pendMu.Lock()
	ps := db.popPending(len(db.pendQ), pSpilling)
	db.pendMu.Unlock()
	if len(ps) == 0 {
		return
	}
	o := &op{n: len(ps), done: make(chan error, 1)}
	o.fn = func(w *wtx, o *op) error {
		if err := w.insertRows(ps, alexis.EventQueued, 0); err != nil {
			return err
		}
		o.onCommit = func() { db.movedToSQLite(ps) }
		return nil
	}
	db.in <- o
	if err := <-o.done; err != nil {
		db.log.Error("moving the events waiting in the intake log to the database failed; they stay in the log and are replayed at the next start", "events", len(ps), "err", err)
	}
}

// Wake returns a channel that receives a value after new events were
// queued. Workers wait on it (and on a timer, in case a wake-up was
// coalesced).
func (db *DB) Wake() <-chan struct{} { return db.wake }

func (db *DB) signal() {
	select {
	case db.wake <- struct{}{}:
	default:
	}
}

// Ping checks that the store is writable by updating a heartbeat row.
func (db *DB) Ping(ctx context.Context) error {
	_, err := db.exec(ctx, "store not writable", heartbeat, db.now().UTC().Format(time.RFC3339Nano))
	return err
}

func internal(msg string, err error) error {
	return &alexis.Error{Code: alexis.EINTERNAL, Message: msg, Err: err}
}

func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (db *DB) closedErr() error {
	if db.readOnly {
		return internal("store opened read-only", nil)
	}
	return internal("store closed", nil)
}
