package ssh

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// conn is one SSH connection to a target, possibly through a jump host.
// It is what the tasks of one run on one target share (alexis.Shared).
type conn struct {
	client *gossh.Client
	jump   *jumpConn // nil without a jump host
}

func (c *conn) Close() error {
	err := c.client.Close()
	if c.jump != nil {
		c.jump.release()
	}
	return err
}

// dialError is a failure to reach or log in to a host.
type dialError struct {
	addr      string
	err       error
	retryable bool
}

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// dial connects and logs in to addr as user, through the jump host if one
// is configured.
func (k *Kind) dial(ctx context.Context, user, addr string) (*conn, error) {
	creds, err := k.credentials()
	if err != nil {
		return nil, &dialError{addr: addr, err: err}
	}
	if k.cfg.JumpHost == "" {
		nc, err := k.dialTCP(ctx, addr)
		if err != nil {
			return nil, err
		}
		c, err := k.handshake(ctx, nc, creds, user, addr)
		if err != nil {
			return nil, err
		}
		return &conn{client: c}, nil
	}
	juser, jaddr, err := k.cfg.jump(user)
	if err != nil {
		return nil, &dialError{addr: addr, err: err}
	}
	jc, tc, err := k.dialVia(ctx, creds, juser, jaddr, addr)
	if err != nil {
		return nil, err
	}
	c, err := k.handshake(ctx, tc, creds, user, addr)
	if err != nil {
		jc.release()
		return nil, err
	}
	return &conn{client: c, jump: jc}, nil
}

// dialVia opens a channel to addr through the shared connection to the
// jump host, replacing that connection once if it turns out to be dead.
func (k *Kind) dialVia(ctx context.Context, creds *credentials, juser, jaddr, addr string) (*jumpConn, net.Conn, error) {
	for attempt := 0; ; attempt++ {
		jc, err := k.jumps.acquire(ctx, juser+"@"+jaddr, func() (*gossh.Client, error) {
			nc, err := k.dialTCP(ctx, jaddr)
			if err != nil {
				return nil, err
			}
			return k.handshake(ctx, nc, creds, juser, jaddr)
		})
		if err != nil {
			if _, ok := err.(*dialError); !ok {
				err = &dialError{addr: jaddr, retryable: true, err: fmt.Errorf("ssh: jump host %s: %w", jaddr, err)}
			}
			return nil, nil, err
		}
		tc, err := jc.client.DialContext(ctx, "tcp", addr)
		if err == nil {
			return jc, tc, nil
		}
		alive := jc.alive()
		if !alive {
			jc.markDead()
		}
		jc.release()
		if alive || attempt > 0 {
			return nil, nil, &dialError{addr: addr, retryable: true,
				err: fmt.Errorf("ssh: jump host %s could not reach %s: %w", jaddr, addr, err)}
		}
		k.cfg.Logger.Debug("jump host connection is gone; redialing", "component", "ssh", "jump_host", jaddr, "err", err)
	}
}

func (k *Kind) dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: k.cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &dialError{addr: addr, retryable: true, err: fmt.Errorf("ssh: dial %s: %w", addr, err)}
	}
	return nc, nil
}

