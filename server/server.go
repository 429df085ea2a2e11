package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/opsgenie"
	"github.com/alexis-project/alexis/sqlite"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Store is what the server needs of its durable store; *sqlite.DB is the
// implementation. See package sqlite for the guarantees each method gives.
type Store interface {
	Enqueue(ctx context.Context, evs []*alexis.Event) ([]alexis.Receipt, error)
	Wake() <-chan struct{}
	Recover(ctx context.Context) (int, error)
	Claim(ctx context.Context, n int) ([]*alexis.QueuedEvent, error)
	Requeue(ctx context.Context, id int64) error
	Finish(ctx context.Context, id int64, runs []alexis.TaskRun, errMsg string) error
	BeginTask(ctx context.Context, eventID int64, task int, run alexis.TaskRun) (int64, *alexis.Result, error)
	EndTask(ctx context.Context, id int64, r alexis.Result) error
	Executions(ctx context.Context, f alexis.ExecutionFilter) ([]alexis.Execution, error)
	Summary(ctx context.Context, since time.Time) ([]alexis.ExecutionStats, error)
	QueueDepth(ctx context.Context) (int, error)
	Ping(ctx context.Context) error
	Close() error
}

var _ Store = (*sqlite.DB)(nil)

// ParseFunc turns a request body from a source into events (package
// source's Parse).
type ParseFunc func(src alexis.Source, body []byte) ([]*alexis.Event, error)

// LoadFunc loads the rule set from a directory (package rule's LoadDir,
// with the action registry bound).
type LoadFunc func(dir string) (*alexis.RuleSet, error)

// Hooks let tests (and the command's crash test) step in between the
// stages of handling an event. A hook that returns an error abandons the
// event right there, as if the process had died: it stays claimed until
// the next start requeues it.
type Hooks struct {
	// AfterClaim runs after a worker claimed an event, before the engine
	// handles it.
	AfterClaim func(q *alexis.QueuedEvent) error
	// AfterHandle runs after the engine handled the event (its actions
	// ran) and before the event is marked done.
	AfterHandle func(q *alexis.QueuedEvent, rep *alexis.Report) error
}

// Server is the Alexis webhook server: it accepts alerts over HTTP, stores
// them durably, and handles them with an Engine in a pool of workers.
type Server struct {
	cfg       *config.Config
	base      *slog.Logger // without component
	log       *slog.Logger // component=server
	httpLog   *slog.Logger // component=http
	store     Store
	ownsStore bool
	engine    *alexis.Engine
	parse     ParseFunc
	load      LoadFunc
	hooks     Hooks
	notifiers []alexis.Notifier
	registry  *alexis.Registry
	closers   []func() error
	engOpts   []alexis.Option
	// ogNotifier is the OpsGenie notifier the server built, whose
	// escalate_after timers the store keeps and New restores.
	ogNotifier *opsgenie.Notifier
	now        func() time.Time

	echo    *echo.Echo
	reg     *prometheus.Registry
	metrics *metrics
	tokens  []token

	rules     atomic.Pointer[ruleState]
	reloadErr atomic.Pointer[reloadError]
	reloadMu  sync.Mutex
	draining  atomic.Bool
	inflight  sync.Map // *alexis.Event → *handling
	running   sync.WaitGroup
	serving   atomic.Bool
	closed    atomic.Bool
	// writing counts the intake requests waiting for the store to write
	// their events; burstAt is when one last found burstWriters waiting
	// (since epoch). See config.Config.IntakePriority and yieldToIntake.
	writing atomic.Int32
	burstAt atomic.Int64
}

type token struct {
	name   string
	digest [sha256.Size]byte
}

// ruleState is the rule set in use, as loaded (before journaling).
type ruleState struct {
	set    *alexis.RuleSet
	loaded time.Time
}

type reloadError struct {
	msg string
	at  time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.base = l } }

// WithStore uses st instead of opening the SQLite store in the data
// directory. The server does not close a store it was given.
func WithStore(st Store) Option { return func(s *Server) { s.store = st } }

// WithParser sets how request bodies become events (default: package
// source's Parse).
func WithParser(f ParseFunc) Option { return func(s *Server) { s.parse = f } }

// WithLoader sets how the rules directory is loaded (default: package
// rule's LoadDir with the built-in actions).
func WithLoader(f LoadFunc) Option { return func(s *Server) { s.load = f } }

// WithNotifiers sets the notifiers that write outcomes back.
func WithNotifiers(n ...alexis.Notifier) Option {
	return func(s *Server) { s.notifiers = append(s.notifiers, n...) }
}

// WithEngineOptions passes extra options to the Engine.
func WithEngineOptions(o ...alexis.Option) Option {
	return func(s *Server) { s.engOpts = append(s.engOpts, o...) }
}

