package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/server"
)

const testToken = "s3cret-token-value"

// fakeParse is a small stand-in for package source: it reads the fields
// the tests need and names the field at fault, like the real parsers.
func fakeParse(src alexis.Source, body []byte) ([]*alexis.Event, error) {
	switch src {
	case alexis.SourceOpsGenie:
		var p struct {
			Action string `json:"action"`
			Alert  struct {
				AlertID  string            `json:"alertId"`
				Message  string            `json:"message"`
				Tags     []string          `json:"tags"`
				Details  map[string]string `json:"details"`
				Username string            `json:"username"`
			} `json:"alert"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, alexis.Errorf(alexis.EINVALID, "opsgenie: %v", err)
		}
		if p.Alert.AlertID == "" {
			return nil, alexis.Errorf(alexis.EINVALID, "opsgenie: alert.alertId is missing")
		}
		ev := &alexis.Event{Source: src, ID: p.Alert.AlertID, Action: p.Action, Message: p.Alert.Message,
			Tags: p.Alert.Tags, Details: p.Alert.Details, Raw: body}
		if p.Alert.Username == "alexis" {
			ev.Ignore = "our own change"
		}
		return []*alexis.Event{ev}, nil
	case alexis.SourceAlertmanager:
		var p struct {
			Alerts []struct {
				Fingerprint string            `json:"fingerprint"`
				Status      string            `json:"status"`
				Labels      map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, alexis.Errorf(alexis.EINVALID, "alertmanager: %v", err)
		}
		var out []*alexis.Event
		for i, a := range p.Alerts {
			if a.Fingerprint == "" {
				return nil, alexis.Errorf(alexis.EINVALID, "alertmanager: alerts[%d].fingerprint is missing", i)
			}
			out = append(out, &alexis.Event{Source: src, ID: a.Fingerprint, Action: a.Status, Details: a.Labels, Message: a.Labels["alertname"]})
		}
		return out, nil
	default:
		var ev alexis.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			return nil, alexis.Errorf(alexis.EINVALID, "%s: %v", src, err)
		}
		if ev.ID == "" {
			return nil, alexis.Errorf(alexis.EINVALID, "id is missing")
		}
		ev.Source = src
		return []*alexis.Event{&ev}, nil
	}
}

// tagCond matches events carrying a tag; the scope is the event itself.
type tagCond string

func (c tagCond) Eval(s alexis.Scope) (bool, error) { return s.(*alexis.Event).HasTag(string(c)), nil }

// detailTarget selects the target named by a detail of the event.
type detailTarget string

func (d detailTarget) Select(s alexis.Scope) ([]string, error) {
	v := s.(*alexis.Event).Details[string(d)]
	if v == "" {
		return nil, nil
	}
	return []string{v}, nil
}

// recorder is a real action (user Go code) that records every run.
type recorder struct {
	mu    sync.Mutex
	runs  []string
	delay time.Duration
	block chan struct{} // when set, runs wait for it (or ctx)
	start chan string   // when set, receives each run as it starts
}

func (r *recorder) Render(ev *alexis.Event, target string) (string, error) {
	return "restart duplicator on " + target, nil
}

func (r *recorder) Run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	started := time.Now()
	if r.start != nil {
		r.start <- inv.Event.Key()
	}
	r.mu.Lock()
	r.runs = append(r.runs, inv.Event.Key()+" "+inv.Target)
	r.mu.Unlock()
	wait := r.block
	if r.delay > 0 {
		t := time.NewTimer(r.delay)
		defer t.Stop()
		c := make(chan struct{})
		go func() { <-t.C; close(c) }()
		wait = c
	}
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Started: started, Duration: time.Since(started), Error: ctx.Err().Error()}
		}
	}
	return alexis.Result{Status: alexis.StatusSuccess, Started: started, Duration: time.Since(started), Output: "restarted"}
}

func (r *recorder) Runs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.runs...)
}

// ruleSet builds n rules; rule i matches the tag "rule-i", and "gc"
// matches the duplicator fixture (tag app:duplicator).
func ruleSet(act alexis.Action, n int, hash string) *alexis.RuleSet {
	rs := &alexis.RuleSet{Prepare: func(ev *alexis.Event) alexis.Scope { return ev }, Hash: hash, Files: []string{"rules/gc.yaml"}}
	for i := range n {
		rs.Rules = append(rs.Rules, &alexis.Rule{Name: fmt.Sprintf("other-%d", i), Enabled: true, When: tagCond(fmt.Sprintf("rule-%d", i)),
			Sources: []alexis.Source{alexis.SourceOpsGenie}, Tasks: []alexis.Task{{Action: "recorder", Run: act, Reason: "other"}}})
	}
	rs.Rules = append(rs.Rules, &alexis.Rule{Name: "gc", Enabled: true, File: "rules/gc.yaml", Line: 3,
		When: tagCond("app:duplicator"), WhenText: `"app:duplicator" in tags`, Targets: detailTarget("host_regex"),
		Tasks: []alexis.Task{{Action: "recorder", Run: act, Reason: "restart-gc"}}})
	return rs
}

type testServer struct {
	*server.Server
	url    string
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig returns a config with one token, a data dir in t.TempDir(),
// and the X-Alexis-Token header.
func testConfig(t testing.TB) *config.Config {
	cfg := config.Default(t.TempDir())
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.ReloadDebounce = 50 * time.Millisecond
	cfg.Auth.Header = "X-Alexis-Token"
	cfg.Auth.Tokens = []config.Token{{Name: "opsgenie", Secret: config.Literal(testToken)}, {Name: "other", Secret: config.Literal("another-token")}}
	return cfg
}

// serveOn serves srv on a loopback port until the test ends and returns
// the port's address. Register srv.Close with t.Cleanup first: cleanups
// run last-registered first, so serving stops before the store closes.
func serveOn(t testing.TB, srv *server.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// start serves a new server on a loopback port until the test ends.
func start(t testing.TB, cfg *config.Config, load server.LoadFunc, opts ...server.Option) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	opts = append([]server.Option{server.WithParser(fakeParse), server.WithLoader(load),
		server.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))}, opts...)
	srv, err := server.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: srv, url: "http://" + ln.Addr().String(), logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// stop shuts the server down and closes its store; it may be called twice.
func (ts *testServer) stop(t testing.TB) {
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	if err := <-ts.done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if err := ts.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func staticLoader(rs *alexis.RuleSet) server.LoadFunc {
	return func(string) (*alexis.RuleSet, error) { return rs, nil }
}

type response struct {
	status int
	body   string
	header http.Header
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decoding %q: %v", r.body, err)
	}
}

// do sends a request; hdr are header name/value pairs.
func do(t testing.TB, method, url string, body []byte, hdr ...string) response {
	t.Helper()
	r, err := request(method, url, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// request is do for any goroutine: it returns the error.
func request(method, url string, body []byte, hdr ...string) (response, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b), resp.Header}, nil
}

func post(t testing.TB, url string, body []byte) response {
	t.Helper()
	return do(t, "POST", url, body, "Content-Type", "application/json", "Authorization", "Bearer "+testToken)
}

func get(t testing.TB, url string) response {
	t.Helper()
	return do(t, "GET", url, nil, "Authorization", "Bearer "+testToken)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// opsgenie returns the duplicator fixture with another alert ID.
func opsgenie(t testing.TB, id string) []byte {
	b := fixture(t, "opsgenie_create_duplicator_gc.json")
	return bytes.Replace(b, []byte("2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412"), []byte(id), 1)
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func eventStatus(t testing.TB, st server.Store, id int64) (string, int) {
	t.Helper()
	type statuser interface {
		EventStatus(context.Context, int64) (string, int, error)
	}
	s, n, err := st.(statuser).EventStatus(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s, n
}

var errCrash = errors.New("simulated crash")

func contains(s string, subs ...string) error {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return fmt.Errorf("%q not in %s", x, s)
		}
	}
	return nil
}
