package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
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
	"github.com/alexis-project/alexis/sqlite"
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

func (f *firstAction) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.delays)
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

// intakeBench is what both intake benchmarks measure: a bare Echo handler
// that reads the body and answers 202, and Alexis (100 rules, dry run),
// each on a loopback port of this process.
type intakeBench struct {
	bareURL, alexisURL string // their /v1/opsgenie
	srv                *server.Server
	fa                 *firstAction
	// holding (BENCH_HOLD_WORKERS=1): every claimed event waits until hold
	// is closed: intake alone, without the workers competing for the CPU.
	holding bool
	hold    chan struct{}
	b       *testing.B
}

// newIntakeBench starts both servers until the benchmark ends. Knobs:
// BENCH_WORKERS, BENCH_INTAKE_PRIORITY, BENCH_HOLD_WORKERS, and
// BENCH_UNSAFE_NOSYNC=1: the store without the intake log's fdatasync
// (sqlite.WithUnsafeNoSync; an experiment, not a configuration).
func newIntakeBench(b *testing.B) *intakeBench {
	ib := &intakeBench{b: b, hold: make(chan struct{}), fa: &firstAction{seen: map[string]bool{}}}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/v1/opsgenie", func(c echo.Context) error {
		if _, err := io.ReadAll(c.Request().Body); err != nil {
			return err
		}
		return c.NoContent(http.StatusAccepted)
	})
	bareURL, stopBare := serveHandler(b, e)
	b.Cleanup(stopBare)
	ib.bareURL = bareURL + "/v1/opsgenie"

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
	ib.holding = os.Getenv("BENCH_HOLD_WORKERS") != ""
	var hooks server.Hooks
	if ib.holding {
		hooks.AfterClaim = func(*alexis.QueuedEvent) error { <-ib.hold; return nil }
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := []server.Option{server.WithLogger(logger), server.WithEngineOptions(alexis.WithObservers(ib.fa)), server.WithHooks(hooks)}
	if os.Getenv("BENCH_UNSAFE_NOSYNC") != "" {
		// The store the server would open, without the intake log's
		// fdatasync: what the durable write costs.
		db, err := sqlite.Open(cfg.DBPath(), sqlite.WithLogger(logger), sqlite.WithUnsafeNoSync())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() }) // after the server's Close
		opts = append(opts, server.WithStore(db))
	}
	srv, err := server.New(cfg, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	if got := len(srv.RuleSet().Rules); got != 100 {
		b.Fatalf("%d rules loaded", got)
	}
	ib.srv = srv
	ib.alexisURL = "http://" + serveOn(b, srv) + "/v1/opsgenie"
	return ib
}

// accepted returns how many OpsGenie events the Alexis server accepted
// (alexis_events_total).
func (ib *intakeBench) accepted() int {
	mfs, err := ib.srv.Registry().Gather()
	if err != nil {
		ib.b.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "alexis_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["source"] == "opsgenie" && labels["result"] == "accepted" {
				return int(m.GetCounter().GetValue())
			}
		}
	}
	ib.b.Fatal("no alexis_events_total{source=\"opsgenie\",result=\"accepted\"}")
	return 0
}

// intakeSide is what one side of an intake benchmark measured over its
// rounds: requests answered, the time they took, the CPU they cost (this
// process's, with the load generator's where it is counted in), and the
// latency percentiles.
type intakeSide struct {
	requests int
	elapsed  time.Duration
	cpu      time.Duration
	p50, p99 time.Duration
}

// report reports what both intake benchmarks measure: each side's rate,
// CPU per request and latencies, the ratio of the rates, and the time from
// receipt to each event's first action.
func (ib *intakeBench) report(bare, alexis intakeSide) {
	b := ib.b
	rate := func(s intakeSide) float64 { return float64(s.requests) / s.elapsed.Seconds() }
	us := func(s intakeSide) float64 { return float64(s.cpu) / 1e3 / float64(s.requests) }
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	b.ReportMetric(us(bare), "bare_cpu_us/req")
	b.ReportMetric(us(alexis), "alexis_cpu_us/req")
	b.ReportMetric(rate(bare), "bare_req/s")
	b.ReportMetric(rate(alexis), "alexis_req/s")
	b.ReportMetric(rate(alexis)/rate(bare), "ratio")
	b.ReportMetric(ms(bare.p50), "bare_p50_ms")
	b.ReportMetric(ms(bare.p99), "bare_p99_ms")
	b.ReportMetric(ms(alexis.p50), "intake_p50_ms")
	b.ReportMetric(ms(alexis.p99), "intake_p99_ms")
	b.ReportMetric(ms(ib.fa.percentile(0.5)), "to_action_p50_ms")
	b.ReportMetric(ms(ib.fa.percentile(0.99)), "to_action_p99_ms")
}

