package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
)

// TestCrashUnderLoadLosesNothing kills the server (SIGKILL) while 16
// clients send it distinct alerts as fast as it answers, so that the kill
// lands among group commits in flight, and starts it again on the same data
// directory. Every alert answered 2xx before the kill is still there: a
// repeated delivery gets the same ID and is a duplicate, and its task ran
// exactly once (one history row, dry-run or recorded as interrupted).
func TestCrashUnderLoadLosesNothing(t *testing.T) {
	dir := t.TempDir()
	rules := writeRules(t, dir, "load.yaml", `rules:
  - name: every-gc
    sources: [opsgenie]
    when: has_tag("syn.duplicator")
    targets_from: details.host_regex
    tasks:
      - action: ssh
        reason: restart
        command: sudo systemctl restart duplicator
`)
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "alexis.yaml")
	writeFile(t, cfg, fmt.Sprintf("listen: 127.0.0.1:0\nrules: %s\ndata_dir: %s\ndry_run: true\nworkers: 4\n", rules, data))
	base, err := os.ReadFile(gcPayload)
	if err != nil {
		t.Fatal(err)
	}
	const alertID = "2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"
	if !bytes.Contains(base, []byte(alertID)) {
		t.Fatalf("%s lacks the alert ID %s", gcPayload, alertID)
	}
	body := func(n int64) []byte {
		return bytes.Replace(base, []byte(alertID), fmt.Appendf(nil, "load-%06d", n), 1)
	}
	idRE := regexp.MustCompile(`^\{"id":(\d+),`)

	p := startServe(t, dir, "--config", cfg)
	const clients, killAfter = 16, 400
	var (
		next  atomic.Int64
		mu    sync.Mutex
		acked = map[int64]string{} // alert number: the ID answered
		kill  = make(chan struct{})
		once  sync.Once
		wg    sync.WaitGroup
	)
	client := &http.Client{Timeout: 30 * time.Second}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				resp, err := client.Post("http://"+p.addr+"/v1/opsgenie", "application/json", bytes.NewReader(body(n)))
				if err != nil {
					return // the server is gone
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return // cut off mid-answer: not acknowledged
				}
				if resp.StatusCode != http.StatusAccepted {
					t.Errorf("alert %d: %d %s", n, resp.StatusCode, b)
					return
				}
				m := idRE.FindSubmatch(b)
				if m == nil {
					t.Errorf("alert %d: answer without an ID: %s", n, b)
					return
				}
				mu.Lock()
				acked[n] = string(m[1])
				if len(acked) >= killAfter {
					once.Do(func() { close(kill) })
				}
				mu.Unlock()
			}
		}()
	}
	var slow bool
	select {
	case <-kill:
	case <-time.After(60 * time.Second):
		slow = true
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd.Wait()
	wg.Wait() // the clients end with the server: none reports after the test
	if slow {
		t.Fatalf("fewer than %d alerts acknowledged in 60 s", killAfter)
	}
	if t.Failed() {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	sent := next.Load()
	t.Logf("%d alerts acknowledged before the kill, %d sent", len(acked), sent)

	// Start again; the unfinished alerts resume. Every acknowledged alert
	// delivered again is a duplicate with the ID it was given.
	p2 := startServe(t, dir, "--config", cfg)
	for n, id := range acked {
		resp, err := client.Post("http://"+p2.addr+"/v1/opsgenie", "application/json", bytes.NewReader(body(n)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 || !strings.Contains(string(b), `"duplicate":true`) || !strings.HasPrefix(string(b), `{"id":`+id+`,`) {
			t.Fatalf("alert %d (ID %s) delivered again after the crash: %d %s, want its ID, a duplicate", n, id, resp.StatusCode, b)
		}
	}
	waitFor(t, 60*time.Second, func() bool {
		return strings.Contains(get(t, "http://"+p2.addr+"/metrics"), "\nalexis_queue_depth 0\n")
	})
	if code := p2.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d", code)
	}

	// The history: one row per acknowledged alert, for its ID.
	db, err := sqlite.OpenReadOnly(filepath.Join(data, "alexis.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Executions(context.Background(), alexis.ExecutionFilter{Rule: "every-gc", Limit: sqlite.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) >= sqlite.MaxLimit {
		t.Fatalf("%d history rows: more than one query returns", len(rows))
	}
	runs := map[string][]alexis.Execution{}
	for _, r := range rows {
		id := fmt.Sprint(r.EventID)
		runs[id] = append(runs[id], r)
	}
	for n, id := range acked {
		rs := runs[id]
		if len(rs) != 1 {
			j, _ := json.Marshal(rs)
			t.Errorf("alert %d (ID %s): %d history rows, want 1: %s", n, id, len(rs), j)
			continue
		}
		if r := rs[0]; r.Status != alexis.StatusDryRun && !strings.HasPrefix(r.Error, "interrupted") {
			t.Errorf("alert %d (ID %s): status %s (%s), want dry-run, or interrupted by the kill", n, id, r.Status, r.Error)
		}
	}
	// No alert ran twice, acknowledged or not.
	for id, rs := range runs {
		if len(rs) > 1 {
			t.Errorf("event %s ran %d times", id, len(rs))
		}
	}
	if len(runs) > int(sent) {
		t.Errorf("%d events ran, only %d alerts were sent", len(runs), sent)
	}
}
