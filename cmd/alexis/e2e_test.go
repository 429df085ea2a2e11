package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// alexisBinary builds cmd/alexis once per test run.
func alexisBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "alexis-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "alexis")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running `alexis serve`.
type proc struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

var servingRE = regexp.MustCompile(`msg=serving .*\baddr=(\S+)`)

// startServe starts the binary with args, from dir, and waits until it
// logs the address it serves on.
func startServe(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(alexisBinary(t), append([]string{"serve"}, args...)...), done: make(chan struct{})}
	p.cmd.Dir = dir
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if m := servingRE.FindStringSubmatch(line); m != nil {
				addrc <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		_ = p.cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", p.logs())
		}
	})
	select {
	case p.addr = <-addrc:
	case <-p.done:
		t.Fatalf("alexis serve exited before serving:\n%s", p.logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("alexis serve did not start:\n%s", p.logs())
	}
	return p
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// stop sends sig and waits for the exit; it returns the exit code.
func (p *proc) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("alexis serve did not stop on %v", sig)
	}
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil && !strings.Contains(err.Error(), "Wait was already called") {
		t.Fatal(err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// readmeCommands returns the shell commands of the README's quick start
// that talk to the server: every `curl` command, continuation lines joined.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "curl ") {
			continue
		}
		for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, "\\") + " " + strings.TrimSpace(lines[i])
		}
		cmds = append(cmds, l)
	}
	return cmds
}

// TestReadmeQuickStart runs the README's front door: the server on the
// bundled example configuration, then the README's curl commands.
func TestReadmeQuickStart(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	cmds := readmeCommands(t)
	if len(cmds) < 2 {
		t.Fatalf("README quick start has %d curl commands, want at least 2 (send the alert, see the plan/outcome)", len(cmds))
	}
	data := t.TempDir()
	// The README's serve command, with a free port and a private data dir.
	p := startServe(t, "../..", "--config", "examples/alexis.yaml", "--listen", "127.0.0.1:0", "--data-dir", data)
	var outputs []string
	for _, c := range cmds {
		c = strings.ReplaceAll(c, "127.0.0.1:8080", p.addr)
		cmd := exec.Command("sh", "-c", c)
		cmd.Dir = "../.."
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c, err, out)
		}
		outputs = append(outputs, string(out))
		time.Sleep(300 * time.Millisecond)
	}
	// The first command sends the bundled OpsGenie alert: accepted.
	var acc struct {
		Events []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(outputs[0]), &acc); err != nil || len(acc.Events) != 1 || acc.Events[0].ID == 0 {
		t.Fatalf("first README command: want an accepted event, got %q (%v)", outputs[0], err)
	}
	all := strings.Join(outputs, "\n")
	for _, want := range []string{"duplicator-gc-day", "wayvsymdup01.dev.example.com", "sudo systemctl restart duplicator"} {
		if !strings.Contains(all, want) {
			t.Errorf("README commands' output lacks %q:\n%s", want, all)
		}
	}
	// The dry run was recorded in the history.
	waitFor(t, 20*time.Second, func() bool {
		body := get(t, "http://"+p.addr+"/v1/executions?rule=duplicator-gc-day")
		return strings.Contains(body, `"dry-run"`)
	})
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	if !strings.Contains(p.logs(), "stopped") {
		t.Errorf("no clean shutdown in the log")
	}
}

// TestCrashResumesExactlyOnce kills the server (SIGKILL) in the middle of
// handling an accepted alert and starts it again: the task that had run is
// not run again, and the task that had not run yet runs once.
func TestCrashResumesExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "mark")
	rules := writeRules(t, dir, "crash.yaml", fmt.Sprintf(`rules:
  - name: two-steps
    sources: [opsgenie]
    when: has_tag("syn.duplicator")
    tasks:
      - action: exec
        reason: first
        program: /bin/sh
        args: ["-c", "echo first >> %[1]s"]
        delay_after: 4s
      - action: exec
        reason: second
        program: /bin/sh
        args: ["-c", "echo second >> %[1]s"]
`, mark))
	// Outside dry-run the server checks the credentials of the action
	// types the rules use; these use exec only, so no SSH key is needed.
	cfg := filepath.Join(dir, "alexis.yaml")
	writeFile(t, cfg, fmt.Sprintf(`listen: 127.0.0.1:0
rules: %s
data_dir: %s
dry_run: false
workers: 1
shutdown_timeout: 2s
`, rules, filepath.Join(dir, "data")))

	p := startServe(t, dir, "--config", cfg)
	postGC(t, p.addr)
	// The first task ran; the second waits for delay_after. Kill now.
	waitFor(t, 20*time.Second, func() bool { b, _ := os.ReadFile(mark); return string(b) == "first\n" })
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd.Wait()

	// Start again: the event is resumed, the second task runs, the first does not run again.
	p2 := startServe(t, dir, "--config", cfg)
	waitFor(t, 30*time.Second, func() bool { b, _ := os.ReadFile(mark); return strings.Contains(string(b), "second") })
	time.Sleep(500 * time.Millisecond)
	if b, _ := os.ReadFile(mark); string(b) != "first\nsecond\n" {
		t.Fatalf("mark = %q, want each task exactly once", b)
	}
	// Delivering the same alert again (senders deliver at least once) runs nothing.
	body, err := os.ReadFile(gcPayload)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+p2.addr+"/v1/opsgenie", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	dup, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || !strings.Contains(string(dup), `"duplicate":true`) {
		t.Fatalf("second delivery = %d %s, want 2xx duplicate", resp.StatusCode, dup)
	}
	if code := p2.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code after SIGTERM = %d", code)
	}
	if b, _ := os.ReadFile(mark); string(b) != "first\nsecond\n" {
		t.Fatalf("mark after duplicate delivery = %q", b)
	}

	// The history answers the report: two runs of the rule, both succeeded.
	code, out, errs := runCmd(t, "report", "--data-dir", filepath.Join(dir, "data"))
	if code != exitOK {
		t.Fatalf("report: code %d: %s", code, errs)
	}
	row := regexp.MustCompile(`(?m)^two-steps\s+exec\s+-\s+2\s+2\s+0\s+0\s+100%\s`)
	if !row.MatchString(out) {
		t.Errorf("report lacks a row of 2 runs, 2 OK, 0 failed, 0 other, 100%%:\n%s", out)
	}
	code, out, _ = runCmd(t, "report", "--data-dir", filepath.Join(dir, "data"), "--json")
	var stats []struct {
		Rule      string `json:"rule"`
		Runs      int    `json:"runs"`
		Successes int    `json:"successes"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &stats) != nil || len(stats) != 1 || stats[0].Runs != 2 || stats[0].Successes != 2 {
		t.Errorf("report --json = %s", out)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// postGC posts the duplicator GC alert to the server at addr and expects
// 202.
func postGC(t *testing.T, addr string) {
	t.Helper()
	body, err := os.ReadFile(gcPayload)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+addr+"/v1/opsgenie", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /v1/opsgenie = %d, want 202", resp.StatusCode)
	}
}
