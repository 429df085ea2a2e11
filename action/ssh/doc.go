// Package ssh is the "ssh" action type: it runs a shell command on each
// target of a rule over SSH (golang.org/x/crypto/ssh) and succeeds when the
// command exits with status 0.
//
// The shortest use:
//
//	kind := ssh.New(ssh.Config{User: "alexis", KeyFile: "/run/secrets/alexis_ed25519"})
//	if err := kind.Check(); err != nil { ... } // unless in dry-run mode
//	reg := alexis.NewRegistry(kind)
//
// and in a rule file:
//
//	tasks:
//	  - action: ssh
//	    reason: restart-gc
//	    timeout: 2m
//	    command: sudo systemctl restart {{ .TagValues.service }}
//
// # Parameters
//
//   - command (required): the command line, run by the remote user's login
//     shell. It is a template (package action, Shell mode): every {{ }} value
//     is quoted for the shell context it stands in, so alert text can never
//     add commands; {{ raw X }} is the one deliberate, greppable exception.
//     Unknown fields and functions are load-time errors.
//   - user: the remote user (default Config.User, else the local user).
//   - port: the remote port when the target names none (default Config.Port,
//     22). A target with its own port ("web-01:2222") wins.
//   - max_output: bytes of output kept (default Config.MaxOutput, 64 KiB);
//     the tail is kept, after a line saying how many bytes were dropped.
//   - pty: run the command on a pseudo-terminal (default true; see below).
//
// The task's reserved `timeout` key bounds the command: the engine passes
// it as the context deadline. Without one, Config.CommandTimeout (5m)
// applies. Every parameter is checked when the rules load; targets are
// checked with alexis.ValidTarget before anything is dialed.
//
// # Configuration
//
// Config holds the engine-wide settings: User, Port, KeyFile (OpenSSH or
// PEM private key), PassphraseEnv or PassphraseFile for a protected key,
// KnownHostsFile (default ~/.ssh/known_hosts), InsecureIgnoreHostKey,
// ConnectTimeout (10s, dial plus handshake), CommandTimeout (5m),
// RemoteTimeout, JumpHost, MaxOutput (64 KiB) and Logger. New never fails
// and reads no file, so a dry run needs no credentials; Check loads the key
// and known_hosts and reports what is wrong. The key and known_hosts are
// reloaded when their files change.
//
// # Results
//
// Output is stdout and stderr together, in arrival order. Exit status 0
// is success, whatever the output. A non-zero exit (ExitCode is the status)
// and a command killed by a signal are failures that are not retryable. A
// refused or timed-out connection, a failed handshake and a command timeout
// are retryable failures with ExitCode -1. A host-key problem or a refused
// key is not retryable: retrying cannot fix it.
//
// # Host keys
//
// Host keys are verified against KnownHostsFile (OpenSSH format; a
// non-22 port is written "[host]:port"), and the server is asked for the
// key types recorded there. A host missing from the file, or presenting a
// different key ("HOST KEY MISMATCH ... possible man-in-the-middle"), is
// refused and the command does not run. InsecureIgnoreHostKey turns
// verification off explicitly; each such connection logs a WARN with the
// key's fingerprint.
//
// # Timeouts, cancellation and the pty
//
// OpenSSH does not stop a remote command when the client goes away: closing
// a session without a pty leaves the command running to its end, and
// signal requests are ignored. Closing a session that has a pty makes sshd
// hang the command up (SIGHUP to its process group). So by default the
// command runs on a pty, and when the timeout expires or the context is
// cancelled the session is closed and the command dies. The price: on a
// pty, stderr is merged into stdout by the remote side, programs may
// behave as on a terminal (colours, pagers; TERM is "dumb"), and lines end
// with "\r\n", which the action turns back into "\n". A command that
// ignores SIGHUP (nohup, setsid) still survives.
//
// Set `pty: false` on a task to get plain pipes; a timeout then only
// abandons the command. Config.RemoteTimeout adds a bound on the remote
// side as well: the command runs as `timeout -k 5 N /bin/sh -c CMD` with N
// the seconds left, so it stops even without a pty or when the connection
// is lost and sshd never sees a hang-up (the remote host needs timeout(1)).
//
// # Connections
//
// The tasks of one run on one target share one connection
// (alexis.Invocation.Shared, key "ssh:user@host:port"); it is closed when
// the run ends, and redialed once if it died between tasks. Targets run
// concurrently, as the engine schedules them.
//
// # Jump host
//
// Config.JumpHost ("[user@]host[:port]", as ssh -J) makes every connection
// go through a bastion: the action logs in to the bastion, opens a
// direct-tcpip channel to the target, and runs the SSH handshake with the
// target over it. The bastion's host key is verified against the same
// known_hosts, the same key authenticates, and the user defaults to the
// target's. The target connections open at the same time share one
// bastion connection (a fan-out to 50 hosts logs in to the bastion once;
// OpenSSH's MaxStartups would refuse many concurrent logins); it closes
// with the last of them and is replaced if it dies.
package ssh
