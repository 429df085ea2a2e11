package httpx

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.in != "" {
			h.Set("Retry-After", tt.in)
		}
		got, ok := RetryAfter(h, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	base, max := 100*time.Millisecond, time.Second
	for attempt := 1; attempt <= 8; attempt++ {
		d := base << (attempt - 1)
		if d > max {
			d = max
		}
		for range 50 {
			got := Backoff(attempt, base, max)
			if got < d/2 || got > d {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v]", attempt, got, d/2, d)
			}
		}
	}
}

func TestRetryable(t *testing.T) {
	for status, want := range map[int]bool{200: false, 202: false, 400: false, 401: false, 404: false,
		422: false, 429: true, 500: true, 501: false, 502: true, 503: true, 504: true} {
		if got := Retryable(status); got != want {
			t.Errorf("Retryable(%d) = %v, want %v", status, got, want)
		}
	}
}

// scripted answers the statuses in order, then 200.
func scripted(t *testing.T, statuses []int, retryAfter string) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if got := r.Header.Get("Authorization"); got != "Token s3cret" {
			t.Errorf("Authorization = %q", got)
		}
		if r.URL.Path != "/api/x" { // the base URL's path is kept (Managed: /e/{env-id})
			t.Errorf("path = %q", r.URL.Path)
		}
		if i < len(statuses) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(statuses[i])
			io.WriteString(w, `{"attempt":`+strconv.Itoa(i+1)+`}`)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	base, err := ParseBase(srv.URL + "/api/")
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Base: base, Auth: "Token s3cret", Retry: Retry{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}, &n
}

func TestDoRetries(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		max          int
		wantStatus   int
		wantAttempts int
	}{
		{"ok at once", nil, 5, 200, 1},
		{"500 then ok", []int{500}, 5, 200, 2},
		{"429 502 503 then ok", []int{429, 502, 503}, 5, 200, 4},
		{"gives up after max attempts", []int{500, 500, 500, 500}, 3, 500, 3},
		{"501 is final", []int{501}, 5, 501, 1},
		{"401 is final", []int{401}, 5, 401, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, n := scripted(t, tt.statuses, "")
			c.Retry.MaxAttempts = tt.max
			resp, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantStatus || resp.Attempts != tt.wantAttempts || int(n.Load()) != tt.wantAttempts {
				t.Errorf("status %d after %d attempts (%d served), want %d after %d", resp.Status, resp.Attempts, n.Load(), tt.wantStatus, tt.wantAttempts)
			}
		})
	}
}

func TestDoHonoursRetryAfter(t *testing.T) {
	c, _ := scripted(t, []int{429}, "1")
	start := time.Now()
	resp, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %v, Retry-After said 1s", el)
	}
	if resp.Status != 200 || resp.Attempts != 2 {
		t.Errorf("got %d after %d attempts", resp.Status, resp.Attempts)
	}
}

func TestDoGivesUpWhenRetryAfterExceedsBudget(t *testing.T) {
	c, n := scripted(t, []int{429, 429}, "120")
	c.Retry.MaxElapsed = 2 * time.Second
	start := time.Now()
	resp, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 429 || n.Load() != 1 {
		t.Errorf("got %d after %d requests, want 429 after 1", resp.Status, n.Load())
	}
	if time.Since(start) > time.Second {
		t.Errorf("waited %v before giving up", time.Since(start))
	}
}

func TestDoTransportErrorAndCancel(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base, _ := ParseBase(srv.URL)
	srv.Close() // connection refused from now on
	c := &Client{Base: base, Auth: "Token s3cret", Retry: Retry{MaxAttempts: 3, BaseDelay: time.Millisecond}}
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"})
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	if got := err.Error(); !contains(got, "giving up after 3 attempts") || contains(got, "s3cret") {
		t.Errorf("error = %q", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Do(ctx, Request{Method: "GET", Path: "/x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
}

func TestParseBase(t *testing.T) {
	for _, bad := range []string{"", "api.opsgenie.com", "ftp://x", "https://u:p@x", "https://x/?a=1", "https:///x"} {
		if _, err := ParseBase(bad); err == nil {
			t.Errorf("ParseBase(%q) accepted", bad)
		}
	}
	u, err := ParseBase("https://dt.example.com/e/env-1/")
	if err != nil || u.String() != "https://dt.example.com/e/env-1" {
		t.Errorf("ParseBase = %v, %v", u, err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestRetriesAreLoggedWithoutTheKey(t *testing.T) {
	c, _ := scripted(t, []int{503, 429}, "")
	var buf strings.Builder
	c.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c.Component = "opsgenie"
	if _, err := c.Do(context.Background(), Request{Method: "POST", Path: "/x", Body: map[string]string{"note": "n"}}); err != nil {
		t.Fatal(err)
	}
	logs := buf.String()
	if strings.Count(logs, "msg=retrying") != 2 || !strings.Contains(logs, "status=503") || !strings.Contains(logs, "component=opsgenie") {
		t.Errorf("logs:\n%s", logs)
	}
	if strings.Contains(logs, "s3cret") {
		t.Errorf("the key is in the logs:\n%s", logs)
	}
}
