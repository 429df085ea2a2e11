package ssh_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/ssh"
	"github.com/alexis-project/alexis/internal/cputime"
	"github.com/alexis-project/alexis/internal/sshtest"
)

// benchmarkFanOut handles one event whose rule runs "sleep 0.2" on n
// targets (n in-process servers, each its own address) through
// alexis.Engine.Handle with concurrency 64. Compare BenchmarkFanOut (50
// targets) with BenchmarkFanOut1 (1 target) from the same run: targets
// run concurrently, so the ratio should stay near 1 (the goal is ≤ 1.5).
//
// What is measured is Alexis' side: for each target a TCP connection, the
// client half of the SSH handshake (key exchange, host key checked against
// known_hosts, public key login), a pty session, the exec and its exit
// status. The servers answer the command with remoteSleep, in-process:
// on a real fleet the remote work takes wall time but no CPU on the Alexis
// machine, whereas forking /bin/sh and sleep for each target here cost
// ~250 ms of CPU per op (cpu-ms/op fell from ~400 to ~145), several times
// Alexis' own ~65 ms, and made the ratio measure the fixture. The servers'
// half of each handshake still runs in this process (about half of
// cpu-ms/op, mostly its half of the key exchange, which mirrors the
// client's; its ed25519 host-key signing is ~2% of cpu-ms/op, so a
// cheaper key type would not matter), so the figure is an upper bound of
// Alexis' cost.
func benchmarkFanOut(b *testing.B, n int) {
	key, hostKey := sshtest.NewKey(b), sshtest.NewKey(b)
	servers := make([]*sshtest.Server, n)
	targets := make(alexis.StaticTargets, n)
	for i := range servers {
		servers[i] = sshtest.Start(b, &sshtest.Options{ClientKey: key, HostKey: hostKey, Handler: remoteSleep})
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
	// CPU time per op of this process (Alexis and the in-process servers'
	// SSH side) and its waited-for children (none since remoteSleep): the
	// part of the wall time that depends on how busy the machine is.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// remoteSleep answers "sleep SECONDS" as sleep(1) would, without a
// process: it waits, using no CPU, until the time is up or the session is
// hung up. Anything else fails with status 127, so the benchmark cannot
// silently measure another command.
func remoteSleep(ctx context.Context, command string, _, stderr io.Writer) int {
	f := strings.Fields(command)
	secs, err := 0.0, error(nil)
	if len(f) == 2 && f[0] == "sleep" {
		secs, err = strconv.ParseFloat(f[1], 64)
	}
	if len(f) != 2 || f[0] != "sleep" || err != nil || secs < 0 {
		fmt.Fprintf(stderr, "remoteSleep: %q is not \"sleep SECONDS\"\n", command)
		return 127
	}
	t := time.NewTimer(time.Duration(secs * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return 0
	case <-ctx.Done():
		return 128 + int(syscall.SIGHUP)
	}
}

// cpuTime is the user+system CPU time of this process and its waited-for
// children.
func cpuTime() time.Duration { return cputime.Self() + cputime.Children() }

func BenchmarkFanOut(b *testing.B)  { benchmarkFanOut(b, 50) }
func BenchmarkFanOut1(b *testing.B) { benchmarkFanOut(b, 1) }
