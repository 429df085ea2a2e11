package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/user"
	"strings"
	"time"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action"
	gossh "golang.org/x/crypto/ssh"
)

// Action is one prepared ssh task. It is safe for concurrent use.
type Action struct {
	kind      *Kind
	command   *action.Template
	user      string
	port      int
	maxOutput int
	pty       bool
}

// Render returns the command line the task runs on target, with every
// template value quoted for the shell.
func (a *Action) Render(ev *alexis.Event, target string) (string, error) {
	return a.command.Render(ev, target)
}

// closeGrace is how long a closed session may take to report back before
// the whole connection is dropped.
const closeGrace = 2 * time.Second

// Run runs the command on inv.Target and waits for it. Success is exit
// status 0. When ctx ends first (the task's timeout, or CommandTimeout
// when ctx has no deadline), the session is closed; with a pty (the
// default) sshd then hangs up the remote command.
func (a *Action) Run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	start := time.Now()
	res := a.run(ctx, inv)
	res.Started, res.Duration = start, time.Since(start)
	if res.Status == "" {
		res.Status = alexis.StatusFailure
	}
	return res
}

func (a *Action) run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	cfg := a.kind.cfg
	if err := alexis.ValidTarget(inv.Target); err != nil {
		return failure(-1, false, "ssh: %v", err)
	}
	command := inv.Rendered
	if command == "" {
		var err error
		if command, err = a.Render(inv.Event, inv.Target); err != nil {
			return failure(-1, false, "ssh: command: %v", err)
		}
	}
	if strings.TrimSpace(command) == "" {
		return failure(-1, false, "ssh: command is empty")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.CommandTimeout)
		defer cancel()
	}
	if cfg.RemoteTimeout {
		command = remoteBound(ctx, command)
	}
	usr := a.userName()
	if usr == "" {
		return failure(-1, false, "ssh: no remote user: set the ssh user in the configuration or the task")
	}
	port := cfg.Port
	if a.port != 0 {
		port = a.port
	}
	addr := hostPort(inv.Target, port)
	sc := a.kind.shared(inv.Shared, usr, addr)
	if inv.Shared == nil {
		defer sc.Close()
	}
	sess, err := sc.session(ctx, a.kind, usr, addr)
	if err != nil {
		var de *dialError
		if errors.As(err, &de) {
			return failure(-1, de.retryable, "%v", err)
		}
		return failure(-1, true, "%v", err)
	}
	defer sess.Close()
	return a.exec(ctx, sc, sess, command)
}

// exec runs command on sess and turns its end into a Result.
func (a *Action) exec(ctx context.Context, sc *sharedConn, sess *gossh.Session, command string) alexis.Result {
	max := a.kind.cfg.MaxOutput
	if a.maxOutput > 0 {
		max = a.maxOutput
	}
	out := action.NewTailBuffer(max) // safe for the stdout and stderr copiers together
	sess.Stdout, sess.Stderr = out, out
	strip := &crlfStripper{w: out}
	if a.pty {
		// A pty merges stderr into stdout and ends lines with "\r\n".
		sess.Stdout = strip
		modes := gossh.TerminalModes{gossh.ECHO: 0, gossh.ONLCR: 0}
		if err := sess.RequestPty("dumb", 24, 200, modes); err != nil {
			return failure(-1, true, "ssh: pty request refused: %v", err)
		}
	}
	if err := sess.Start(command); err != nil {
		return failure(-1, false, "ssh: exec request refused: %v", err)
	}
	begun := time.Now()
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err := <-done:
		strip.flush() // the copier is done
		return exited(err, out.Output())
	case <-ctx.Done():
	}
	sess.Close()
	select {
	case <-done:
	case <-time.After(closeGrace):
		sc.drop()
	}
	var what string
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		what = "timed out"
	} else {
		what = "cancelled"
	}
	res := failure(-1, true, "ssh: command %s after %s; session closed (%s)",
		what, time.Since(begun).Round(time.Millisecond), a.stopNote())
	res.Output = out.Output()
	return res
}

func (a *Action) stopNote() string {
	if a.pty {
		return "pty: sshd hangs up the remote command"
	}
	if a.kind.cfg.RemoteTimeout {
		return "no pty: the remote command runs until its remote timeout"
	}
	return "no pty: the remote command may still be running"
}

// exited classifies the end of a command that ran.
func exited(err error, output string) alexis.Result {
	var ee *gossh.ExitError
	var missing *gossh.ExitMissingError
	var r alexis.Result
	switch {
	case err == nil:
		r = alexis.Result{Status: alexis.StatusSuccess}
	case errors.As(err, &ee) && ee.Signal() != "":
		r = failure(ee.ExitStatus(), false, "ssh: remote command killed by signal %s", ee.Signal())
	case errors.As(err, &ee):
		r = failure(ee.ExitStatus(), false, "exit status %d", ee.ExitStatus())
	case errors.As(err, &missing):
		r = failure(-1, false, "ssh: connection lost before the command reported its exit status")
	default:
		r = failure(-1, false, "ssh: %v", err)
	}
	r.Output = output
	return r
}

func (a *Action) userName() string {
	switch {
	case a.user != "":
		return a.user
	case a.kind.cfg.User != "":
		return a.kind.cfg.User
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

func failure(code int, retryable bool, format string, args ...any) alexis.Result {
	return alexis.Result{Status: alexis.StatusFailure, ExitCode: code, Retryable: retryable,
		Error: fmt.Sprintf(format, args...)}
}

// remoteBound wraps command in timeout(1) with ctx's remaining time,
// rounded up to a second, plus a 5 s grace before SIGKILL.
func remoteBound(ctx context.Context, command string) string {
	secs := 1
	if d, ok := ctx.Deadline(); ok {
		secs = max(1, int(math.Ceil(time.Until(d).Seconds())))
	}
	return fmt.Sprintf("timeout -k 5 %d /bin/sh -c %s", secs, shellQuote(command))
}

// shellQuote single-quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// crlfStripper turns the "\r\n" line ends of a pty back into "\n" on the
// way to w, also when a write ends between '\r' and '\n'. It is used by
// one goroutine (the session's stdout copier).
type crlfStripper struct {
	w  io.Writer
	cr bool // the previous write ended with a '\r' not yet passed on
}

func (c *crlfStripper) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	out := make([]byte, 0, len(p)+1)
	if c.cr && p[0] != '\n' {
		out = append(out, '\r')
	}
	c.cr = false
	for i, b := range p {
		switch {
		case b != '\r':
			out = append(out, b)
		case i == len(p)-1:
			c.cr = true
		case p[i+1] != '\n':
			out = append(out, b)
		}
	}
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush passes on a '\r' held back at the very end of the output.
func (c *crlfStripper) flush() {
	if c.cr {
		c.cr = false
		c.w.Write([]byte{'\r'})
	}
}
