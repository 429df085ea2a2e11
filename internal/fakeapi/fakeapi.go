package fakeapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Call is one request a fake received.
type Call struct {
	Method string
	// Path is the decoded path; RawPath keeps the escaping as sent.
	Path, RawPath string
	Query         url.Values
	Header        http.Header
	Body          json.RawMessage
	// Op is the operation the fake recognised (its own names).
	Op string
	// Identifier is the alert or problem identifier in the path, unescaped.
	Identifier string
	// Status is what the fake answered.
	Status int
}

// Failure is a scripted error answer.
type Failure struct {
	Status     int
	RetryAfter string
}

// Recorder records calls and contract violations and holds scripted
// failures. Embed it in a fake; its methods are safe for concurrent use.
type Recorder struct {
	mu         sync.Mutex
	calls      []Call
	violations []string
	failures   []Failure
}

// Fail makes the next n requests fail with status, with a Retry-After
// header when retryAfter is not empty.
func (r *Recorder) Fail(n, status int, retryAfter string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range n {
		r.failures = append(r.failures, Failure{status, retryAfter})
	}
}

// NextFailure pops the next scripted failure.
func (r *Recorder) NextFailure() (Failure, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failures) == 0 {
		return Failure{}, false
	}
	f := r.failures[0]
	r.failures = r.failures[1:]
	return f, true
}

// Calls returns the requests received so far.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// CallsOf returns the calls of one operation.
func (r *Recorder) CallsOf(op string) []Call {
	var out []Call
	for _, c := range r.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// Problems returns and clears the contract violations seen so far; a test
// that provokes them on purpose calls it so that cleanup does not fail.
func (r *Recorder) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.violations
	r.violations = nil
	return p
}

// Violation records a contract violation and returns its message.
func (r *Recorder) Violation(format string, args ...any) string {
	msg := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.violations = append(r.violations, msg)
	r.mu.Unlock()
	return msg
}

// Handler answers one request: it fills call.Op and call.Identifier and
// returns the status it wrote.
type Handler func(w http.ResponseWriter, req *http.Request, call *Call, body []byte) int

// Start serves h on 127.0.0.1, recording every call in rec. The server
// stops when the test ends, and the test fails if a request broke the
// contract (a Violation no one collected with Problems).
func Start(tb testing.TB, name string, rec *Recorder, h Handler) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 2<<20))
		call := Call{Method: req.Method, Path: req.URL.Path, RawPath: req.URL.EscapedPath(), Query: req.URL.Query(),
			Header: req.Header.Clone(), Body: json.RawMessage(body)}
		call.Status = h(w, req, &call, body)
		rec.mu.Lock()
		rec.calls = append(rec.calls, call)
		rec.mu.Unlock()
	}))
	tb.Cleanup(func() {
		srv.Close()
		for _, p := range rec.Problems() {
			tb.Errorf("%s: contract violation: %s", name, p)
		}
	})
	return srv
}

// Decode reads a JSON object strictly: unknown fields and trailing data
// are refused. It returns what is wrong, or "". required says the body
// must not be empty.
func Decode(body []byte, v any, required bool) string {
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return "body: required"
		}
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return "body: " + err.Error()
	}
	if dec.More() {
		return "body: trailing data"
	}
	return ""
}

// Send makes one raw request, for tests of the fakes themselves, and
// returns the status and body.
func Send(tb testing.TB, method, url, contentType, auth, body string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", auth)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Upsert replaces the element of list that same picks with v, or appends
// v: the fakes' add-or-replace of an alert or a problem.
func Upsert[T any](list []*T, v *T, same func(*T) bool) []*T {
	for i, x := range list {
		if same(x) {
			list[i] = v
			return list
		}
	}
	return append(list, v)
}
