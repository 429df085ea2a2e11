package sshtest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis/internal/sshtest"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// dial connects to srv with its client key, verifying its host key through
// a known_hosts file written by WriteKnownHosts.
func dial(t *testing.T, srv *sshtest.Server, user string, key *sshtest.Key) (*gossh.Client, error) {
	t.Helper()
	cb, err := knownhosts.New(sshtest.WriteKnownHosts(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	return gossh.Dial("tcp", srv.Addr, &gossh.ClientConfig{
		User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(key.Signer)},
		HostKeyCallback: cb, Timeout: 5 * time.Second,
	})
}

func run(t *testing.T, c *gossh.Client, pty bool, cmd string) (string, error) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if pty {
		if err := s.RequestPty("dumb", 24, 80, nil); err != nil {
			t.Fatal(err)
		}
	}
	out := &sshtest.Buffer{}
	s.Stdout, s.Stderr = out, out
	err = s.Run(cmd)
	return out.String(), err
}

// execCase is one command run on its own session, what it must print
// (stdout and stderr together) and how it must end.
type execCase struct {
	cmd    string
	pty    bool
	out    string
	status int
	signal string
}

// checkExecs runs each case on one connection to srv, then checks that srv
// counted that connection and every exec.
func checkExecs(t *testing.T, srv *sshtest.Server, tests []execCase) {
	t.Helper()
	c, err := dial(t, srv, "anyone", srv.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tt := range tests {
		out, err := run(t, c, tt.pty, tt.cmd)
		var ee *gossh.ExitError
		switch {
		case tt.status == 0 && tt.signal == "" && err != nil:
			t.Errorf("%q: %v", tt.cmd, err)
		case tt.status != 0 && (!errors.As(err, &ee) || ee.ExitStatus() != tt.status):
			t.Errorf("%q: err = %v, want exit status %d", tt.cmd, err, tt.status)
		case tt.signal != "" && (!errors.As(err, &ee) || ee.Signal() != tt.signal):
			t.Errorf("%q: err = %v, want signal %s", tt.cmd, err, tt.signal)
		}
		if out != tt.out {
			t.Errorf("%q: output %q, want %q", tt.cmd, out, tt.out)
		}
	}
	if got := srv.Connections(); got != 1 {
		t.Errorf("Connections() = %d, want 1", got)
	}
	if got := srv.Execs(); got != len(tests) {
		t.Errorf("Execs() = %d, want %d", got, len(tests))
	}
}

// start starts cmd on a new session, on a pty if asked.
func start(t *testing.T, c *gossh.Client, pty bool, cmd string) *gossh.Session {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if pty {
		if err := s.RequestPty("dumb", 24, 80, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Start(cmd); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExec(t *testing.T) {
	checkExecs(t, sshtest.Start(t, nil), []execCase{
		{cmd: "echo hello", out: "hello\n"},
		{cmd: "echo oops >&2", out: "oops\n"},
		{cmd: "echo a; echo b >&2", pty: true, out: "a\r\nb\r\n"},
		{cmd: "exit 3", status: 3},
		{cmd: "kill -TERM $$", signal: "TERM"},
	})
}

// TestCloseSession checks the OpenSSH behaviour the server imitates:
// closing a pty session ends its command, closing a plain one does not.
func TestCloseSession(t *testing.T) {
	srv := sshtest.Start(t, nil)
	c, err := dial(t, srv, "me", srv.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	for _, pty := range []bool{true, false} {
		marker := filepath.Join(dir, "pty-"+map[bool]string{true: "yes", false: "no"}[pty])
		s := start(t, c, pty, "sleep 0.5; touch "+marker)
		time.Sleep(100 * time.Millisecond)
		s.Close()
		time.Sleep(900 * time.Millisecond)
		_, err = os.Stat(marker)
		if ran := err == nil; ran == pty {
			t.Errorf("pty=%v: marker written = %v after the session was closed", pty, ran)
		}
	}
}

func TestAuth(t *testing.T) {
	srv := sshtest.Start(t, &sshtest.Options{User: "alexis"})
	if _, err := dial(t, srv, "alexis", sshtest.NewKey(t)); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("unknown key: err = %v, want an authentication failure", err)
	}
	if _, err := dial(t, srv, "root", srv.ClientKey); err == nil {
		t.Error("wrong user: no error")
	}
	c, err := dial(t, srv, "alexis", srv.ClientKey)
	if err != nil {
		t.Fatalf("right user and key: %v", err)
	}
	// The server counts a connection once its side of the handshake
	// returns, which may be after the client's; a command it answered
	// was served after the count.
	if _, err := run(t, c, false, "true"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := srv.Connections(); got != 1 {
		t.Errorf("Connections() = %d, want 1 (failed logins do not count)", got)
	}
}

func TestForward(t *testing.T) {
	key := sshtest.NewKey(t)
	bastion := sshtest.Start(t, &sshtest.Options{ClientKey: key, Forward: true})
	target := sshtest.Start(t, &sshtest.Options{ClientKey: key})
	jc, err := dial(t, bastion, "me", key)
	if err != nil {
		t.Fatal(err)
	}
	defer jc.Close()
	nc, err := jc.Dial("tcp", target.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := knownhosts.New(sshtest.WriteKnownHosts(t, target))
	cc, chans, reqs, err := gossh.NewClientConn(nc, target.Addr, &gossh.ClientConfig{
		User: "me", Auth: []gossh.AuthMethod{gossh.PublicKeys(key.Signer)}, HostKeyCallback: cb})
	if err != nil {
		t.Fatal(err)
	}
	c := gossh.NewClient(cc, chans, reqs)
	defer c.Close()
	if out, err := run(t, c, false, "echo through"); err != nil || out != "through\n" {
		t.Errorf("through the bastion: %q, %v", out, err)
	}
	if bastion.Forwards() != 1 || target.Connections() != 1 || bastion.Execs() != 0 {
		t.Errorf("forwards=%d target connections=%d bastion execs=%d, want 1 1 0",
			bastion.Forwards(), target.Connections(), bastion.Execs())
	}
	if _, err := jc.Dial("tcp", "192.0.2.1:22"); err == nil {
		t.Error("forward to a non-loopback address was accepted")
	}
	plain := sshtest.Start(t, &sshtest.Options{ClientKey: key})
	pc, err := dial(t, plain, "me", key)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.Dial("tcp", target.Addr); err == nil {
		t.Error("a server without Forward forwarded")
	}
}

func TestClosedAddr(t *testing.T) {
	_, err := net.DialTimeout("tcp", sshtest.ClosedAddr(t), time.Second)
	if err == nil {
		t.Fatal("dialing ClosedAddr succeeded")
	}
}

func TestKeyFile(t *testing.T) {
	k := sshtest.NewKey(t)
	for _, pass := range []string{"", "s3cret"} {
		b, err := os.ReadFile(k.WriteFile(t, pass))
		if err != nil {
			t.Fatal(err)
		}
		var s gossh.Signer
		if pass == "" {
			s, err = gossh.ParsePrivateKey(b)
		} else {
			s, err = gossh.ParsePrivateKeyWithPassphrase(b, []byte(pass))
		}
		if err != nil {
			t.Fatalf("passphrase %q: %v", pass, err)
		}
		if !bytes.Equal(s.PublicKey().Marshal(), k.Public().Marshal()) {
			t.Errorf("passphrase %q: key file holds another key", pass)
		}
	}
}

// echoHandler answers "out TEXT", "err TEXT", "exit N" and "wait" (until
// ctx is done, then exit 129, as a hung-up shell's 128+SIGHUP), and
// reports each wait's end on ended.
func echoHandler(ended chan<- string) func(ctx context.Context, command string, stdout, stderr io.Writer) int {
	return func(ctx context.Context, command string, stdout, stderr io.Writer) int {
		verb, arg, _ := strings.Cut(command, " ")
		switch verb {
		case "out":
			fmt.Fprintln(stdout, arg)
		case "err":
			fmt.Fprintln(stderr, arg)
		case "exit":
			n, _ := strconv.Atoi(arg)
			return n
		case "wait":
			<-ctx.Done()
			ended <- arg
			return 129
		default:
			fmt.Fprintf(stderr, "%s: not found\n", verb)
			return 127
		}
		return 0
	}
}

func TestHandler(t *testing.T) {
	checkExecs(t, sshtest.Start(t, &sshtest.Options{Handler: echoHandler(nil)}), []execCase{
		{cmd: "out hello", out: "hello\n"},
		{cmd: "err oops", out: "oops\n"},
		{cmd: "out a\nb", pty: true, out: "a\r\nb\r\n"},
		{cmd: "exit 3", status: 3},
		{cmd: "frobnicate", out: "frobnicate: not found\n", status: 127},
	})
}

// TestHandlerHangUp checks that a Handler is stopped where a shell command
// would be: when its pty session is closed and when the server closes, not
// when a plain session is closed.
func TestHandlerHangUp(t *testing.T) {
	ended := make(chan string, 2)
	srv := sshtest.Start(t, &sshtest.Options{Handler: echoHandler(ended)})
	c, err := dial(t, srv, "me", srv.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, pty := range []bool{true, false} {
		name := map[bool]string{true: "pty", false: "plain"}[pty]
		start(t, c, pty, "wait "+name).Close()
	}
	select {
	case got := <-ended:
		if got != "pty" {
			t.Errorf("closing the sessions ended the %s handler, want the pty one", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("closing the pty session did not cancel its handler")
	}
	select {
	case got := <-ended:
		t.Fatalf("closing a plain session ended its handler (%s)", got)
	case <-time.After(200 * time.Millisecond):
	}
	srv.Close() // returns once the plain handler has returned
	select {
	case got := <-ended:
		if got != "plain" {
			t.Errorf("Close ended %q, want plain", got)
		}
	default:
		t.Error("Close returned before the plain session's handler ended")
	}
}
