package loadgen_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/alexis-project/alexis/internal/loadgen"
)

// bodyServer answers 202 to requests that carry the header X-Test: yes,
// and 500 to the others and to the body fail; seen returns how many times
// each body arrived.
func bodyServer(t *testing.T, fail string) (srv *httptest.Server, seen func() map[string]int) {
	var mu sync.Mutex
	count := map[string]int{}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		count[string(b)]++
		mu.Unlock()
		if string(b) == fail || r.Header.Get("X-Test") != "yes" {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(202)
	}))
	t.Cleanup(srv.Close)
	return srv, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(count)
	}
}

func TestRun(t *testing.T) {
	srv, seen := bodyServer(t, "13")
	res, err := loadgen.Run(context.Background(), loadgen.Config{URL: srv.URL, Clients: 4, Requests: 100,
		Header: http.Header{"X-Test": {"yes"}}, Body: func(i int) []byte { return []byte(strconv.Itoa(i)) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 100 || res.Errors != 1 || len(seen()) != 100 || res.FirstError != "request 13: status 500: " {
		t.Errorf("sent %d, errors %d (%s), distinct bodies %d", res.Sent, res.Errors, res.FirstError, len(seen()))
	}
	if res.PerSecond() <= 0 || res.Percentile(0.5) <= 0 || res.Percentile(0.5) > res.Percentile(0.99) {
		t.Errorf("rate %v, p50 %v, p99 %v", res.PerSecond(), res.Percentile(0.5), res.Percentile(0.99))
	}
	if _, err := loadgen.Run(context.Background(), loadgen.Config{URL: srv.URL}); err == nil {
		t.Error("no error without Requests and Body")
	}
}

func TestMerge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(202)
	}))
	defer srv.Close()
	run := func(url string, n int) *loadgen.Result {
		res, err := loadgen.Run(context.Background(), loadgen.Config{URL: url, Clients: 2, Requests: n,
			Body: func(i int) []byte { return []byte("x") }})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(srv.URL, 10), run(srv.URL+"?fail=1", 5)
	m := loadgen.Merge(a, b)
	if m.Sent != 15 || m.Errors != 5 || m.Elapsed != a.Elapsed+b.Elapsed || m.FirstError != b.FirstError || m.FirstError == "" {
		t.Errorf("merged %+v from %+v and %+v", m, a, b)
	}
	if want := 10 / (a.Elapsed + b.Elapsed).Seconds(); m.PerSecond() != want {
		t.Errorf("rate %v, want %v", m.PerSecond(), want)
	}
	if m.Percentile(1) != max(a.Percentile(1), b.Percentile(1)) || m.Percentile(0) != min(a.Percentile(0), b.Percentile(0)) {
		t.Errorf("merged latencies: min %v max %v", m.Percentile(0), m.Percentile(1))
	}
}
