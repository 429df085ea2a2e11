package sshtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SSHDPath is where Debian's openssh-server installs sshd.
const SSHDPath = "/usr/sbin/sshd"

// SSHD is a real OpenSSH server started for a test.
type SSHD struct {
	// Addr is the "127.0.0.1:port" sshd listens on.
	Addr      string
	HostKey   *Key
	ClientKey *Key
	// Log is sshd's log file (-E), worth printing when a test fails.
	Log string
}

// StartSSHD starts OpenSSH's sshd in the foreground on a free loopback
// port, with a fresh host key, accepting clientKey (nil generates one) for
// the test's own user. It skips the test when sshd is not installed, and
// tb's cleanup stops it.
func StartSSHD(tb testing.TB, clientKey *Key) *SSHD {
	tb.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		tb.Skipf("OpenSSH sshd is not installed at %s (apt-get install openssh-server): %v", SSHDPath, err)
	}
	if clientKey == nil {
		clientKey = NewKey(tb)
	}
	// sshd needs its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil && os.Geteuid() == 0 {
		tb.Fatalf("sshtest: %v", err)
	}
	dir := tb.TempDir()
	s := &SSHD{HostKey: NewKey(tb), ClientKey: clientKey, Log: filepath.Join(dir, "sshd.log")}
	hostKey := filepath.Join(dir, "host_ed25519")
	authorized := filepath.Join(dir, "authorized_keys")
	writeFile(tb, hostKey, string(s.HostKey.PEM(tb, "")))
	writeFile(tb, authorized, clientKey.AuthorizedKey()+"\n")
	port := freePort(tb)
	s.Addr = net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	config := filepath.Join(dir, "sshd_config")
	writeFile(tb, config, strings.Join([]string{
		fmt.Sprintf("Port %d", port),
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKey,
		"AuthorizedKeysFile " + authorized,
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"PermitRootLogin prohibit-password",
		"StrictModes no",
		"UsePAM no",
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"LogLevel VERBOSE",
	}, "\n")+"\n")
	cmd := exec.Command(SSHDPath, "-D", "-f", config, "-E", s.Log)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("sshtest: start sshd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-exited:
			tb.Fatalf("sshtest: sshd exited at start; log:\n%s", readFile(s.Log))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("sshtest: sshd does not accept on %s; log:\n%s", s.Addr, readFile(s.Log))
		}
	}
}

// WriteKnownHosts writes a known_hosts file accepting this sshd's host key.
func (s *SSHD) WriteKnownHosts(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "known_hosts")
	writeFile(tb, path, KnownHostsLine(s.Addr, s.HostKey.Public())+"\n")
	return path
}

func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("sshtest: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatalf("sshtest: %v", err)
	}
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
