package ssh

import (
	"context"
	"sync"

	gossh "golang.org/x/crypto/ssh"
)

// jumpPool shares one connection to each jump host among all the target
// connections that go through it at the same time: a fan-out to 50 targets
// logs in to the bastion once, not 50 times (OpenSSH's MaxStartups would
// start refusing concurrent logins at 10). The connection is closed when
// the last target connection using it closes, and replaced when it dies.
type jumpPool struct {
	mu    sync.Mutex
	conns map[string]*jumpConn // by "user@host:port"
}

// jumpConn is one shared bastion connection.
type jumpConn struct {
	pool   *jumpPool
	key    string
	ready  chan struct{} // closed when the dial ended
	client *gossh.Client // set before ready is closed, nil on error
	err    error
	refs   int  // guarded by pool.mu
	dead   bool // guarded by pool.mu: the connection ended
}

// acquire returns a live connection to the jump host key, dialing with
// dial when there is none. Release it when done.
func (p *jumpPool) acquire(ctx context.Context, key string, dial func() (*gossh.Client, error)) (*jumpConn, error) {
	p.mu.Lock()
	if p.conns == nil {
		p.conns = map[string]*jumpConn{}
	}
	jc := p.conns[key]
	owner := jc == nil || jc.dead
	if owner {
		jc = &jumpConn{pool: p, key: key, ready: make(chan struct{})}
		p.conns[key] = jc
	}
	jc.refs++
	p.mu.Unlock()

	if owner {
		jc.client, jc.err = dial()
		if jc.err == nil {
			go jc.watch()
		}
		close(jc.ready)
	}
	select {
	case <-jc.ready:
	case <-ctx.Done():
		jc.release()
		return nil, ctx.Err()
	}
	if jc.err != nil {
		jc.release()
		return nil, jc.err
	}
	return jc, nil
}

// watch marks the connection dead when it ends, so the next acquire
// redials.
func (jc *jumpConn) watch() {
	jc.client.Wait()
	jc.markDead()
}

func (jc *jumpConn) markDead() {
	jc.pool.mu.Lock()
	jc.dead = true
	jc.pool.mu.Unlock()
}

// alive asks the jump host for a reply (OpenSSH's keepalive request); a
// dead connection fails at once.
func (jc *jumpConn) alive() bool {
	_, _, err := jc.client.SendRequest("keepalive@openssh.com", true, nil)
	return err == nil
}

// release drops one reference; the last one closes the connection.
func (jc *jumpConn) release() {
	p := jc.pool
	p.mu.Lock()
	jc.refs--
	last := jc.refs == 0
	if last && p.conns[jc.key] == jc {
		delete(p.conns, jc.key)
	}
	p.mu.Unlock()
	if last {
		<-jc.ready // the owner may still be dialing (after a cancelled wait)
		if jc.client != nil {
			jc.client.Close()
		}
	}
}
