package ssh_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/ssh"
	"github.com/alexis-project/alexis/internal/sshtest"
)

func TestOutputCapKeepsTail(t *testing.T) {
	f := newFixture(t, nil)
	for _, pty := range []bool{true, false} {
		a := f.action(t, alexis.Params{"pty": pty, "max_output": 1000,
			"command": "i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done; echo END"})
		r := run(context.Background(), a, f.srv.Addr, nil)
		if r.Status != alexis.StatusSuccess {
			t.Fatalf("pty=%v: %+v %s", pty, sum(r), r.Error)
		}
		// 5000 lines "line N\n" for N < 5000 plus "END\n": 48894 bytes.
		head, tail, _ := strings.Cut(r.Output, "\n")
		if head != "[47894 bytes of output dropped]" || len(tail) != 1000 || !strings.HasSuffix(tail, "line 4999\nEND\n") {
			t.Errorf("pty=%v: output starts %q and keeps %d bytes ending %q, want the drop count and the last 1000 bytes",
				pty, head, len(tail), tail[max(0, len(tail)-30):])
		}
	}
}

func TestConnectionReusedAcrossTasks(t *testing.T) {
	f := newFixture(t, nil)
	a := f.action(t, alexis.Params{"command": "echo one"})
	b := f.action(t, alexis.Params{"command": "echo two"})
	shared := &alexis.Shared{}
	for _, x := range []alexis.Action{a, b} {
		if r := run(context.Background(), x, f.srv.Addr, shared); r.Status != alexis.StatusSuccess {
			t.Fatalf("%+v %s", sum(r), r.Error)
		}
	}
	if f.srv.Connections() != 1 || f.srv.Execs() != 2 {
		t.Errorf("with Shared: %d connections for %d commands, want 1 for 2", f.srv.Connections(), f.srv.Execs())
	}
	// A timed-out task leaves the connection usable for the next.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	run(ctx, f.action(t, alexis.Params{"command": "sleep 5"}), f.srv.Addr, shared)
	if r := run(context.Background(), a, f.srv.Addr, shared); r.Status != alexis.StatusSuccess || f.srv.Connections() != 1 {
		t.Errorf("after a timeout: %+v, %d connections", sum(r), f.srv.Connections())
	}
	if err := shared.Close(); err != nil {
		t.Error(err)
	}
	// Without Shared, each run has its own connection.
	run(context.Background(), a, f.srv.Addr, nil)
	run(context.Background(), a, f.srv.Addr, nil)
	if f.srv.Connections() != 3 {
		t.Errorf("without Shared: %d connections in all, want 3", f.srv.Connections())
	}
}

