// Package payloadtest holds the test helpers the webhook parsers' tests
// share: reading testdata files, seeding fuzz tests with them, and
// checking that an error is the exact *alexis.Error expected.
package payloadtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alexis-project/alexis"
)

// Read returns testdata/name.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Seeds adds every testdata/*.json file and the extra bodies to f's corpus.
func Seeds(f *testing.F, extra ...string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files in testdata: %v", err)
	}
	for _, p := range files {
		f.Add(Read(f, filepath.Base(p)))
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// CheckError fails t unless err is an *alexis.Error with the given code
// and exactly the message want.
func CheckError(t testing.TB, err error, code, want string) {
	t.Helper()
	var e *alexis.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %q is not *alexis.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("code %q, want %q", e.Code, code)
	}
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
}

// Coded fails t unless err is an *alexis.Error with a code and a message:
// the only kind of error a parser may return.
func Coded(t testing.TB, err error) {
	t.Helper()
	var e *alexis.Error
	if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
		t.Fatalf("error %T %q is not a coded *alexis.Error", err, err)
	}
}

// Same fails t unless a parser and its oracle agree: both errors nil and
// equal results (go-cmp), or errors of the same code and message.
func Same(t testing.TB, got any, gotErr error, want any, wantErr error) {
	t.Helper()
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("error %v, oracle %v", gotErr, wantErr)
	}
	if wantErr != nil {
		var g, w *alexis.Error
		if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) {
			t.Fatalf("errors %T %q and %T %q", gotErr, gotErr, wantErr, wantErr)
		}
		if g.Code != w.Code || g.Message != w.Message {
			t.Fatalf("error\n got %s: %s\nwant %s: %s", g.Code, g.Message, w.Code, w.Message)
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("result differs from the oracle's (-oracle +new):\n%s", diff)
	}
}

// NoAlias parses a copy of body, overwrites that copy, and checks that the
// result still equals the parse of an untouched copy: nothing parse returns
// may share memory with the body (strings are copies, not views), except
// what clear removes from both results before they are compared (an
// Event's Raw is the body by contract).
func NoAlias[T any](t testing.TB, body []byte, parse func([]byte) (T, error), clear func(T)) {
	t.Helper()
	want, wantErr := parse(bytes.Clone(body))
	buf := bytes.Clone(body)
	got, gotErr := parse(buf)
	for i := range buf {
		buf[i] = '#'
	}
	if wantErr == nil && gotErr == nil {
		clear(want)
		clear(got)
	}
	Same(t, got, gotErr, want, wantErr)
}

// Bench measures parse on body against a baseline in the same loop:
// each iteration decodes body with encoding/json into map[string]any, then
// parses it, timing both, so machine load hits both alike. It reports
// parse-ns/op, unmarshal-ns/op and their ratio, and parse-allocs/op and
// parse-B/op, the heap allocations of parse alone (allocs/op and B/op
// count both).
func Bench(b *testing.B, body []byte, parse func([]byte) error) {
	var base, work time.Duration
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	allocs, bytes := parseAllocs(b, body, parse)
	for b.Loop() {
		t0 := time.Now()
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := parse(body); err != nil {
			b.Fatal(err)
		}
		work += time.Since(t1)
		base += t1.Sub(t0)
	}
	b.ReportMetric(float64(work.Nanoseconds())/float64(b.N), "parse-ns/op")
	b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "unmarshal-ns/op")
	b.ReportMetric(float64(work)/float64(base), "ratio")
	b.ReportMetric(allocs, "parse-allocs/op")
	b.ReportMetric(bytes, "parse-B/op")
}

// parseAllocs returns the heap allocations and bytes of one parse of
// body, averaged over a few runs after a warm-up.
func parseAllocs(b *testing.B, body []byte, parse func([]byte) error) (allocs, bytes float64) {
	const runs = 20
	if err := parse(body); err != nil {
		b.Fatal(err)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range runs {
		_ = parse(body)
	}
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / runs, float64(m1.TotalAlloc-m0.TotalAlloc) / runs
}
