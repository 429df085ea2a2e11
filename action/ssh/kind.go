package ssh

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action"
)

// Name is the action type's name in rule files.
const Name = "ssh"

// Kind is the ssh action type. Build it once with New and register it; it
// is safe for concurrent use.
type Kind struct {
	cfg Config
	err error // problem with cfg itself, reported by Check and every run

	jumps jumpPool

	mu     sync.Mutex
	creds  *credentials
	stamps [2]time.Time // modification times of KeyFile and KnownHostsFile when loaded
}

// New returns the ssh action type. It never fails and reads no file, so a
// dry run needs no credentials: a missing key or known_hosts file makes
// the tasks fail when they run, and Check reports it up front.
func New(cfg Config) *Kind {
	cfg = cfg.withDefaults()
	return &Kind{cfg: cfg, err: cfg.validate()}
}

// Check verifies that the configuration is sound and that the private key
// and the known_hosts file load. `alexis serve` calls it at start unless
// in dry-run mode.
func (k *Kind) Check() error {
	if k.err != nil {
		return k.err
	}
	_, err := k.credentials()
	return err
}

// credentials returns the loaded key and host-key policy, reloading them
// when either file changed since the last load.
func (k *Kind) credentials() (*credentials, error) {
	if k.err != nil {
		return nil, k.err
	}
	stamps := [2]time.Time{modTime(k.cfg.KeyFile), modTime(k.cfg.KnownHostsFile)}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.creds != nil && stamps == k.stamps {
		return k.creds, nil
	}
	c, err := k.cfg.load()
	if err != nil {
		return nil, err
	}
	k.creds, k.stamps = c, stamps
	return c, nil
}

func modTime(path string) time.Time {
	if path == "" {
		return time.Time{}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// Spec describes the action type and its parameters.
func (k *Kind) Spec() alexis.ActionSpec {
	return alexis.ActionSpec{
		Name:        Name,
		Summary:     "Run a shell command on each target over SSH; success is exit status 0.",
		NeedsTarget: true,
		Params: []alexis.ParamSpec{
			{Name: "command", Type: "template", Required: true,
				Doc: "Shell command line run by the target's login shell. A template: every {{ }} value is quoted for the shell context it stands in."},
			{Name: "user", Type: "string", Default: "the engine's ssh user", Doc: "Remote user."},
			{Name: "port", Type: "int", Default: "22", Doc: "Remote port when the target names none (\"web-01:2222\" wins)."},
			{Name: "max_output", Type: "int", Default: "65536",
				Doc: "Bytes of output kept (stdout and stderr together); the tail is kept."},
			{Name: "pty", Type: "bool", Default: "true",
				Doc: "Run the command on a pseudo-terminal so a timeout or cancellation really ends it. A pty merges stderr into stdout; \\r\\n is turned back into \\n."},
		},
		Example: "- action: ssh\n  reason: restart-gc\n  timeout: 2m\n  command: sudo systemctl restart {{ .TagValues.service }}\n",
	}
}

// params are the ssh parameters of one task, as decoded from the rule file.
type params struct {
	Command   string `json:"command"`
	User      string `json:"user"`
	Port      int    `json:"port"`
	MaxOutput int    `json:"max_output"`
	PTY       *bool  `json:"pty"`
}

// New decodes and validates one task's parameters. Errors are
// *alexis.ParamError naming the parameter.
func (k *Kind) New(p alexis.Params) (alexis.Action, error) {
	var ps params
	if err := p.Decode(&ps); err != nil {
		return nil, err
	}
	var errs []error
	bad := func(param, format string, args ...any) {
		errs = append(errs, &alexis.ParamError{Param: param, Err: fmt.Errorf(format, args...)})
	}
	a := &Action{kind: k, user: ps.User, port: ps.Port, maxOutput: ps.MaxOutput, pty: true}
	if ps.PTY != nil {
		a.pty = *ps.PTY
	}
	if ps.Command == "" {
		bad("command", "is required")
	} else if t, err := action.ParseTemplate("command", ps.Command, action.Shell); err != nil {
		errs = append(errs, &alexis.ParamError{Param: "command", Err: err})
	} else {
		a.command = t
	}
	if ps.User != "" && !validUser(ps.User) {
		bad("user", "%q is not a user name", ps.User)
	}
	if _, ok := p["port"]; ok && (ps.Port < 1 || ps.Port > 65535) {
		bad("port", "must be from 1 to 65535, not %d", ps.Port)
	}
	if _, ok := p["max_output"]; ok && ps.MaxOutput < 1 {
		bad("max_output", "must be positive, not %d", ps.MaxOutput)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

// validUser accepts POSIX-portable user names (letters, digits, '.', '_',
// '-', not starting with '-'), up to 64 bytes.
func validUser(u string) bool {
	if u == "" || len(u) > 64 || u[0] == '-' {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
