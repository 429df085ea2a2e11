package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/cputime"
	"github.com/alexis-project/alexis/internal/loadgen"
	"github.com/alexis-project/alexis/server"
	"github.com/labstack/echo/v4"
)

// loadgenEnv set to 1 makes the test binary a load generator process
// (loadgen.Serve) instead of running tests: the intake benchmark starts it.
const loadgenEnv = "ALEXIS_BENCH_LOADGEN"

func TestMain(m *testing.M) {
	loadgen.ServeIf(loadgenEnv)
	os.Exit(m.Run())
}

// benchClients is how many requests the load generator keeps in flight
// (BENCH_CLIENTS overrides it).
func benchClients() int {
	n := 32
	if v := os.Getenv("BENCH_CLIENTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	return n
}

// writeBenchRules writes 100 rules: 99 that do not match the duplicator
// alert and one that does (an ssh restart, planned only: dry run).
func writeBenchRules(b *testing.B, dir string) {
	var sb strings.Builder
	sb.WriteString("rules:\n")
	for i := range 99 {
		fmt.Fprintf(&sb, `  - name: svc-%d
    sources: [opsgenie]
    when: has_tag("app:svc-%d") && priority in ["P1", "P2"]
    targets_from: details.host_regex
    tasks:
      - action: ssh
        reason: restart
        command: sudo systemctl restart svc-%d
`, i, i, i)
	}
	sb.WriteString(`  - name: duplicator-gc
    sources: [opsgenie]
    when: has_tag("app:duplicator") && details.host_regex != ""
    targets_from: details.host_regex
    tasks:
      - action: ssh
        reason: restart-gc
        command: sudo systemctl restart duplicator
`)
	if err := os.WriteFile(filepath.Join(dir, "bench.yaml"), []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
}

// firstAction records, per event, the time from receipt to the start of
// its first task.
type firstAction struct {
	mu     sync.Mutex
	seen   map[string]bool
	delays []time.Duration
}

func (f *firstAction) TaskDone(ev *alexis.Event, run alexis.TaskRun) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen[ev.Key()] {
		return
	}
	f.seen[ev.Key()] = true
	f.delays = append(f.delays, run.Started.Sub(ev.Received))
}

func (f *firstAction) percentile(q float64) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.delays) == 0 {
		return 0
	}
	sort.Slice(f.delays, func(i, j int) bool { return f.delays[i] < f.delays[j] })
	i := int(q*float64(len(f.delays))+0.999999) - 1
	return f.delays[max(0, min(i, len(f.delays)-1))]
}

func serveHandler(b *testing.B, h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() { hs.Close() }
}