// drain waits until the workers finished every queued event.
func (ib *intakeBench) drain() {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		d, err := ib.srv.Store().QueueDepth(context.Background())
		if err != nil {
			ib.b.Fatal(err)
		}
		if d == 0 {
			return
		}
		if time.Now().After(deadline) {
			ib.b.Fatalf("%d events still queued after 5 minutes", d)
		}
		time.Sleep(5 * time.Millisecond)
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
//	go test ./server -run '^$' -bench 'IntakeOpsGenie$' -benchtime 8000x
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
// BENCH_HOLD_WORKERS, the workers' to file.workers), and
// BENCH_UNSAFE_NOSYNC=1 leaves out the intake log's fdatasync, to measure
// what the durable write costs (never a configuration: see
// sqlite.WithUnsafeNoSync).
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

	ib := newIntakeBench(b)
	bareURL, alexisURL, srv, fa, holding, drain := ib.bareURL, ib.alexisURL, ib.srv, ib.fa, ib.holding, ib.drain

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
		bareRes = append(bareRes, gen(bareURL, from, to, &bareCPU, &bareLG, bareProf))
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
	close(ib.hold)
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
	if reached := fa.count(); reached != n {
		b.Fatalf("%d events reached their first action, want %d", reached, n)
	}
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
	side := func(r *loadgen.Result, cpu time.Duration) intakeSide {
		return intakeSide{requests: r.Sent - r.Errors, elapsed: r.Elapsed, cpu: cpu, p50: r.Percentile(0.5), p99: r.Percentile(0.99)}
	}
	ib.report(side(bare, bareCPU), side(got, alexisCPU))
}

// wrkScript makes wrk POST the duplicator alert, each request with an
// alert ID of its own (RUN, from the environment, then a counter), print
// STOPPED and stop once LIMIT answers arrived, and print one line of
// results. wrk runs one Lua state per thread: the benchmark runs one.
const wrkScript = `
local f = assert(io.open(os.getenv("BODY")))
local body = f:read("*a")
f:close()
local s, e = string.find(body, os.getenv("ALERT_ID"), 1, true)
local pre, post = body:sub(1, s - 1), body:sub(e + 1)
local run = os.getenv("RUN")
local limit = tonumber(os.getenv("LIMIT"))
local sent, answered = 0, 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
request = function()
  sent = sent + 1
  return wrk.format(nil, nil, nil, pre .. run .. "-" .. sent .. post)
end
response = function(status, headers, body)
  answered = answered + 1
  if answered == limit then
    io.write("STOPPED\n")
    io.flush()
    wrk.thread:stop()
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(99)))
end
`

// wrkRound is one run of wrk.
type wrkRound struct {
	requests, errors int
	elapsed          time.Duration
	p50, p99         time.Duration
	cpu              time.Duration // wrk's own
}

// runWrk drives url with wrk (one thread, clients connections) until
// limit requests were answered; env says what the script needs (BODY,
// ALERT_ID, RUN, TOKEN). wrk runs for a fixed time: once the script has
// its answers it says so, and a SIGINT ends the run there (wrk then
// reports the time until that moment). wrk installs its SIGINT handler
// only once its thread runs, so the signal is sent again every 20 ms until
// wrk ends. A run that does not get its answers within a minute fails.
// The latencies are wrk's, corrected for coordinated omission.
func runWrk(b *testing.B, wrk, script, url string, env []string, clients, limit int) wrkRound {
	b.Helper()
	cmd := exec.Command(wrk, "-t1", fmt.Sprintf("-c%d", clients), "-d60s", "-s", script, url)
	cmd.Env = append(os.Environ(), append(env, fmt.Sprintf("LIMIT=%d", limit))...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var out strings.Builder
	ended := make(chan struct{})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if sc.Text() == "STOPPED" {
			go func() {
				t := time.NewTicker(20 * time.Millisecond)
				defer t.Stop()
				for {
					cmd.Process.Signal(os.Interrupt)
					select {
					case <-ended:
						return
					case <-t.C:
					}
				}
			}()
		}
	}
	close(ended)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("wrk: %v\n%s%s", err, &out, &stderr)
	}
	var r wrkRound
	var elapsed, p50, p99 int64
	_, line, ok := strings.Cut(out.String(), "RESULT ")
	if !ok {
		b.Fatalf("wrk printed no result:\n%s%s", &out, &stderr)
	}
	if _, err := fmt.Sscan(line, &r.requests, &elapsed, &r.errors, &p50, &p99); err != nil {
		b.Fatalf("wrk result %q: %v", line, err)
	}
	if r.errors > 0 || r.requests < limit {
		b.Fatalf("wrk: %d requests answered (want %d), %d errors (connect, read, write, status other than 2xx/3xx, timeout):\n%s%s",
			r.requests, limit, r.errors, &out, &stderr)
	}
	r.elapsed, r.p50, r.p99 = time.Duration(elapsed)*time.Microsecond, time.Duration(p50)*time.Microsecond, time.Duration(p99)*time.Microsecond
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r
}

