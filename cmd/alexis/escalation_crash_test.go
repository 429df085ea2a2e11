package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alexis-project/alexis/internal/fakeopsgenie"
	"github.com/google/go-cmp/cmp"
)

// TestCrashKeepsPendingEscalation kills the server (SIGKILL) while an
// escalate_after escalation is pending: the next start escalates the alert
// when it falls due, once, and a further restart escalates nothing more.
func TestCrashKeepsPendingEscalation(t *testing.T) {
	const (
		key     = "og-crash-key"
		alertID = "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"
	)
	og := fakeopsgenie.New(t, key)
	og.AddAlert(fakeopsgenie.Alert{ID: alertID, TinyID: "5120", Message: "Long garbage-collection time on duplicator (day)", Status: "open"})
	escalations := func() []string { a, _ := og.Alert(alertID); return a.Escalations }

	dir := t.TempDir()
	rules := writeRules(t, dir, "gc.yaml", `rules:
  - name: duplicator-gc
    sources: [opsgenie]
    when: has_tag("syn.duplicator")
    escalate_after: 3s
    on_failure: {escalate: ops-escalation}
    tasks:
      - action: exec
        program: /bin/true
`)
	keyFile := filepath.Join(dir, "og.key")
	writeFile(t, keyFile, key)
	cfg := filepath.Join(dir, "alexis.yaml")
	writeFile(t, cfg, fmt.Sprintf(`listen: 127.0.0.1:0
rules: %s
data_dir: %s
dry_run: false
workers: 1
shutdown_timeout: 2s
opsgenie:
  url: %s
  api_key: {file: %s}
`, rules, filepath.Join(dir, "data"), og.URL, keyFile))

	p := startServe(t, dir, "--config", cfg)
	postGC(t, p.addr)
	// Handled (counted after the write-back, which stored the escalation):
	// kill the server well before the escalation is due.
	waitFor(t, 20*time.Second, func() bool {
		return strings.Contains(get(t, "http://"+p.addr+"/metrics"), `alexis_events_handled_total{source="opsgenie"} 1`)
	})
	killed := time.Now()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd.Wait()
	if e := escalations(); len(e) != 0 {
		t.Fatalf("escalated before it was due: %v", e)
	}

	p2 := startServe(t, dir, "--config", cfg)
	waitFor(t, 20*time.Second, func() bool { return len(escalations()) > 0 })
	if since := time.Since(killed); since < 2*time.Second {
		t.Errorf("escalated %v after the kill, before it was due", since)
	}
	if !strings.Contains(p2.logs(), "escalations restored") {
		t.Errorf("no restore in the log:\n%s", p2.logs())
	}
	time.Sleep(500 * time.Millisecond)
	if code := p2.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM = %d", code)
	}

	p3 := startServe(t, dir, "--config", cfg)
	time.Sleep(500 * time.Millisecond)
	if code := p3.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM = %d", code)
	}
	if strings.Contains(p3.logs(), "escalations restored") {
		t.Errorf("an escalation that ran was restored again:\n%s", p3.logs())
	}
	if d := cmp.Diff([]string{"ops-escalation"}, escalations()); d != "" {
		t.Errorf("escalations, want exactly one (-want +got):\n%s", d)
	}
}
