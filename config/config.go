package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alexis-project/alexis/action/ssh"
)

// Defaults.
const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultDataDir         = "data"
	DefaultWorkers         = 16
	DefaultBodyLimit       = 1 << 20
	MaxBodyLimit           = 64 << 20
	DefaultShutdownTimeout = 30 * time.Second
	DefaultReloadDebounce  = 500 * time.Millisecond
	DefaultIntakePriority  = time.Second
	MaxIntakePriority      = time.Minute
)

// Config is the server's configuration, as the YAML file states it, with
// defaults filled in and secrets read (see Load).
type Config struct {
	// Listen is the address to serve on, host:port.
	Listen string `yaml:"listen"`
	// TLS, when Cert and Key are set, serves HTTPS.
	TLS TLS `yaml:"tls"`
	// Auth says who may call the API.
	Auth Auth `yaml:"auth"`
	// Rules is the directory of rule files.
	Rules string `yaml:"rules"`
	// ReloadDebounce is how long the rules directory must be quiet before a
	// change reloads the rules (default 500ms).
	ReloadDebounce time.Duration `yaml:"reload_debounce"`
	// DataDir holds the store: alexis.db (SQLite, with its -wal and -shm
	// files) and alexis.db-intake/, the intake log in front of it.
	DataDir string `yaml:"data_dir"`
	// DryRun plans and records every task without touching any host.
	DryRun bool `yaml:"dry_run"`
	// Workers is how many events are handled at once (default 16). Handling
	// mostly waits (SSH commands, API calls), and each event's finished
	// writes share group commits with the others': with 4, a burst of
	// alerts waited about 1 s for its first action (BenchmarkIntakeOpsGenie).
	Workers int `yaml:"workers"`
	// IntakePriority lets taking alerts in come first during a burst:
	// while eight or more requests wait for the store to write their
	// events at once (and for 5 ms after), workers start nothing until the
	// oldest waiting event was received this long ago, so the CPU goes to
	// answering the senders; an event never waits longer than this for
	// that reason, and outside bursts workers start events at once. Steady
	// traffic below saturation rarely makes a burst. Default 1s; 0s turns
	// it off (workers then share the CPU with the intake from the first
	// alert of a burst).
	IntakePriority *time.Duration `yaml:"intake_priority"`
	// BodyLimit caps a request body, in bytes or with a unit: 512KiB,
	// 1MiB, 2MB (default 1MiB, at most 64MiB).
	BodyLimit ByteSize `yaml:"body_limit"`
	// ShutdownTimeout is how long running actions may take to finish after
	// a shutdown begins; then they are cancelled (default 30s).
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// Log sets the log format and level.
	Log Log `yaml:"log"`
	// Queues are the default OpsGenie teams an alert is routed to after a
	// remediation (Remediation) or when nothing could be done
	// (Investigation).
	Queues Queues `yaml:"queues"`
	// OpsGenie and Dynatrace are where outcomes are written back.
	OpsGenie  OpsGenie  `yaml:"opsgenie"`
	Dynatrace Dynatrace `yaml:"dynatrace"`
	// SSH holds the defaults of the ssh action.
	SSH SSH `yaml:"ssh"`
}

// TLS names the certificate and key files.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Enabled reports whether TLS is configured.
func (t TLS) Enabled() bool { return t.Cert != "" }

// Auth lists the clients allowed to call /v1 and how they present their
// token.
type Auth struct {
	// Tokens are the named client tokens. With none, the server only
	// accepts to listen on a loopback address.
	Tokens []Token `yaml:"tokens"`
	// Header is an extra header that may carry the token as its whole
	// value (for example X-Alexis-Token), besides "Authorization: Bearer".
	Header string `yaml:"header"`
	// QueryToken accepts the token in a ?token= query parameter, for
	// senders that cannot set headers (default true). It is stripped from
	// every logged URL.
	QueryToken *bool `yaml:"query_token"`
	// OpenHealth serves /healthz and /readyz without a token (default true).
	OpenHealth *bool `yaml:"open_health"`
	// OpenMetrics serves /metrics without a token (default false).
	OpenMetrics bool `yaml:"open_metrics"`
}

// Token is one client's token, read from an environment variable or a
// file; never written in the configuration itself.
type Token struct {
	Name   string `yaml:"name"`
	Secret `yaml:",inline"`
}

// Log sets the log output.
type Log struct {
	// Format is text (logfmt-style key=value, the default) or json.
	Format string `yaml:"format"`
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
}

// Queues are OpsGenie team names.
type Queues struct {
	Remediation   string `yaml:"remediation"`
	Investigation string `yaml:"investigation"`
}

// OpsGenie is the OpsGenie API the outcome is written back to.
type OpsGenie struct {
	// URL is the API base (default https://api.opsgenie.com; EU accounts
	// use https://api.eu.opsgenie.com). Empty APIKey disables write-back.
	URL    string `yaml:"url"`
	APIKey Secret `yaml:"api_key"`
	// User is the name Alexis writes as; alerts changed by this user are
	// Alexis' own echoes and are ignored (default "alexis").
	User string `yaml:"user"`
}

// Dynatrace is the Dynatrace environment problems are commented on.
type Dynatrace struct {
	// URL is the environment's API base, e.g.
	// https://abc12345.live.dynatrace.com. Empty Token disables write-back.
	URL   string `yaml:"url"`
	Token Secret `yaml:"token"`
}

