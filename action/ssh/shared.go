package ssh

import (
	"context"
	"io"
	"sync"

	alexis "github.com/alexis-project/alexis"
	gossh "golang.org/x/crypto/ssh"
)

// sharedConn is the connection to one user@host that the tasks of one run
// share. It dials on first use and redials once if the connection it holds
// has died.
type sharedConn struct {
	mu sync.Mutex
	c  *conn
}

// shared returns the run's connection slot for user@addr, or a private one
// when the invocation has no Shared.
func (k *Kind) shared(s *alexis.Shared, user, addr string) *sharedConn {
	if s == nil {
		return &sharedConn{}
	}
	c, _ := s.Get("ssh:"+user+"@"+addr, func() (io.Closer, error) { return &sharedConn{}, nil })
	return c.(*sharedConn)
}

// session opens a session, dialing when there is no live connection.
func (s *sharedConn) session(ctx context.Context, k *Kind, user, addr string) (*gossh.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		sess, err := s.c.client.NewSession()
		if err == nil {
			return sess, nil
		}
		k.cfg.Logger.Debug("shared connection is gone; redialing", "component", "ssh", "target", addr, "err", err)
		s.c.Close()
		s.c = nil
	}
	c, err := k.dial(ctx, user, addr)
	if err != nil {
		return nil, err
	}
	sess, err := c.client.NewSession()
	if err != nil {
		c.Close()
		return nil, &dialError{addr: addr, retryable: true, err: err}
	}
	s.c = c
	return sess, nil
}

// drop closes the connection; the next session redials.
func (s *sharedConn) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
}

func (s *sharedConn) Close() error {
	s.drop()
	return nil
}
