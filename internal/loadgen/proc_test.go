package loadgen_test

import (
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/alexis-project/alexis/internal/loadgen"
)

// procEnv makes this test binary a load generator process (TestProc).
const procEnv = "LOADGEN_TEST_PROC"

func TestMain(m *testing.M) {
	loadgen.ServeIf(procEnv)
	os.Exit(m.Run())
}

// TestProc runs two jobs in another process: every body arrives once
// with the header, errors and latencies come back, and so does the
// process's CPU time.
func TestProc(t *testing.T) {
	srv, seen := bodyServer(t, "b7")
	p, err := loadgen.Start(loadgen.Self(procEnv))
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"a", "b"} {
		res, cpu, err := p.Run(loadgen.Config{URL: srv.URL, Clients: 4, Requests: 200,
			Header: http.Header{"X-Test": {"yes"}}, Body: func(i int) []byte { return []byte(prefix + strconv.Itoa(i)) }})
		if err != nil {
			t.Fatal(err)
		}
		wantErr := 0
		if prefix == "b" {
			wantErr = 1
		}
		if res.Sent != 200 || res.Errors != wantErr || res.PerSecond() <= 0 {
			t.Errorf("%s: sent %d, errors %d (%s), rate %v", prefix, res.Sent, res.Errors, res.FirstError, res.PerSecond())
		}
		if wantErr == 1 && res.FirstError != "request 7: status 500: " {
			t.Errorf("%s: first error %q", prefix, res.FirstError)
		}
		if res.Percentile(0) <= 0 || res.Percentile(0.5) > res.Percentile(1) {
			t.Errorf("%s: latencies min %v p50 %v max %v", prefix, res.Percentile(0), res.Percentile(0.5), res.Percentile(1))
		}
		if cpu <= 0 {
			t.Errorf("%s: the process used no CPU time", prefix)
		}
	}
	if _, _, err := p.Run(loadgen.Config{URL: srv.URL}); err == nil {
		t.Error("no error without Requests and Body")
	}
	if err := p.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	got := seen()
	if len(got) != 400 {
		t.Errorf("%d distinct bodies, want 400", len(got))
	}
	for b, n := range got {
		if n != 1 {
			t.Errorf("body %q arrived %d times", b, n)
		}
	}
}

// TestProcFailure: a process that is not a load generator makes Run fail
// instead of hanging.
func TestProcFailure(t *testing.T) {
	p, err := loadgen.Start(exec.Command("true"))
	if err != nil {
		t.Skip("no true(1):", err)
	}
	_, _, err = p.Run(loadgen.Config{URL: "http://127.0.0.1:1", Requests: 1, Body: func(int) []byte { return nil }})
	if err == nil {
		t.Error("Run succeeded against a process that exited")
	}
	p.Close()
}