// WithHooks installs test hooks.
func WithHooks(h Hooks) Option { return func(s *Server) { s.hooks = h } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New builds a server from cfg: it loads the rules (an error here is
// returned: a server does not start on a broken rule set), opens the store
// in cfg.DataDir unless WithStore gave one, and builds the engine. Nothing
// listens and no worker runs until Run or Serve.
func New(cfg *config.Config, opts ...Option) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("server: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("server: config: %w", err)
	}
	s := &Server{cfg: cfg, base: slog.Default(), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	s.log = s.base.With("component", "server")
	s.httpLog = s.base.With("component", "http")
	if err := s.defaults(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	for name, v := range cfg.TokenValues() {
		s.tokens = append(s.tokens, token{name: name, digest: sha256.Sum256([]byte(v))})
	}
	rs, err := s.load(cfg.Rules)
	if err != nil {
		return nil, fmt.Errorf("server: rules: %w", err)
	}
	if s.store == nil {
		db, err := sqlite.Open(cfg.DBPath(), sqlite.WithLogger(s.base))
		if err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		s.store, s.ownsStore = db, true
	}
	s.restoreEscalations()
	s.reg = prometheus.NewRegistry()
	s.metrics = newMetrics(s.reg, s.store)
	engOpts := append([]alexis.Option{
		alexis.WithLogger(s.base), // the engine adds component=engine
		alexis.WithDryRun(cfg.DryRun),
		alexis.WithObservers(s),
		alexis.WithNotifiers(s.notifiers...),
		alexis.WithClock(s.now),
		alexis.WithLimiter(s.seedLimiter(context.Background(), rs)),
	}, s.engOpts...)
	s.engine, err = alexis.New(s.journaled(rs), engOpts...)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	s.setRules(rs)
	s.echo = s.routes()
	return s, nil
}

// Engine returns the server's engine.
func (s *Server) Engine() *alexis.Engine { return s.engine }

// Store returns the server's store.
func (s *Server) Store() Store { return s.store }

// Registry returns the Prometheus registry that /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Handler returns the HTTP handler of every endpoint, to mount in another
// mux. Events it accepts are only handled while Run, Serve or Work runs.
func (s *Server) Handler() http.Handler { return s.echo }

// Close stops the notifiers' pending work (the OpsGenie escalations not
// yet due stay in the store and are scheduled again at the next start)
// and closes the store if the server opened it.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	if s.ownsStore && s.store != nil {
		errs = append(errs, s.store.Close())
	}
	return errors.Join(errs...)
}

// Run listens on the configured address and serves until ctx is done (see
// Serve).
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTP(S) on ln, runs the workers and the rules watcher, and
// returns when ctx is done and the shutdown finished: new connections are
// refused at once, requests in flight complete, running events get
// cfg.ShutdownTimeout to finish and are then cancelled; events not
// finished stay queued for the next start. It returns nil after a clean
// shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.serving.CompareAndSwap(false, true) {
		return errors.New("server: already serving")
	}
	hs := &http.Server{Handler: s.echo, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(s.httpLog.Handler(), slog.LevelWarn)}
	// Resuming unfinished events is not abandoned when ctx ends at once:
	// it is one short write, and Serve then shuts down as usual.
	if err := s.recover(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		s.serving.Store(false)
		return fmt.Errorf("server: %w", err)
	}
	workCtx, stopWork := context.WithCancel(context.Background())
	workDone := make(chan struct{})
	go func() {
		defer close(workDone)
		s.work(workCtx)
	}()
	serveErr := make(chan error, 1)
	go func() {
		var err error
		if s.cfg.TLS.Enabled() {
			err = hs.ServeTLS(ln, s.cfg.TLS.Cert, s.cfg.TLS.Key)
		} else {
			err = hs.Serve(ln)
		}
		serveErr <- err
	}()
	s.log.Info("serving", "addr", ln.Addr().String(), "tls", s.cfg.TLS.Enabled(), "dry_run", s.cfg.DryRun,
		"workers", s.cfg.Workers, "rules", len(s.RuleSet().Rules))
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		s.log.Error("http server stopped", "err", err)
	}
	s.draining.Store(true)
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if herr := hs.Shutdown(sctx); herr != nil {
		hs.Close()
	}
	stopWork()
	<-workDone
	s.log.Info("stopped")
	return err
}

// Addr-free helpers for the rule state.

// RuleSet returns the rule set in use, as loaded.
func (s *Server) RuleSet() *alexis.RuleSet { return s.rules.Load().set }

func (s *Server) setRules(rs *alexis.RuleSet) {
	s.rules.Store(&ruleState{set: rs, loaded: s.now()})
	s.metrics.rulesLoaded.Set(float64(len(rs.Rules)))
}
