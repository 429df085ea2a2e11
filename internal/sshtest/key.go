package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Key is an ed25519 key pair generated in memory.
type Key struct {
	Private ed25519.PrivateKey
	Signer  gossh.Signer
}

// NewKey generates a fresh ed25519 key.
func NewKey(tb testing.TB) *Key {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatalf("sshtest: generate key: %v", err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		tb.Fatalf("sshtest: signer: %v", err)
	}
	return &Key{Private: priv, Signer: s}
}

// Public returns the public half.
func (k *Key) Public() gossh.PublicKey { return k.Signer.PublicKey() }

// AuthorizedKey returns the public key as one authorized_keys line
// (without the trailing newline).
func (k *Key) AuthorizedKey() string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.Public())))
}

// PEM returns the private key in OpenSSH format, encrypted with passphrase
// unless it is empty.
func (k *Key) PEM(tb testing.TB, passphrase string) []byte {
	tb.Helper()
	var (
		b   *pem.Block
		err error
	)
	if passphrase == "" {
		b, err = gossh.MarshalPrivateKey(k.Private, "sshtest")
	} else {
		b, err = gossh.MarshalPrivateKeyWithPassphrase(k.Private, "sshtest", []byte(passphrase))
	}
	if err != nil {
		tb.Fatalf("sshtest: marshal private key: %v", err)
	}
	return pem.EncodeToMemory(b)
}

// WriteFile writes the private key (OpenSSH format, encrypted with
// passphrase unless it is empty) to a 0600 file under tb.TempDir and
// returns its path.
func (k *Key) WriteFile(tb testing.TB, passphrase string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "id_ed25519")
	writeFile(tb, path, string(k.PEM(tb, passphrase)))
	return path
}

// KnownHostsLine returns the known_hosts line that accepts key for addr
// ("127.0.0.1:2222" is written "[127.0.0.1]:2222", port 22 bare).
func KnownHostsLine(addr string, key gossh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)
}

// WriteKnownHosts writes a known_hosts file under tb.TempDir accepting the
// host key of every server and returns its path.
func WriteKnownHosts(tb testing.TB, servers ...*Server) string {
	tb.Helper()
	var b strings.Builder
	for _, s := range servers {
		b.WriteString(KnownHostsLine(s.Addr, s.HostKey.Public()))
		b.WriteByte('\n')
	}
	path := filepath.Join(tb.TempDir(), "known_hosts")
	writeFile(tb, path, b.String())
	return path
}
