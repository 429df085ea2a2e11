package ssh_test

import (
	"context"
	"log/slog"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/ssh"
	"github.com/alexis-project/alexis/internal/sshtest"
)

// benchmarkFanOut handles one event whose rule runs a 200 ms command on n
// targets (n in-process servers, each its own address) through
// alexis.Engine.Handle with concurrency 64. Compare BenchmarkFanOut (50
// targets) with BenchmarkFanOut1 (1 target) from the same run: targets
// run concurrently, so the ratio should stay near 1 (the goal is ≤ 1.5).
func benchmarkFanOut(b *testing.B, n int) {
	key, hostKey := sshtest.NewKey(b), sshtest.NewKey(b)
	servers := make([]*sshtest.Server, n)
	targets := make(alexis.StaticTargets, n)
	for i := range servers {
		servers[i] = sshtest.Start(b, &sshtest.Options{ClientKey: key, HostKey: hostKey})
		targets[i] = servers[i].Addr
	}
	kind := ssh.New(ssh.Config{User: "alexis", KeyFile: key.WriteFile(b, ""),
		KnownHostsFile: sshtest.WriteKnownHosts(b, servers...), Logger: slog.New(slog.DiscardHandler)})
	a := newAction(b, kind, alexis.Params{"command": "sleep 0.2"})
	rs := &alexis.RuleSet{Rules: []*alexis.Rule{{Name: "fan-out", Enabled: true, Targets: targets,
		Tasks: []alexis.Task{{Action: ssh.Name, Run: a}}}}}
	eng, err := alexis.New(rs, alexis.WithConcurrency(64), alexis.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	ev := &alexis.Event{Source: alexis.SourceGeneric, ID: "bench"}
	cpu0 := cpuTime()
	for b.Loop() {
		var rep *alexis.Report
		var err error
		// The label tells Alexis' CPU from the in-process servers' in a
		// -cpuprofile: go tool pprof -tagfocus side=alexis.
		pprof.Do(context.Background(), pprof.Labels("side", "alexis"), func(ctx context.Context) {
			rep, err = eng.Handle(ctx, ev)
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Runs) != n {
			b.Fatalf("%d runs, want %d", len(rep.Runs), n)
		}
		for _, r := range rep.Runs {
			if r.Status != alexis.StatusSuccess {
				b.Fatalf("%s: %s %s", r.Target, r.Status, r.Error)
			}
		}
	}
	b.ReportMetric(float64(n), "targets")
	// CPU time per op of this process (client and in-process servers) and
	// its children (the servers' shells): the part of the wall time that
	// depends on how busy the machine is.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the user+system CPU time of this process and its waited-for
// children.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	d := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return d(self.Utime) + d(self.Stime) + d(kids.Utime) + d(kids.Stime)
}

func BenchmarkFanOut(b *testing.B)  { benchmarkFanOut(b, 50) }
func BenchmarkFanOut1(b *testing.B) { benchmarkFanOut(b, 1) }