// startProfile writes a CPU profile of this process to path until the
// function it returns is called.
func startProfile(b *testing.B, path string) (stop func()) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// BenchmarkIntakeOpsGenie measures alerts accepted per second on
// /v1/opsgenie (durable, 100 rules loaded, dry run, workers handling the
// events meanwhile) against a bare Echo handler that reads the body and
// answers 202, both driven by the same loopback load generator in the same
// run. The load generator is a process of its own (this test binary run
// as loadgen.Serve, see TestMain), as wrk would be: its heap, garbage
// collector and scheduler are not the server's. Each op is one request to
// each. Run it with a fixed count:
//
//	go test ./server -run '^$' -bench IntakeOpsGenie -benchtime 8000x
//
// The two alternate in rounds (BENCH_ROUNDS, default 4: bare, Alexis,
// bare, Alexis...), and before each bare round the workers finish what the
// previous Alexis round queued, so that a change in the load of a shared
// machine weighs on both sides alike and the workers never slow the
// baseline. The rates are requests over the summed round times.
//
// It reports both rates and their ratio, the CPU time per request on each
// side (both processes; the load generator's share alone too), the intake
// latency (p50, p99: until the 202, which follows the durable write), the
// time from receipt to the start of each event's first task (p50, p99;
// under saturation this is the backlog), the intake log's batch size and
// the wall time of its writes (write and fdatasync), and the group
// commit's batch size.
//
// Knobs: BENCH_CLIENTS sets the concurrency (default 32), BENCH_WORKERS
// the workers, BENCH_INTAKE_PRIORITY the intake_priority (default 1s; 0s:
// off), BENCH_HOLD_WORKERS=1 holds the workers until every round ended
// (intake alone), BENCH_LOADGEN=inprocess runs the load generator in the
// server's process, BENCH_PROF=file writes a CPU profile of the first
// Alexis round (the first bare round's to file.bare and, with
// BENCH_HOLD_WORKERS, the workers' to file.workers).
func BenchmarkIntakeOpsGenie(b *testing.B) {
	n := b.N
	rounds := 4
	if v := os.Getenv("BENCH_ROUNDS"); v != "" {
		fmt.Sscan(v, &rounds)
	}
	rounds = max(1, min(rounds, n))
	base := fixture(b, "opsgenie_create_duplicator_gc.json")
	const id = "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = bytes.Replace(base, []byte(id), []byte(fmt.Sprintf("bench-%09d", i)), 1)
	}
	hdr := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + testToken}}
	// The load generator runs in a process of its own (this test binary,
	// see TestMain), or in this one with BENCH_LOADGEN=inprocess.
	var proc *loadgen.Proc
	if os.Getenv("BENCH_LOADGEN") != "inprocess" {
		var err error
		if proc, err = loadgen.Start(loadgen.Self(loadgenEnv)); err != nil {
			b.Fatal(err)
		}
		defer proc.Close()
	}
	// gen sends requests [from, to) to url, and adds the CPU time they took
	// to *cpu (the server's process and the load generator's) and the load
	// generator's to *lgCPU. With profile set, it writes a CPU profile of
	// this process during the requests to that file.
	gen := func(url string, from, to int, cpu, lgCPU *time.Duration, profile string) *loadgen.Result {
		cfg := loadgen.Config{URL: url, Header: hdr, Clients: benchClients(),
			Requests: to - from, MaxDuration: 5 * time.Minute, Body: func(i int) []byte { return bodies[from+i] }}
		run := func() (*loadgen.Result, time.Duration, error) {
			res, err := loadgen.Run(context.Background(), cfg)
			return res, 0, err
		}
		if proc != nil {
			p, err := proc.Prepare(cfg) // the bodies cross before the measurement
			if err != nil {
				b.Fatal(err)
			}
			run = p.Run
		}
		if profile != "" {
			defer startProfile(b, profile)()
		}
		c0 := cputime.Self()
		res, used, err := run()
		*cpu += cputime.Self() - c0 + used
		*lgCPU += used
		if err != nil {
			b.Fatal(err)
		}
		if res.Errors > 0 {
			b.Fatalf("%d errors, first: %s", res.Errors, res.FirstError)
		}
		return res
	}

	// The baseline: a bare Echo handler.
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/v1/opsgenie", func(c echo.Context) error {
		if _, err := io.ReadAll(c.Request().Body); err != nil {
			return err
		}
		return c.NoContent(http.StatusAccepted)
	})
	bareURL, stopBare := serveHandler(b, e)
	defer stopBare()

	// Alexis.
	cfg := testConfig(b)
	cfg.DryRun = true
	if w := os.Getenv("BENCH_WORKERS"); w != "" {
		fmt.Sscan(w, &cfg.Workers)
	}
	if v := os.Getenv("BENCH_INTAKE_PRIORITY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		cfg.IntakePriority = &d
	}
	writeBenchRules(b, cfg.Rules)
	fa := &firstAction{seen: map[string]bool{}}
	// BENCH_HOLD_WORKERS=1 holds every claimed event until the rounds
	// ended: intake alone, without the workers competing for the CPU.
	holding := os.Getenv("BENCH_HOLD_WORKERS") != ""
	hold := make(chan struct{})
	var hooks server.Hooks
	if holding {
		hooks.AfterClaim = func(*alexis.QueuedEvent) error { <-hold; return nil }
	}
	srv, err := server.New(cfg, server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		server.WithEngineOptions(alexis.WithObservers(fa)), server.WithHooks(hooks))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	if got := len(srv.RuleSet().Rules); got != 100 {
		b.Fatalf("%d rules loaded", got)
	}
	addr := serveOn(b, srv)
	alexisURL := "http://" + addr + "/v1/opsgenie"
	drain := func() {
		deadline := time.Now().Add(5 * time.Minute)
		for {
			d, err := srv.Store().QueueDepth(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if d == 0 {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d events still queued after 5 minutes", d)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	prof := os.Getenv("BENCH_PROF")
	var bareRes, gotRes []*loadgen.Result
	var bareCPU, alexisCPU, bareLG, alexisLG time.Duration
	b.ResetTimer()
	for r := range rounds {
		from, to := r*n/rounds, (r+1)*n/rounds
		if !holding {
			drain()
		}
		bareProf, gotProf := "", ""
		if r == 0 && prof != "" { // the first round of each side
			bareProf, gotProf = prof+".bare", prof
		}
		bareRes = append(bareRes, gen(bareURL+"/v1/opsgenie", from, to, &bareCPU, &bareLG, bareProf))
		gotRes = append(gotRes, gen(alexisURL, from, to, &alexisCPU, &alexisLG, gotProf))
	}
	b.StopTimer()
	bare, got := loadgen.Merge(bareRes...), loadgen.Merge(gotRes...)
	var logWrites int64
	var logWriteTime time.Duration
	if st, ok := srv.Store().(interface {
		LogWrites() int64
		LogWriteTime() time.Duration
	}); ok {
		logWrites, logWriteTime = st.LogWrites(), st.LogWriteTime()
	}
	c0 := cputime.Self()
	if holding && prof != "" {
		// The workers' own profile: their whole work comes after the rounds.
		defer startProfile(b, prof+".workers")()
	}
	close(hold)
	drain()
	if holding {
		// With the workers held, their whole work comes after: its CPU
		// time per event.
		b.ReportMetric(float64(cputime.Self()-c0)/1e3/float64(n), "worker_cpu_us/event")
	}
	var commits, writes int64 // of the whole run, the workers' included
	if st, ok := srv.Store().(interface {
		Stats() (int64, int64, time.Duration)
	}); ok {
		commits, writes, _ = st.Stats()
	}
	fa.mu.Lock()
	reached := len(fa.delays)
	fa.mu.Unlock()
	if reached != n {
		b.Fatalf("%d events reached their first action, want %d", reached, n)
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	us := func(d time.Duration) float64 { return float64(d) / 1e3 / float64(n) }
	if logWrites > 0 {
		b.ReportMetric(float64(n)/float64(logWrites), "events/log_write")
		b.ReportMetric(float64(logWriteTime)/1e3/float64(logWrites), "log_write_us")
	}
	if commits > 0 {
		b.ReportMetric(float64(writes)/float64(commits), "writes/commit")
	}
	if proc != nil {
		b.ReportMetric(us(bareLG), "bare_loadgen_cpu_us/req")
		b.ReportMetric(us(alexisLG), "alexis_loadgen_cpu_us/req")
	}
	b.ReportMetric(us(bareCPU), "bare_cpu_us/req")
	b.ReportMetric(us(alexisCPU), "alexis_cpu_us/req")
	b.ReportMetric(bare.PerSecond(), "bare_req/s")
	b.ReportMetric(got.PerSecond(), "alexis_req/s")
	b.ReportMetric(got.PerSecond()/bare.PerSecond(), "ratio")
	b.ReportMetric(ms(bare.Percentile(0.5)), "bare_p50_ms")
	b.ReportMetric(ms(bare.Percentile(0.99)), "bare_p99_ms")
	b.ReportMetric(ms(got.Percentile(0.5)), "intake_p50_ms")
	b.ReportMetric(ms(got.Percentile(0.99)), "intake_p99_ms")
	b.ReportMetric(ms(fa.percentile(0.5)), "to_action_p50_ms")
	b.ReportMetric(ms(fa.percentile(0.99)), "to_action_p99_ms")
}
