package sshtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Options configure a Server. The zero value (or nil) is a server with a
// fresh host key and a fresh authorized client key, accepting any user name.
type Options struct {
	// HostKey is the server's host key; nil generates one.
	HostKey *Key
	// ClientKey is the one public key the server accepts; nil generates
	// one. Share a key between servers to reach them all with one key file.
	ClientKey *Key
	// User, when set, is the only user name accepted.
	User string
	// Forward accepts "direct-tcpip" channels to loopback addresses, so the
	// server can serve as a jump host (bastion).
	Forward bool
	// Handler, when set, answers every exec request in-process instead of
	// running /bin/sh -c: it gets the command line and the session's
	// output (with a pty, both writers are the terminal: "\n" written as
	// "\r\n"), and its result is sent as the exit status. Its ctx is
	// cancelled when a pty session is closed by the client (where sshd
	// hangs up the command) and when the server closes; a handler must
	// return once ctx is done. Closing a session without a pty leaves the
	// handler running, as it leaves a shell command running. Use it where
	// forking shells would distort a measurement (benchmarks), not to fake
	// what a shell would answer.
	Handler func(ctx context.Context, command string, stdout, stderr io.Writer) (exitStatus int)
}

// Server is a running in-process SSH server on 127.0.0.1.
type Server struct {
	// Addr is the "127.0.0.1:port" the server listens on.
	Addr      string
	HostKey   *Key
	ClientKey *Key

	cfg      *gossh.ServerConfig
	user     string
	forward  bool
	handler  func(ctx context.Context, command string, stdout, stderr io.Writer) int
	ln       net.Listener
	conns    atomic.Int64
	execs    atomic.Int64
	forwards atomic.Int64

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	procs  map[*exec.Cmd]struct{}
	stops  map[*context.CancelFunc]struct{} // of running handlers
	closed bool
	wg     sync.WaitGroup
}

// Start starts a server on 127.0.0.1:0; tb's cleanup closes it.
func Start(tb testing.TB, o *Options) *Server {
	tb.Helper()
	if o == nil {
		o = &Options{}
	}
	s := &Server{HostKey: o.HostKey, ClientKey: o.ClientKey, user: o.User, forward: o.Forward,
		handler: o.Handler, open: map[net.Conn]struct{}{}, procs: map[*exec.Cmd]struct{}{},
		stops: map[*context.CancelFunc]struct{}{}}
	if s.HostKey == nil {
		s.HostKey = NewKey(tb)
	}
	if s.ClientKey == nil {
		s.ClientKey = NewKey(tb)
	}
	authorized := s.ClientKey.Public().Marshal()
	s.cfg = &gossh.ServerConfig{
		PublicKeyCallback: func(md gossh.ConnMetadata, key gossh.PublicKey) (*gossh.Permissions, error) {
			if s.user != "" && md.User() != s.user {
				return nil, errors.New("sshtest: unknown user")
			}
			if !bytes.Equal(key.Marshal(), authorized) {
				return nil, errors.New("sshtest: key not authorized")
			}
			return &gossh.Permissions{}, nil
		},
	}
	s.cfg.AddHostKey(s.HostKey.Signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("sshtest: listen: %v", err)
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.Close)
	return s
}

// Port returns the port the server listens on.
func (s *Server) Port() int { return Port(s.Addr) }

// Port returns the port of a "host:port" address, 0 if it has none.
func Port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Connections counts the SSH connections that completed their handshake
// and authentication.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// Execs counts the exec requests the server started.
func (s *Server) Execs() int { return int(s.execs.Load()) }

// Forwards counts the direct-tcpip channels the server forwarded.
func (s *Server) Forwards() int { return int(s.forwards.Load()) }

// Open returns how many client connections are open now.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// DropConnections cuts every open connection, as a network failure or a
// restarted sshd would; the server keeps listening.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.open {
		c.Close()
	}
}

// Close stops listening, drops every connection, kills every command
// still running (also those a closed non-pty session left behind), cancels
// every running Handler and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.ln.Close()
	for c := range s.open {
		c.Close()
	}
	for cmd := range s.procs {
		killGroup(cmd, syscall.SIGKILL)
	}
	for stop := range s.stops {
		(*stop)()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// ClosedAddr returns a loopback address on which nothing listens: a port
// that was just listened on and closed. Dialing it is refused.
func ClosedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("sshtest: listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(nc) {
			nc.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(nc)
			s.serveConn(nc)
		}()
	}
}

func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.open[nc] = struct{}{}
	return true
}

func (s *Server) untrack(nc net.Conn) {
	s.mu.Lock()
	delete(s.open, nc)
	s.mu.Unlock()
	nc.Close()
}

func (s *Server) serveConn(nc net.Conn) {
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	_, chans, reqs, err := gossh.NewServerConn(nc, s.cfg)
	if err != nil {
		return
	}
	nc.SetDeadline(time.Time{})
	s.conns.Add(1)
	go gossh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	defer wg.Wait()
	for nch := range chans {
		switch {
		case nch.ChannelType() == "session":
			wg.Add(1)
			go func() { defer wg.Done(); s.session(nch) }()
		case nch.ChannelType() == "direct-tcpip" && s.forward:
			wg.Add(1)
			go func() { defer wg.Done(); s.directTCPIP(nch) }()
		default:
			nch.Reject(gossh.UnknownChannelType, "sshtest: channel type not supported")
		}
	}
}
