package ssh_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/ssh"
	"github.com/alexis-project/alexis/internal/sshtest"
)

// fixture is one in-process server and a Kind set up to reach it.
type fixture struct {
	srv  *sshtest.Server
	cfg  ssh.Config
	kind *ssh.Kind
}

func newFixture(t testing.TB, mod func(*ssh.Config)) *fixture {
	t.Helper()
	srv := sshtest.Start(t, nil)
	cfg := ssh.Config{
		User:           "alexis",
		KeyFile:        srv.ClientKey.WriteFile(t, ""),
		KnownHostsFile: sshtest.WriteKnownHosts(t, srv),
		ConnectTimeout: 5 * time.Second,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	return &fixture{srv: srv, cfg: cfg, kind: ssh.New(cfg)}
}

// action prepares a task from params (command and whatever else).
func (f *fixture) action(t testing.TB, p alexis.Params) alexis.Action {
	t.Helper()
	return newAction(t, f.kind, p)
}

func newAction(t testing.TB, k *ssh.Kind, p alexis.Params) alexis.Action {
	t.Helper()
	a, err := k.New(p)
	if err != nil {
		t.Fatalf("New(%v): %v", p, err)
	}
	return a
}

// run runs a on the fixture's server with a fresh event.
func run(ctx context.Context, a alexis.Action, target string, shared *alexis.Shared) alexis.Result {
	ev := &alexis.Event{Source: alexis.SourceGeneric, ID: "1", Message: "disk full"}
	return a.Run(ctx, alexis.Invocation{Event: ev, Rule: "r", Target: target, Shared: shared})
}

// summary is the part of a Result the tests compare.
type summary struct {
	Status    alexis.Status
	ExitCode  int
	Output    string
	Retryable bool
}

func sum(r alexis.Result) summary {
	return summary{Status: r.Status, ExitCode: r.ExitCode, Output: r.Output, Retryable: r.Retryable}
}

func TestRunExitStatus(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name    string
		params  alexis.Params
		want    summary
		wantErr string
	}{
		{name: "success", params: alexis.Params{"command": "echo ok; echo warn >&2"},
			want: summary{Status: alexis.StatusSuccess, Output: "ok\nwarn\n"}},
		{name: "empty output is still success", params: alexis.Params{"command": "true"},
			want: summary{Status: alexis.StatusSuccess}},
		{name: "non-zero exit", params: alexis.Params{"command": "echo no; exit 3"},
			want: summary{Status: alexis.StatusFailure, ExitCode: 3, Output: "no\n"}, wantErr: "exit status 3"},
		{name: "output does not mean success", params: alexis.Params{"command": "echo lots of output; false"},
			want: summary{Status: alexis.StatusFailure, ExitCode: 1, Output: "lots of output\n"}, wantErr: "exit status 1"},
		{name: "killed by a signal", params: alexis.Params{"command": "kill -KILL $$"},
			want: summary{Status: alexis.StatusFailure, ExitCode: 137}, wantErr: "signal KILL"},
		{name: "no pty keeps stderr apart but captured", params: alexis.Params{"command": "echo err >&2", "pty": false},
			want: summary{Status: alexis.StatusSuccess, Output: "err\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(context.Background(), f.action(t, tt.params), f.srv.Addr, nil)
			if diff := cmp.Diff(tt.want, sum(r)); diff != "" {
				t.Errorf("result (-want +got):\n%s\nerror: %s", diff, r.Error)
			}
			if !strings.Contains(r.Error, tt.wantErr) || (tt.wantErr == "") != (r.Error == "") {
				t.Errorf("Error = %q, want it to contain %q", r.Error, tt.wantErr)
			}
			if r.Started.IsZero() || r.Duration <= 0 {
				t.Errorf("Started %v, Duration %v: want both set", r.Started, r.Duration)
			}
		})
	}
}

// TestTimeoutKillsRemoteCommand proves the remote command really stops: it
// must not write its marker after the timeout. The same run without a pty
// shows the marker would be written, so the check can fail.
func TestTimeoutKillsRemoteCommand(t *testing.T) {
	f := newFixture(t, nil)
	dir := t.TempDir()
	tests := []struct {
		name       string
		params     alexis.Params
		cancel     bool // cancel the context instead of a deadline
		markerMade bool
	}{
		{name: "pty, deadline", params: alexis.Params{}},
		{name: "pty, cancelled", params: alexis.Params{}, cancel: true},
		{name: "no pty leaves it running", params: alexis.Params{"pty": false}, markerMade: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marker := filepath.Join(dir, "marker"+string(rune('a'+i)))
			tt.params["command"] = "sleep 0.8; touch " + marker
			a := f.action(t, tt.params)
			// Connect first, so that the bound is the command's alone.
			shared := warm(t, f.kind, f.srv.Addr)
			defer shared.Close()
			var (
				ctx    context.Context
				cancel context.CancelFunc
			)
			if tt.cancel {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(200*time.Millisecond, cancel)
			} else {
				ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
			}
			defer cancel()
			r := run(ctx, a, f.srv.Addr, shared)
			if r.Status != alexis.StatusFailure || !r.Retryable || r.ExitCode != -1 {
				t.Errorf("result %+v, want a retryable failure with exit code -1", sum(r))
			}
			want := map[bool]string{false: "timed out", true: "cancelled"}[tt.cancel]
			if !strings.Contains(r.Error, want) {
				t.Errorf("Error = %q, want %q", r.Error, want)
			}
			if r.Duration > time.Second {
				t.Errorf("Run took %v after a 200ms bound", r.Duration)
			}
			time.Sleep(1200 * time.Millisecond)
			_, err := os.Stat(marker)
			if made := err == nil; made != tt.markerMade {
				t.Errorf("marker written after the timeout = %v, want %v", made, tt.markerMade)
			}
		})
	}
}