// SSH holds the defaults of the ssh action; see ssh.Config for each.
type SSH struct {
	User                  string        `yaml:"user"`
	Port                  int           `yaml:"port"`
	KeyFile               string        `yaml:"key_file"`
	PassphraseEnv         string        `yaml:"passphrase_env"`
	PassphraseFile        string        `yaml:"passphrase_file"`
	KnownHostsFile        string        `yaml:"known_hosts_file"`
	InsecureIgnoreHostKey bool          `yaml:"insecure_ignore_host_key"`
	ConnectTimeout        time.Duration `yaml:"connect_timeout"`
	CommandTimeout        time.Duration `yaml:"command_timeout"`
	RemoteTimeout         bool          `yaml:"remote_timeout"`
	JumpHost              string        `yaml:"jump_host"`
	MaxOutput             ByteSize      `yaml:"max_output"`
}

// Config returns the ssh action's configuration.
func (s SSH) Config() ssh.Config {
	return ssh.Config{User: s.User, Port: s.Port, KeyFile: s.KeyFile, PassphraseEnv: s.PassphraseEnv,
		PassphraseFile: s.PassphraseFile, KnownHostsFile: s.KnownHostsFile,
		InsecureIgnoreHostKey: s.InsecureIgnoreHostKey, ConnectTimeout: s.ConnectTimeout,
		CommandTimeout: s.CommandTimeout, RemoteTimeout: s.RemoteTimeout, JumpHost: s.JumpHost,
		MaxOutput: int(s.MaxOutput)}
}

// DBPath is the SQLite file in DataDir.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, "alexis.db") }

// TokenValues maps each client name to its token.
func (c *Config) TokenValues() map[string]string {
	m := make(map[string]string, len(c.Auth.Tokens))
	for _, t := range c.Auth.Tokens {
		m[t.Name] = t.Value()
	}
	return m
}

// applyDefaults fills every unset field.
func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.IntakePriority == nil {
		d := DefaultIntakePriority
		c.IntakePriority = &d
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.ReloadDebounce == 0 {
		c.ReloadDebounce = DefaultReloadDebounce
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	t := true
	if c.Auth.QueryToken == nil {
		c.Auth.QueryToken = &t
	}
	if c.Auth.OpenHealth == nil {
		c.Auth.OpenHealth = &t
	}
	if c.OpsGenie.User == "" {
		c.OpsGenie.User = "alexis"
	}
}

// Default returns a configuration with every default set and no tokens:
// loopback only, rules from dir.
func Default(rules string) *Config {
	c := &Config{Rules: rules}
	c.applyDefaults()
	return c
}

// problem is one validation failure, located by the key path.
type problem struct {
	path string
	msg  string
}

// validate checks the configuration once defaults are applied.
func (c *Config) validate() []problem {
	var ps []problem
	bad := func(path, format string, args ...any) {
		ps = append(ps, problem{path, fmt.Sprintf(format, args...)})
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		bad("listen", "%q is not host:port", c.Listen)
	} else if port == "" {
		bad("listen", "%q has no port", c.Listen)
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		bad("tls", "set both cert and key, or neither")
	}
	for _, f := range []struct{ path, file string }{{"tls.cert", c.TLS.Cert}, {"tls.key", c.TLS.Key}} {
		if f.file != "" {
			if _, err := os.Stat(f.file); err != nil {
				bad(f.path, "%v", err)
			}
		}
	}
	if c.Rules == "" {
		bad("rules", "the rules directory is required")
	}
	if c.Workers < 1 || c.Workers > 1024 {
		bad("workers", "must be from 1 to 1024, not %d", c.Workers)
	}
	if d := c.IntakePriority; d != nil && (*d < 0 || *d > MaxIntakePriority) {
		bad("intake_priority", "must be from 0s to %s, not %s", MaxIntakePriority, *d)
	}
	if c.BodyLimit < 1024 || c.BodyLimit > MaxBodyLimit {
		bad("body_limit", "must be from 1KiB to 64MiB, not %d bytes", c.BodyLimit)
	}
	if c.ShutdownTimeout < 0 {
		bad("shutdown_timeout", "must not be negative")
	}
	if c.ReloadDebounce < 0 {
		bad("reload_debounce", "must not be negative")
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "must be text or json, not %q", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if h := c.Auth.Header; h != "" && !validHeaderName(h) {
		bad("auth.header", "%q is not a valid header name", h)
	}
	names := map[string]bool{}
	for i, t := range c.Auth.Tokens {
		p := fmt.Sprintf("auth.tokens[%d]", i)
		switch {
		case t.Name == "":
			bad(p+".name", "every token needs a name")
		case names[t.Name]:
			bad(p+".name", "token name %q used twice", t.Name)
		}
		names[t.Name] = true
		if t.Env == "" && t.File == "" && !t.IsSet() {
			bad(p, "set env or file")
		}
	}
	if len(c.Auth.Tokens) == 0 && err == nil && !loopback(host) {
		bad("auth.tokens", "no tokens configured: refusing to listen on %q, which is not a loopback address, without authentication", c.Listen)
	}
	return ps
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validHeaderName(h string) bool {
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

// Validate checks a configuration built or changed in Go (Load and Parse
// already check what the file says): the same rules, one line per
// problem, naming the key. Call it after overriding fields, as
// `alexis serve --listen` does; server.New calls it too.
func (c *Config) Validate() error {
	var errs []error
	for _, p := range c.validate() {
		errs = append(errs, fmt.Errorf("%s: %s", p.path, p.msg))
	}
	return errors.Join(errs...)
}