// BenchmarkIntakeOpsGenieWrk is BenchmarkIntakeOpsGenie driven by wrk
// (Debian's, the load generator the issue names first; skipped where it is
// not installed) instead of the Go load generator: wrk is written in C and
// spends much less CPU per request, and on a machine it shares with the
// servers that leaves more of the CPU to them, which helps the bare
// handler far more than Alexis. Each op is one request to each; as there,
// the two alternate in BENCH_ROUNDS rounds (default 4), and the workers
// finish what a round queued before the next. Run it with a fixed count:
//
//	go test ./server -run '^$' -bench IntakeOpsGenieWrk -benchtime 8000x
//
// It reports both rates and their ratio, each side's CPU per request
// (this process's alone, and wrk's), and the latencies wrk measured (the
// median of the rounds' percentiles). The knobs of BenchmarkIntakeOpsGenie
// apply (BENCH_CLIENTS: connections; BENCH_PROF=file: CPU profiles of the
// first Alexis round, and of the first bare round to file.bare).
func BenchmarkIntakeOpsGenieWrk(b *testing.B) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk is not installed (Debian: apt-get install wrk)")
	}
	n := b.N
	rounds := 4
	if v := os.Getenv("BENCH_ROUNDS"); v != "" {
		fmt.Sscan(v, &rounds)
	}
	rounds = max(1, min(rounds, n))
	dir := b.TempDir()
	script, body := filepath.Join(dir, "post.lua"), filepath.Join(dir, "body.json")
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(body, fixture(b, "opsgenie_create_duplicator_gc.json"), 0o644); err != nil {
		b.Fatal(err)
	}
	ib := newIntakeBench(b)
	env := func(run string) []string {
		return []string{"BODY=" + body, "ALERT_ID=2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412",
			"RUN=" + run, "TOKEN=" + testToken}
	}
	var bare, got []wrkRound
	var bareCPU, alexisCPU time.Duration
	b.ResetTimer()
	for r := range rounds {
		count := (r+1)*n/rounds - r*n/rounds
		if !ib.holding {
			ib.drain()
		}
		// round drives url, with a CPU profile to profile if set.
		round := func(url, run, profile string) wrkRound {
			if profile != "" {
				defer startProfile(b, profile)()
			}
			return runWrk(b, wrk, script, url, env(run), benchClients(), count)
		}
		bareProf, gotProf := "", ""
		if prof := os.Getenv("BENCH_PROF"); prof != "" && r == 0 {
			bareProf, gotProf = prof+".bare", prof
		}
		c0 := cputime.Self()
		bare = append(bare, round(ib.bareURL, fmt.Sprintf("bare-%d", r), bareProf))
		c1 := cputime.Self()
		got = append(got, round(ib.alexisURL, fmt.Sprintf("alexis-%d", r), gotProf))
		bareCPU += c1 - c0
		alexisCPU += cputime.Self() - c1
	}
	b.StopTimer()
	close(ib.hold)
	ib.drain()
	// side sums the rounds of one side; cpu is this process's.
	side := func(rs []wrkRound, cpu time.Duration) (s intakeSide, wrkCPU time.Duration) {
		var p50s, p99s []time.Duration
		for _, r := range rs {
			s.requests += r.requests
			s.elapsed += r.elapsed
			wrkCPU += r.cpu
			p50s, p99s = append(p50s, r.p50), append(p99s, r.p99)
		}
		s.cpu, s.p50, s.p99 = cpu, median(p50s), median(p99s)
		return s, wrkCPU
	}
	bs, bwrk := side(bare, bareCPU)
	as, awrk := side(got, alexisCPU)
	// Every event the server accepted reached its first action; wrk's
	// count misses the requests in flight when it stopped, which were
	// accepted too.
	reached, accepted := ib.fa.count(), ib.accepted()
	if reached != accepted || accepted < as.requests {
		b.Fatalf("%d events reached their first action, the server accepted %d, wrk saw %d accepted", reached, accepted, as.requests)
	}
	perReq := func(cpu time.Duration, n int) float64 { return float64(cpu) / 1e3 / float64(n) }
	b.ReportMetric(perReq(bwrk, bs.requests), "bare_wrk_cpu_us/req")
	b.ReportMetric(perReq(awrk, as.requests), "alexis_wrk_cpu_us/req")
	ib.report(bs, as)
}

// median returns the median of ds (sorted in place).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}
