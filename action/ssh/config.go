package ssh

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Defaults of Config.
const (
	DefaultPort           = 22
	DefaultConnectTimeout = 10 * time.Second
	DefaultCommandTimeout = 5 * time.Minute
	DefaultMaxOutput      = action.DefaultMaxOutput
)

// Config holds the engine-wide settings of the ssh action type. Secrets
// (the key, its passphrase) come from files or the environment, never from
// rule files.
type Config struct {
	// User is the remote user (a task's `user` parameter overrides it).
	User string
	// Port is the remote port when the target names none (default 22).
	Port int
	// KeyFile is the private key, in OpenSSH or PEM format.
	KeyFile string
	// PassphraseEnv names an environment variable holding the key's
	// passphrase; PassphraseFile names a file holding it (a trailing
	// newline is ignored). Set at most one, and only for a protected key.
	PassphraseEnv  string
	PassphraseFile string
	// KnownHostsFile lists the accepted host keys (default
	// ~/.ssh/known_hosts). Host keys are always verified unless
	// InsecureIgnoreHostKey is set.
	KnownHostsFile string
	// InsecureIgnoreHostKey accepts any host key. Every connection made so
	// is logged at WARN. Only for labs.
	InsecureIgnoreHostKey bool
	// ConnectTimeout bounds dialing plus the SSH handshake (default 10s).
	ConnectTimeout time.Duration
	// CommandTimeout bounds a command when the caller's context has no
	// deadline of its own, that is when the task sets no `timeout`
	// (default 5m).
	CommandTimeout time.Duration
	// RemoteTimeout additionally runs every command under the remote
	// host's timeout(1) with the same bound ("timeout -k 5 N /bin/sh -c
	// CMD"), so it stops even if the connection is lost and sshd never
	// hears the hang-up. The remote host needs timeout(1) (coreutils or
	// busybox).
	RemoteTimeout bool
	// JumpHost is a bastion to go through, "[user@]host[:port]" as in
	// ssh -J. Its host key is verified against the same known_hosts and
	// the same key authenticates; the user defaults to the target's.
	JumpHost string
	// MaxOutput caps the output kept per command; the tail is kept
	// (default 64 KiB).
	MaxOutput int
	// Logger receives connection events (default slog.Default()).
	Logger *slog.Logger
}

// withDefaults returns c with every zero field defaulted.
func (c Config) withDefaults() Config {
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.KnownHostsFile == "" && !c.InsecureIgnoreHostKey {
		if home, err := os.UserHomeDir(); err == nil {
			c.KnownHostsFile = filepath.Join(home, ".ssh", "known_hosts")
		}
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	if c.MaxOutput <= 0 {
		c.MaxOutput = DefaultMaxOutput
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// validate checks what can be checked without touching any file.
func (c Config) validate() error {
	var errs []error
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("ssh: port %d is not from 1 to 65535", c.Port))
	}
	if c.PassphraseEnv != "" && c.PassphraseFile != "" {
		errs = append(errs, errors.New("ssh: set PassphraseEnv or PassphraseFile, not both"))
	}
	if c.User != "" && !validUser(c.User) {
		errs = append(errs, fmt.Errorf("ssh: user %q is not a user name", c.User))
	}
	if c.JumpHost != "" {
		if _, _, err := c.jump(""); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// jump splits JumpHost into user and address; user defaults to def.
func (c Config) jump(def string) (user, addr string, err error) {
	user, host := def, c.JumpHost
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		user, host = host[:i], host[i+1:]
		if !validUser(user) {
			return "", "", fmt.Errorf("ssh: jump host %q: %q is not a user name", c.JumpHost, user)
		}
	}
	if err := alexis.ValidTarget(host); err != nil {
		return "", "", fmt.Errorf("ssh: jump host: %w", err)
	}
	return user, hostPort(host, DefaultPort), nil
}

// hostPort returns target with port appended unless it names its own.
func hostPort(target string, port int) string {
	if _, _, err := net.SplitHostPort(target); err == nil {
		return target
	}
	return net.JoinHostPort(strings.Trim(target, "[]"), strconv.Itoa(port))
}

// credentials are the loaded key and host-key policy.
type credentials struct {
	signer   gossh.Signer
	hostKeys gossh.HostKeyCallback
	// verify is true when hostKeys checks known_hosts (not insecure mode).
	verify bool
}

// load reads the key and the known_hosts file.
func (c Config) load() (*credentials, error) {
	signer, err := c.loadKey()
	if err != nil {
		return nil, err
	}
	if c.InsecureIgnoreHostKey {
		return &credentials{signer: signer, hostKeys: c.insecureHostKeys}, nil
	}
	if c.KnownHostsFile == "" {
		return nil, errors.New("ssh: no known_hosts file (set KnownHostsFile)")
	}
	cb, err := knownhosts.New(c.KnownHostsFile)
	if err != nil {
		return nil, fmt.Errorf("ssh: known_hosts: %w", err)
	}
	return &credentials{signer: signer, hostKeys: cb, verify: true}, nil
}

func (c Config) loadKey() (gossh.Signer, error) {
	if c.KeyFile == "" {
		return nil, errors.New("ssh: no private key (set KeyFile)")
	}
	pemBytes, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("ssh: private key: %w", err)
	}
	pass, err := c.passphrase()
	if err != nil {
		return nil, err
	}
	var signer gossh.Signer
	if pass == nil {
		signer, err = gossh.ParsePrivateKey(pemBytes)
	} else {
		signer, err = gossh.ParsePrivateKeyWithPassphrase(pemBytes, pass)
	}
	var missing *gossh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, fmt.Errorf("ssh: private key %s is passphrase-protected: set PassphraseEnv or PassphraseFile", c.KeyFile)
	case err != nil:
		return nil, fmt.Errorf("ssh: private key %s: %w", c.KeyFile, err)
	}
	return signer, nil
}

// passphrase returns the configured passphrase, or nil when none is.
func (c Config) passphrase() ([]byte, error) {
	switch {
	case c.PassphraseEnv != "":
		v, ok := os.LookupEnv(c.PassphraseEnv)
		if !ok || v == "" {
			return nil, fmt.Errorf("ssh: passphrase variable %s is not set", c.PassphraseEnv)
		}
		return []byte(v), nil
	case c.PassphraseFile != "":
		b, err := os.ReadFile(c.PassphraseFile)
		if err != nil {
			return nil, fmt.Errorf("ssh: passphrase file: %w", err)
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			return nil, fmt.Errorf("ssh: passphrase file %s is empty", c.PassphraseFile)
		}
		return b, nil
	}
	return nil, nil
}

func (c Config) insecureHostKeys(hostname string, remote net.Addr, key gossh.PublicKey) error {
	c.Logger.Warn("host key NOT verified (InsecureIgnoreHostKey)", "component", "ssh",
		"host", hostname, "fingerprint", gossh.FingerprintSHA256(key))
	return nil
}