// handshake runs the SSH handshake on nc, bounded by ConnectTimeout and
// ctx. It owns nc: it closes it on failure.
func (k *Kind) handshake(ctx context.Context, nc net.Conn, creds *credentials, user, addr string) (*gossh.Client, error) {
	var hostKeyErr error
	cfg := &gossh.ClientConfig{
		User: user,
		Auth: []gossh.AuthMethod{gossh.PublicKeys(creds.signer)},
		HostKeyCallback: func(host string, remote net.Addr, key gossh.PublicKey) error {
			hostKeyErr = hostKeyError(addr, key, creds.hostKeys(host, remote, key))
			return hostKeyErr
		},
	}
	if creds.verify {
		cfg.HostKeyAlgorithms = hostKeyAlgorithms(creds.hostKeys, addr)
	}
	// Bound the handshake: ssh.NewClientConn has no context, and a channel
	// through a jump host has no deadlines, so close nc to stop it.
	var timedOut bool
	var mu sync.Mutex
	stop := func() {
		mu.Lock()
		timedOut = true
		mu.Unlock()
		nc.Close()
	}
	timer := time.AfterFunc(k.cfg.ConnectTimeout, stop)
	unhook := context.AfterFunc(ctx, stop)
	c, chans, reqs, err := gossh.NewClientConn(nc, addr, cfg)
	timer.Stop()
	unhook()
	mu.Lock()
	expired := timedOut
	mu.Unlock()
	switch {
	case err == nil && expired:
		c.Close()
		return nil, &dialError{addr: addr, retryable: true, err: fmt.Errorf("ssh: %s: handshake interrupted", addr)}
	case err == nil:
		return gossh.NewClient(c, chans, reqs), nil
	case hostKeyErr != nil:
		nc.Close()
		k.cfg.Logger.Warn("host key refused", "component", "ssh", "target", addr, "err", hostKeyErr)
		return nil, &dialError{addr: addr, err: hostKeyErr}
	case expired && ctx.Err() != nil:
		nc.Close()
		return nil, &dialError{addr: addr, retryable: true, err: fmt.Errorf("ssh: %s: handshake: %w", addr, ctx.Err())}
	case expired:
		nc.Close()
		return nil, &dialError{addr: addr, retryable: true,
			err: fmt.Errorf("ssh: %s: handshake timed out after %s", addr, k.cfg.ConnectTimeout)}
	case strings.Contains(err.Error(), "unable to authenticate"):
		nc.Close()
		return nil, &dialError{addr: addr, err: fmt.Errorf("ssh: %s: user %q: the server refused the key: %w", addr, user, err)}
	}
	nc.Close()
	return nil, &dialError{addr: addr, retryable: true, err: fmt.Errorf("ssh: %s: %w", addr, err)}
}

// hostKeyError turns a known_hosts verdict into a message an operator can
// act on.
func hostKeyError(addr string, key gossh.PublicKey, err error) error {
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return fmt.Errorf("ssh: %s: host key %s is revoked in known_hosts", addr, gossh.FingerprintSHA256(key))
	case errors.As(err, &ke) && len(ke.Want) > 0:
		return fmt.Errorf("ssh: %s: HOST KEY MISMATCH: the server offered %s %s, known_hosts (%s:%d) holds another key; possible man-in-the-middle, not connecting",
			addr, key.Type(), gossh.FingerprintSHA256(key), ke.Want[0].Filename, ke.Want[0].Line)
	case errors.As(err, &ke):
		return fmt.Errorf("ssh: %s: host is not in known_hosts (server key %s %s); add it after checking the fingerprint",
			addr, key.Type(), gossh.FingerprintSHA256(key))
	}
	return fmt.Errorf("ssh: %s: host key: %w", addr, err)
}

// probeKey is a key no known_hosts file holds; offering it to the host-key
// callback lists the keys known for a host.
var probeKey, _ = gossh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))

// hostKeyAlgorithms lists the host key algorithms known_hosts holds for
// addr, so the server is asked for a key we can verify (a server with RSA,
// ECDSA and Ed25519 keys would otherwise offer its preferred one, which may
// not be the one recorded). Nil lets the library choose.
func hostKeyAlgorithms(cb gossh.HostKeyCallback, addr string) []string {
	var ke *knownhosts.KeyError
	err := cb(addr, &net.TCPAddr{IP: net.IPv4zero}, probeKey)
	if !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}
	var algs []string
	seen := map[string]bool{}
	add := func(a ...string) {
		for _, x := range a {
			if !seen[x] {
				seen[x] = true
				algs = append(algs, x)
			}
		}
	}
	for _, w := range ke.Want {
		switch t := w.Key.Type(); t {
		case gossh.KeyAlgoRSA:
			add(gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algs
}
