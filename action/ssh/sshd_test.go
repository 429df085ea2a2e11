package ssh_test

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/ssh"
	"github.com/alexis-project/alexis/internal/sshtest"
)

// openSSH starts Debian's sshd on loopback and returns a Kind that reaches
// it as the test's own user. The test is skipped only when sshd is absent.
func openSSH(t *testing.T) (*sshtest.SSHD, *ssh.Kind) {
	t.Helper()
	srv := sshtest.StartSSHD(t, nil)
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	k := ssh.New(ssh.Config{User: u.Username, KeyFile: srv.ClientKey.WriteFile(t, ""),
		KnownHostsFile: srv.WriteKnownHosts(t), ConnectTimeout: 5 * time.Second})
	if err := k.Check(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(srv.Log)
			t.Logf("sshd log:\n%s", b)
		}
	})
	return srv, k
}

func TestOpenSSHRunsCommand(t *testing.T) {
	srv, k := openSSH(t)
	out := filepath.Join(t.TempDir(), "out")
	a := newAction(t, k, alexis.Params{"command": "echo {{ .Message }} on {{ .Target }} > " + out + "; cat " + out + "; echo to stderr >&2"})
	shared := &alexis.Shared{}
	defer shared.Close()
	for _, pty := range []bool{true, false} {
		b := newAction(t, k, alexis.Params{"command": "echo {{ .Message }} >&2; exit 7", "pty": pty})
		r := run(context.Background(), b, srv.Addr, shared)
		want := summary{Status: alexis.StatusFailure, ExitCode: 7, Output: "disk full\n"}
		if sum(r) != want {
			t.Errorf("pty=%v: got %+v (%s), want %+v", pty, sum(r), r.Error, want)
		}
	}
	r := run(context.Background(), a, srv.Addr, shared)
	want := summary{Status: alexis.StatusSuccess, Output: "disk full on " + srv.Addr + "\nto stderr\n"}
	if sum(r) != want {
		t.Errorf("got %+v (%s), want %+v", sum(r), r.Error, want)
	}
	b, err := os.ReadFile(out)
	if err != nil || string(b) != "disk full on "+srv.Addr+"\n" {
		t.Errorf("file written by the remote command: %q, %v", b, err)
	}
}

// TestOpenSSHTimeoutKillsRemoteCommand: with a pty, the timed-out command
// never writes its marker; without one, sshd lets it finish (the reason
// pty is the default).
func TestOpenSSHTimeoutKillsRemoteCommand(t *testing.T) {
	srv, k := openSSH(t)
	dir := t.TempDir()
	var wg sync.WaitGroup
	for _, pty := range []bool{true, false} {
		// Connect first, so that the bound is the command's alone.
		shared := warm(t, k, srv.Addr)
		defer shared.Close()
		marker := filepath.Join(dir, map[bool]string{true: "pty", false: "nopty"}[pty])
		a := newAction(t, k, alexis.Params{"command": "sleep 1.5; touch " + marker, "pty": pty})
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
			defer cancel()
			r := run(ctx, a, srv.Addr, shared)
			if r.Status != alexis.StatusFailure || !r.Retryable || !strings.Contains(r.Error, "timed out") {
				t.Errorf("pty=%v: %+v %q, want a retryable time-out", pty, sum(r), r.Error)
			}
			time.Sleep(2 * time.Second)
			_, err := os.Stat(marker)
			if made := err == nil; made == pty {
				t.Errorf("pty=%v: marker written after the timeout = %v", pty, made)
			}
		}()
	}
	wg.Wait()
}

func TestOpenSSHHostileAlert(t *testing.T) {
	srv, k := openSSH(t)
	testHostileAlert(t, k, srv.Addr)
}

func TestOpenSSHHostKeyMismatch(t *testing.T) {
	srv, _ := openSSH(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, kh, sshtest.KnownHostsLine(srv.Addr, sshtest.NewKey(t).Public())+"\n")
	k := ssh.New(ssh.Config{KeyFile: srv.ClientKey.WriteFile(t, ""), KnownHostsFile: kh})
	r := run(context.Background(), newAction(t, k, alexis.Params{"command": "true"}), srv.Addr, nil)
	if r.Status != alexis.StatusFailure || r.Retryable || !strings.Contains(r.Error, "HOST KEY MISMATCH") {
		t.Errorf("%+v %q", sum(r), r.Error)
	}
}