func TestJumpHost(t *testing.T) {
	key := sshtest.NewKey(t)
	bastion := sshtest.Start(t, &sshtest.Options{ClientKey: key, Forward: true, User: "hop"})
	var targets []*sshtest.Server
	var addrs alexis.StaticTargets
	for range 3 {
		s := sshtest.Start(t, &sshtest.Options{ClientKey: key, User: "alexis"})
		targets, addrs = append(targets, s), append(addrs, s.Addr)
	}
	cfg := ssh.Config{User: "alexis", KeyFile: key.WriteFile(t, ""),
		KnownHostsFile: sshtest.WriteKnownHosts(t, append(targets, bastion)...), JumpHost: "hop@" + bastion.Addr}
	a := newAction(t, ssh.New(cfg), alexis.Params{"command": "echo via bastion"})
	// Two tasks on each of three targets, run concurrently by the engine.
	rs := &alexis.RuleSet{Rules: []*alexis.Rule{{Name: "jump", Enabled: true, Targets: addrs,
		Tasks: []alexis.Task{{Action: "ssh", Run: a}, {Action: "ssh", Run: a}}}}}
	eng, err := alexis.New(rs, alexis.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	handle := func() {
		t.Helper()
		rep, err := eng.Handle(context.Background(), &alexis.Event{Source: alexis.SourceGeneric, ID: "1"})
		if err != nil || len(rep.Runs) != 6 {
			t.Fatalf("%v, %d runs", err, len(rep.Runs))
		}
		for _, r := range rep.Runs {
			if diff := cmp.Diff(summary{Status: alexis.StatusSuccess, Output: "via bastion\n"}, sum(r.Result)); diff != "" {
				t.Fatalf("%s (-want +got):\n%s%s", r.Target, diff, r.Error)
			}
		}
	}
	handle()
	counts := func() []int {
		c := []int{bastion.Connections(), bastion.Forwards(), bastion.Execs()}
		for _, s := range targets {
			c = append(c, s.Connections(), s.Execs())
		}
		return c
	}
	// One bastion login shared by the three targets; one connection per
	// target shared by its two tasks.
	if diff := cmp.Diff([]int{1, 3, 0, 1, 2, 1, 2, 1, 2}, counts()); diff != "" {
		t.Errorf("bastion logins/forwards/execs, then each target's logins/execs (-want +got):\n%s", diff)
	}
	waitFor(t, "the bastion connection to close after the run", func() bool { return bastion.Open() == 0 })

	// A bastion connection that dies while in use is replaced, both for a
	// new target and for a target whose connection went with it.
	s1, s2 := &alexis.Shared{}, &alexis.Shared{}
	for _, step := range []struct {
		shared *alexis.Shared
		target string
		drop   bool
	}{{s1, addrs[0], true}, {s2, addrs[1], false}, {s1, addrs[0], false}} {
		if r := run(context.Background(), a, step.target, step.shared); r.Status != alexis.StatusSuccess {
			t.Fatalf("%+v %s", sum(r), r.Error)
		}
		if step.drop {
			bastion.DropConnections()
		}
	}
	s1.Close()
	s2.Close()
	if got := bastion.Connections(); got != 3 {
		t.Errorf("bastion logins = %d, want 3 (one per run, one after the drop)", got)
	}
	waitFor(t, "the bastion connections to close", func() bool { return bastion.Open() == 0 })

	// The bastion's host key is verified too.
	cfg.KnownHostsFile = sshtest.WriteKnownHosts(t, targets...)
	r := run(context.Background(), newAction(t, ssh.New(cfg), alexis.Params{"command": "true"}), addrs[0], nil)
	if r.Status != alexis.StatusFailure || r.Retryable || !strings.Contains(r.Error, bastion.Addr+": host is not in known_hosts") {
		t.Errorf("unknown bastion: %+v %q", sum(r), r.Error)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestInsecureIgnoreHostKeyWarnsEveryTime(t *testing.T) {
	var logs sshtest.Buffer
	f := newFixture(t, func(c *ssh.Config) {
		c.KnownHostsFile = ""
		c.InsecureIgnoreHostKey = true
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	a := f.action(t, alexis.Params{"command": "true"})
	for range 3 {
		if r := run(context.Background(), a, f.srv.Addr, nil); r.Status != alexis.StatusSuccess {
			t.Fatalf("%+v %s", sum(r), r.Error)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"host key NOT verified"); n != 3 {
		t.Errorf("%d warnings for 3 connections:\n%s", n, logs.String())
	}
}

func TestPassphraseProtectedKey(t *testing.T) {
	srv := sshtest.Start(t, nil)
	keyFile := srv.ClientKey.WriteFile(t, "correct horse")
	passFile := filepath.Join(t.TempDir(), "pass")
	writeFile(t, passFile, "correct horse\n")
	t.Setenv("ALEXIS_TEST_PASS", "correct horse")
	base := ssh.Config{User: "alexis", KeyFile: keyFile, KnownHostsFile: sshtest.WriteKnownHosts(t, srv)}
	tests := []struct {
		name    string
		mod     func(*ssh.Config)
		wantErr string
	}{
		{name: "from env", mod: func(c *ssh.Config) { c.PassphraseEnv = "ALEXIS_TEST_PASS" }},
		{name: "from file", mod: func(c *ssh.Config) { c.PassphraseFile = passFile }},
		{name: "none given", mod: func(c *ssh.Config) {}, wantErr: "passphrase-protected: set PassphraseEnv or PassphraseFile"},
		{name: "unset variable", mod: func(c *ssh.Config) { c.PassphraseEnv = "ALEXIS_TEST_NOPE" }, wantErr: "ALEXIS_TEST_NOPE is not set"},
		{name: "both", mod: func(c *ssh.Config) { c.PassphraseEnv, c.PassphraseFile = "ALEXIS_TEST_PASS", passFile }, wantErr: "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mod(&cfg)
			k := ssh.New(cfg)
			err := k.Check()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if r := run(context.Background(), newAction(t, k, alexis.Params{"command": "true"}), srv.Addr, nil); r.Status != alexis.StatusSuccess {
					t.Errorf("%+v %s", sum(r), r.Error)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Check() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	srv := sshtest.Start(t, nil)
	key := srv.ClientKey.WriteFile(t, "")
	kh := sshtest.WriteKnownHosts(t, srv)
	tests := []struct {
		name    string
		cfg     ssh.Config
		wantErr string
	}{
		{name: "ok", cfg: ssh.Config{KeyFile: key, KnownHostsFile: kh}},
		{name: "ok insecure", cfg: ssh.Config{KeyFile: key, InsecureIgnoreHostKey: true}},
		{name: "no key", cfg: ssh.Config{KnownHostsFile: kh}, wantErr: "no private key (set KeyFile)"},
		{name: "missing key", cfg: ssh.Config{KeyFile: "/nonexistent/id", KnownHostsFile: kh}, wantErr: "no such file"},
		{name: "not a key", cfg: ssh.Config{KeyFile: kh, KnownHostsFile: kh}, wantErr: "private key " + kh},
		{name: "missing known_hosts", cfg: ssh.Config{KeyFile: key, KnownHostsFile: "/nonexistent/kh"}, wantErr: "known_hosts"},
		{name: "bad port", cfg: ssh.Config{KeyFile: key, KnownHostsFile: kh, Port: 70000}, wantErr: "port 70000"},
		{name: "bad user", cfg: ssh.Config{KeyFile: key, KnownHostsFile: kh, User: "-oX"}, wantErr: `user "-oX"`},
		{name: "bad jump host", cfg: ssh.Config{KeyFile: key, KnownHostsFile: kh, JumpHost: "a b"}, wantErr: "jump host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ssh.New(tt.cfg).Check()
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Check() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewValidatesParams(t *testing.T) {
	k := ssh.New(ssh.Config{}) // no credentials needed to load rules
	tests := []struct {
		params alexis.Params
		want   []string // the parameters at fault
	}{
		{params: alexis.Params{"command": "uptime"}},
		{params: alexis.Params{"command": "systemctl restart {{ .TagValues.service }}", "user": "ops", "port": 2222, "max_output": 10, "pty": false}},
		{params: alexis.Params{}, want: []string{"command"}},
		{params: alexis.Params{"command": "echo {{ .Nope }}"}, want: []string{"command"}},
		{params: alexis.Params{"command": "echo {{ exec }}"}, want: []string{"command"}},
		{params: alexis.Params{"command": "x", "port": 0}, want: []string{"port"}},
		{params: alexis.Params{"command": "x", "port": 70000, "max_output": -1}, want: []string{"port", "max_output"}},
		{params: alexis.Params{"command": "x", "user": "-oProxyCommand=sh"}, want: []string{"user"}},
		{params: alexis.Params{"command": "x", "pty": "yes"}, want: []string{"pty"}},
		{params: alexis.Params{"command": "x", "host": "web-01"}, want: []string{"host"}},
	}
	for _, tt := range tests {
		_, err := k.New(tt.params)
		var got []string
		for _, e := range flatten(err) {
			var pe *alexis.ParamError
			if !errors.As(e, &pe) {
				t.Errorf("%v: error %v is not a *ParamError", tt.params, e)
				continue
			}
			got = append(got, pe.Param)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%v: params at fault (-want +got):\n%s(err: %v)", tt.params, diff, err)
		}
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// TestHostileAlert: alert text lands in the command quoted; nothing extra
// runs on the host.
func TestHostileAlert(t *testing.T) {
	f := newFixture(t, nil)
	testHostileAlert(t, f.kind, f.srv.Addr)
}

func testHostileAlert(t *testing.T, k *ssh.Kind, target string) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	out := filepath.Join(dir, "out")
	messages := []string{
		"x'; touch " + pwned + " #",
		"$(touch " + pwned + ")",
		"`touch " + pwned + "`",
		"a\"; touch " + pwned + "; echo \"",
		"x\ntouch " + pwned,
	}
	shared := &alexis.Shared{}
	defer shared.Close()
	for _, tmpl := range []string{
		"echo {{ .Message }} > " + out,
		"echo '{{ .Message }}' > " + out,
		"echo \"msg: {{ .Message }}\" > " + out,
	} {
		a := newAction(t, k, alexis.Params{"command": tmpl})
		for _, msg := range messages {
			ev := &alexis.Event{Source: alexis.SourceOpsGenie, ID: "1", Message: msg}
			r := a.Run(context.Background(), alexis.Invocation{Event: ev, Target: target, Shared: shared})
			if r.Status != alexis.StatusSuccess {
				t.Errorf("%s with %q: %+v %s", tmpl, msg, sum(r), r.Error)
				continue
			}
			if _, err := os.Stat(pwned); err == nil {
				t.Fatalf("%s with message %q ran an injected command", tmpl, msg)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(string(b), "\n"); strings.TrimPrefix(got, "msg: ") != msg {
				t.Errorf("%s: the remote shell saw %q, want the message %q verbatim", tmpl, got, msg)
			}
		}
	}
}

// TestDryRunNeedsNoCredentials: rules load and plans render with a Kind
// whose key and known_hosts do not exist.
func TestDryRunNeedsNoCredentials(t *testing.T) {
	k := ssh.New(ssh.Config{KeyFile: "/nonexistent/id", KnownHostsFile: "/nonexistent/kh"})
	a := newAction(t, k, alexis.Params{"command": "systemctl restart {{ .Details.service }}"})
	rs := &alexis.RuleSet{Rules: []*alexis.Rule{{Name: "restart", Enabled: true,
		Targets: alexis.StaticTargets{"web-01"}, Tasks: []alexis.Task{{Action: "ssh", Run: a}}}}}
	eng, err := alexis.New(rs, alexis.WithDryRun(true), alexis.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ev := &alexis.Event{Source: alexis.SourceGeneric, ID: "1", Details: map[string]string{"service": "nginx; reboot"}}
	rep, err := eng.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	want := []alexis.TaskRun{{Rule: "restart", Target: "web-01", Action: "ssh", Command: "systemctl restart 'nginx; reboot'",
		Result: alexis.Result{Status: alexis.StatusDryRun, Output: "systemctl restart 'nginx; reboot'"}}}
	if diff := cmp.Diff(want, rep.Runs, cmpIgnoreTimes); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if err := k.Check(); err == nil {
		t.Error("Check() = nil with missing files")
	}
}

var cmpIgnoreTimes = cmpopts.IgnoreFields(alexis.Result{}, "Started", "Duration")