// TestRemoteTimeout: without a pty, the remote-side bound still stops the
// command.
func TestRemoteTimeout(t *testing.T) {
	f := newFixture(t, func(c *ssh.Config) { c.RemoteTimeout = true })
	marker := filepath.Join(t.TempDir(), "marker")
	a := f.action(t, alexis.Params{"command": "sleep 2; touch " + marker, "pty": false})
	if got, _ := a.Render(&alexis.Event{}, "h"); strings.Contains(got, "timeout") {
		t.Errorf("Render shows the remote bound: %q", got)
	}
	shared := warm(t, f.kind, f.srv.Addr)
	defer shared.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r := run(ctx, a, f.srv.Addr, shared)
	if r.Status != alexis.StatusFailure || !strings.Contains(r.Error, "remote timeout") {
		t.Errorf("result %+v %q", sum(r), r.Error)
	}
	time.Sleep(2500 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Error("marker written: timeout(1) did not stop the remote command")
	}
}

func TestConnectFailures(t *testing.T) {
	f := newFixture(t, nil)
	other := sshtest.Start(t, nil) // another host key, another authorized key
	mismatch := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, mismatch, sshtest.KnownHostsLine(f.srv.Addr, other.HostKey.Public())+"\n")
	unknown := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, unknown, sshtest.KnownHostsLine(other.Addr, other.HostKey.Public())+"\n")
	tests := []struct {
		name      string
		mod       func(*ssh.Config)
		target    string
		retryable bool
		wantErr   string
	}{
		{name: "host key mismatch", mod: func(c *ssh.Config) { c.KnownHostsFile = mismatch },
			wantErr: "HOST KEY MISMATCH"},
		{name: "unknown host", mod: func(c *ssh.Config) { c.KnownHostsFile = unknown },
			wantErr: "not in known_hosts"},
		{name: "key not authorized", mod: func(c *ssh.Config) { c.KeyFile = other.ClientKey.WriteFile(t, "") },
			wantErr: "refused the key"},
		{name: "connection refused", target: sshtest.ClosedAddr(t), retryable: true,
			wantErr: "connection refused"},
		{name: "missing key file", mod: func(c *ssh.Config) { c.KeyFile = "/nonexistent/id" },
			wantErr: "private key"},
		{name: "invalid target", target: "-oProxyCommand=touch", wantErr: "not a hostname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := f.cfg
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			target := f.srv.Addr
			if tt.target != "" {
				target = tt.target
			}
			before := f.srv.Execs()
			r := run(context.Background(), newAction(t, ssh.New(cfg), alexis.Params{"command": "echo hi"}), target, nil)
			want := summary{Status: alexis.StatusFailure, ExitCode: -1, Retryable: tt.retryable}
			if diff := cmp.Diff(want, sum(r)); diff != "" {
				t.Errorf("result (-want +got):\n%s\nerror: %s", diff, r.Error)
			}
			if !strings.Contains(r.Error, tt.wantErr) {
				t.Errorf("Error = %q, want %q", r.Error, tt.wantErr)
			}
			if f.srv.Execs() != before {
				t.Error("the command ran")
			}
		})
	}
}

// warm opens the connection to target that the returned Shared holds, so
// a later run on it measures its command only.
func warm(t testing.TB, k *ssh.Kind, target string) *alexis.Shared {
	t.Helper()
	shared := &alexis.Shared{}
	if r := run(context.Background(), newAction(t, k, alexis.Params{"command": "true"}), target, shared); r.Status != alexis.StatusSuccess {
		t.Fatalf("warm-up: %+v %s", sum(r), r.Error)
	}
	return shared
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPort: the port parameter applies to a target without one; a target's
// own port wins over it.
func TestPort(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		target string
		port   int
	}{
		{target: "127.0.0.1", port: f.srv.Port()},
		{target: f.srv.Addr, port: sshtest.Port(sshtest.ClosedAddr(t))},
	}
	for _, tt := range tests {
		a := f.action(t, alexis.Params{"command": "echo ok", "port": tt.port})
		if r := run(context.Background(), a, tt.target, nil); r.Status != alexis.StatusSuccess {
			t.Errorf("target %q, port %d: %+v %s", tt.target, tt.port, sum(r), r.Error)
		}
	}
}

// TestPEMKey: a PKCS#8 PEM key ("BEGIN PRIVATE KEY") works as well as the
// OpenSSH format the other tests use.
func TestPEMKey(t *testing.T) {
	srv := sshtest.Start(t, nil)
	der, err := x509.MarshalPKCS8PrivateKey(srv.ClientKey.Private)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	k := ssh.New(ssh.Config{User: "alexis", KeyFile: keyFile, KnownHostsFile: sshtest.WriteKnownHosts(t, srv)})
	if err := k.Check(); err != nil {
		t.Fatal(err)
	}
	if r := run(context.Background(), newAction(t, k, alexis.Params{"command": "echo pem"}), srv.Addr, nil); r.Status != alexis.StatusSuccess || r.Output != "pem\n" {
		t.Errorf("%+v %s", sum(r), r.Error)
	}
}
