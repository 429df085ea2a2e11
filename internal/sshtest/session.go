package sshtest

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// session serves one "session" channel: pty-req, then one exec.
func (s *Server) session(nch gossh.NewChannel) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	var (
		pty bool
		cmd *job
	)
	for req := range reqs {
		switch req.Type {
		case "pty-req":
			pty = true
			req.Reply(true, nil)
		case "exec":
			if cmd != nil {
				req.Reply(false, nil)
				continue
			}
			var p struct{ Command string }
			if err := gossh.Unmarshal(req.Payload, &p); err != nil {
				req.Reply(false, nil)
				continue
			}
			if s.handler != nil {
				cmd = s.startHandler(ch, p.Command, pty)
			} else {
				cmd = s.start(ch, p.Command, pty)
			}
			// Reply before watching the command: a fast command must not
			// close the channel ahead of the reply.
			req.Reply(cmd != nil, nil)
			if cmd == nil {
				return
			}
			go cmd.wait()
		default:
			// env, shell, subsystem, signal (OpenSSH ignores it too)...
			req.Reply(false, nil)
		}
	}
	// The channel is closed: by us after the command exited, or by the
	// client. Like sshd, hang up a pty session's command; leave a non-pty
	// command running.
	if cmd != nil && pty {
		select {
		case <-cmd.done:
		default:
			cmd.hangUp()
		}
	}
}

// job is a command started for an exec request.
type job struct {
	wait   func() // waits for the command, reports its exit and closes the channel
	done   chan struct{}
	hangUp func() // ends the command when its pty session is closed
}

// outputs returns the writers for a command's stdout and stderr on ch.
func outputs(ch gossh.Channel, pty bool) (stdout, stderr io.Writer) {
	if pty {
		w := &crlfWriter{w: ch}
		return w, w
	}
	return ch, ch.Stderr()
}

// start starts command through /bin/sh -c in its own process group,
// writing its output to ch. It returns nil if the command cannot start.
func (s *Server) start(ch gossh.Channel, command string, pty bool) *job {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = os.Environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdout, cmd.Stderr = outputs(ch, pty)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || cmd.Start() != nil {
		return nil
	}
	s.procs[cmd] = struct{}{}
	s.execs.Add(1)
	j := &job{done: make(chan struct{}), hangUp: func() { killGroup(cmd, syscall.SIGHUP) }}
	j.wait = func() {
		cmd.Wait()
		close(j.done)
		s.mu.Lock()
		delete(s.procs, cmd)
		s.mu.Unlock()
		sendExit(ch, cmd.ProcessState)
		ch.Close()
	}
	return j
}

// startHandler runs command through the Handler option. Close cancels it
// and waits for it to return. It returns nil once the server is closed.
func (s *Server) startHandler(ch gossh.Channel, command string, pty bool) *job {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		cancel()
		return nil
	}
	s.stops[&cancel] = struct{}{}
	s.execs.Add(1)
	s.wg.Add(1)
	j := &job{done: make(chan struct{}), hangUp: cancel}
	j.wait = func() {
		defer s.wg.Done()
		stdout, stderr := outputs(ch, pty)
		status := s.handler(ctx, command, stdout, stderr)
		close(j.done)
		s.mu.Lock()
		delete(s.stops, &cancel)
		s.mu.Unlock()
		cancel()
		sendStatus(ch, status)
		ch.Close()
	}
	return j
}

func sendExit(ch gossh.Channel, ps *os.ProcessState) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		name := map[syscall.Signal]string{syscall.SIGHUP: "HUP", syscall.SIGINT: "INT",
			syscall.SIGKILL: "KILL", syscall.SIGTERM: "TERM"}[ws.Signal()]
		if name == "" {
			name = "SIG" + strconv.Itoa(int(ws.Signal()))
		}
		ch.SendRequest("exit-signal", false, gossh.Marshal(struct {
			Signal     string
			CoreDumped bool
			Error      string
			Lang       string
		}{Signal: name}))
		return
	}
	sendStatus(ch, ps.ExitCode())
}

func sendStatus(ch gossh.Channel, status int) {
	ch.SendRequest("exit-status", false, gossh.Marshal(struct{ Status uint32 }{uint32(status)}))
}

// killGroup signals the command's whole process group.
func killGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, sig)
	}
}

// crlfWriter writes "\n" as "\r\n", as a terminal's ONLCR output mode does.
type crlfWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *crlfWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// directTCPIP forwards one "direct-tcpip" channel to a loopback address.
func (s *Server) directTCPIP(nch gossh.NewChannel) {
	var p struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := gossh.Unmarshal(nch.ExtraData(), &p); err != nil {
		nch.Reject(gossh.ConnectionFailed, "bad direct-tcpip request")
		return
	}
	ip := net.ParseIP(p.Host)
	if p.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		nch.Reject(gossh.Prohibited, "sshtest forwards to loopback addresses only")
		return
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port))), 5*time.Second)
	if err != nil {
		nch.Reject(gossh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		c.Close()
		return
	}
	s.forwards.Add(1)
	go gossh.DiscardRequests(reqs)
	// Either direction ending ends both: the client is gone, or the
	// target hung up.
	done := make(chan struct{}, 2)
	go func() { io.Copy(c, ch); done <- struct{}{} }()
	go func() { io.Copy(ch, c); done <- struct{}{} }()
	<-done
	c.Close()
	ch.Close()
	<-done
}
