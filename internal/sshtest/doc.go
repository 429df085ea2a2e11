// Package sshtest runs an in-process SSH server on 127.0.0.1 for tests.
//
// The server speaks real SSH (golang.org/x/crypto/ssh): it authenticates
// one client public key, runs every "exec" request through /bin/sh -c as
// the test's own user, returns the exit status, honours "pty-req" (stderr
// merged into stdout, "\n" written as "\r\n", and the command's process
// group killed when the client closes the session, as OpenSSH's sshd hangs
// up a pty session) and, when asked, forwards "direct-tcpip" channels to
// loopback addresses so it can act as a jump host. Without a pty, closing
// the session leaves the command running, exactly like OpenSSH.
// Options.Handler replaces the shell with an in-process function (same
// output, exit status and hang-up rules) where forking would distort a
// measurement, as in the action/ssh fan-out benchmark.
//
// The shortest use:
//
//	srv := sshtest.Start(t, nil)
//	keyFile := srv.ClientKey.WriteFile(t, "")
//	knownHosts := sshtest.WriteKnownHosts(t, srv)
//	// dial srv.Addr as any user with keyFile, verifying knownHosts
//
// StartSSHD runs Debian's real OpenSSH sshd the same way (loopback port,
// generated keys, foreground, stopped at cleanup) for integration tests; it
// skips the test when /usr/sbin/sshd is not installed.
package sshtest
