package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/server"
)

// writeRules writes a rule file that runs a real local program: it
// appends the alert ID to out.
func writeRules(t *testing.T, dir, out string) {
	t.Helper()
	rules := fmt.Sprintf(`rules:
  - name: duplicator-gc
    description: Record the alert, as a restart would.
    sources: [opsgenie]
    when: has_tag("app:duplicator")
    tasks:
      - action: exec
        reason: restart-gc
        program: /bin/sh
        args: ["-c", "printf '%%s\\n' \"$1\" >> %s; echo restarted", "sh", "{{ .ID }}"]
`, out)
	if err := os.WriteFile(filepath.Join(dir, "gc.yaml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The real parser, rule loader and exec action, wired by the defaults.
func TestEndToEndWithRealParts(t *testing.T) {
	cfg := testConfig(t)
	out := filepath.Join(t.TempDir(), "runs.txt")
	writeRules(t, cfg.Rules, out)
	logs := &syncBuffer{}
	srv, err := server.New(cfg, server.WithLogger(server.NewLogger(logs, cfg.Log)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	url := "http://" + serveOn(t, srv)

	body := fixture(t, "opsgenie_create_duplicator_gc.json")
	r := post(t, url+"/v1/opsgenie", body)
	if r.status != 202 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	post(t, url+"/v1/opsgenie", body) // a duplicate delivery
	eventually(t, "event done", func() bool { s, _ := eventStatus(t, srv.Store(), 1); return s == "done" })
	got, _ := os.ReadFile(out)
	if string(got) != "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412\n" {
		t.Errorf("the program ran with: %q", got)
	}
	xs, err := srv.Store().Executions(context.Background(), alexis.ExecutionFilter{Rule: "duplicator-gc"})
	if err != nil || len(xs) != 1 || xs[0].Status != alexis.StatusSuccess || xs[0].Action != "exec" || !strings.Contains(xs[0].Output, "restarted") {
		t.Errorf("history: %+v %v", xs, err)
	}
	// Our own echo, recognized by the real OpsGenie parser, is ignored.
	echo := bytes.Replace(body, []byte(`"username": "System"`), []byte(`"username": "alexis"`), 1)
	echo = bytes.Replace(echo, []byte(`"action": "Create"`), []byte(`"action": "AddNote"`), 1)
	if r := post(t, url+"/v1/opsgenie", echo); r.status != 200 || !strings.Contains(r.body, `"status":"ignored"`) {
		t.Errorf("echo: %d %s", r.status, r.body)
	}
	// A real parser error names the field.
	if r := post(t, url+"/v1/opsgenie", []byte(`{"action": "Create", "alert": {"alertId": 42}}`)); r.status != 400 || !strings.Contains(r.body, "alert.alertId") {
		t.Errorf("bad field: %d %s", r.status, r.body)
	}
}

func TestRunConfigReloadsOnSIGHUP(t *testing.T) {
	cfg := testConfig(t)
	out := filepath.Join(t.TempDir(), "runs.txt")
	writeRules(t, cfg.Rules, out)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	ln.Close()
	cfg.ReloadDebounce = time.Hour // only SIGHUP reloads
	cfg.DryRun = true              // no ssh credentials to check
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.RunConfig(ctx, cfg, server.NewLogger(logs, cfg.Log)) }()
	url := "http://" + cfg.Listen
	eventually(t, "serving", func() bool {
		select {
		case err := <-done:
			t.Fatalf("RunConfig: %v", err)
		default:
		}
		return strings.Contains(logs.String(), "msg=serving")
	})
	if err := os.WriteFile(filepath.Join(cfg.Rules, "gc.yaml"), []byte("rules: [{name: x, when: nonsense(}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reload error", func() bool { return strings.Contains(logs.String(), "rule reload failed") })
	var rules server.Rules
	get(t, url+"/v1/rules").json(t, &rules)
	if len(rules.Rules) != 1 || rules.Rules[0].Name != "duplicator-gc" || !strings.Contains(rules.LastReloadError, "gc.yaml:1:") {
		t.Errorf("after a bad SIGHUP reload: %+v", rules)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRunConfigChecksCredentialsUnlessDryRun(t *testing.T) {
	// Only the action types the rules use are checked (builtin.CheckUsed):
	// this rule uses ssh.
	cfg := testConfig(t)
	rules := `rules:
  - name: restart
    when: has_tag("app:duplicator")
    targets: [web-01]
    tasks:
      - action: ssh
        command: sudo systemctl restart duplicator
`
	if err := os.WriteFile(filepath.Join(cfg.Rules, "ssh.yaml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.SSH.KeyFile = filepath.Join(t.TempDir(), "missing_key")
	// Should the check not happen, RunConfig would serve: stop it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := server.RunConfig(ctx, cfg, server.NewLogger(&syncBuffer{}, cfg.Log))
	if err == nil || !strings.Contains(err.Error(), "action ssh") {
		t.Errorf("RunConfig with a missing ssh key: %v", err)
	}
}

// The shipped example configuration serves the shipped example rules.
func TestExampleConfigServes(t *testing.T) {
	cfg, err := config.Load("../examples/alexis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Rules = "../examples/rules"
	cfg.DataDir = t.TempDir()
	srv, err := server.New(cfg, server.WithLogger(server.NewLogger(&syncBuffer{}, cfg.Log)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if len(srv.RuleSet().Rules) == 0 {
		t.Error("no rules loaded from examples/rules")
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	if r := do(t, "GET", ts.URL+"/readyz", nil); r.status != 200 {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
}
