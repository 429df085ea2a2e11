package action

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	alexis "github.com/alexis-project/alexis"
)

// request is what the test server saw.
type request struct {
	Method, Path, RawQuery, Body string
	Header                       map[string]string
}

// recorder is an HTTP server on 127.0.0.1 that records requests and
// answers with the given status and body.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	got    []request
	status int
	body   string
	delay  time.Duration
}

func newRecorder(t *testing.T, status int, body string) *recorder {
	r := &recorder{status: status, body: body}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		h := map[string]string{}
		for _, k := range []string{"Authorization", "Content-Type", "X-Alert", "Idempotency-Key"} {
			if v := req.Header.Get(k); v != "" {
				h[k] = v
			}
		}
		r.mu.Lock()
		r.got = append(r.got, request{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, string(b), h})
		r.mu.Unlock()
		if r.delay > 0 {
			select {
			case <-time.After(r.delay):
			case <-req.Context().Done():
				return
			}
		}
		if r.status == http.StatusFound {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(r.status)
		io.WriteString(w, r.body)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

func newHTTP(t *testing.T, k *HTTP, p alexis.Params) alexis.Action {
	t.Helper()
	a, err := k.New(p)
	if err != nil {
		t.Fatalf("New(%v): %v", p, err)
	}
	return a
}

func TestHTTPRequest(t *testing.T) {
	srv := newRecorder(t, http.StatusCreated, `{"result":"ok"}`)
	k := &HTTP{Getenv: func(name string) string {
		if name == "ITSM_TOKEN" {
			return "t0ken"
		}
		return ""
	}}
	a := newHTTP(t, k, alexis.Params{
		"method": "PUT",
		"url":    srv.URL + "/api/hosts/{{ .Target }}/reboot?reason={{ .Message }}",
		"headers": map[string]any{
			"Authorization":   "Bearer ${ITSM_TOKEN}",
			"X-Alert":         "{{ .ShortID }}",
			"Idempotency-Key": "{{ .ID }}",
		},
		"body": `{"host": {{ .Target }}, "message": {{ .Message }}, "note": "alert {{ .ShortID }}: {{ .Message }}"}`,
	})
	ev := &alexis.Event{ID: "abc-1", ShortID: "1842", Message: `disk "full" & /var/log?`}
	res := a.Run(context.Background(), alexis.Invocation{Event: ev, Target: "web-01"})
	want := alexis.Result{Status: alexis.StatusSuccess, ExitCode: 201, Output: `{"result":"ok"}`}
	if diff := cmp.Diff(want, res, ignoreTimes); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	wantReq := []request{{
		Method:   "PUT",
		Path:     "/api/hosts/web-01/reboot",
		RawQuery: "reason=disk+%22full%22+%26+%2Fvar%2Flog%3F",
		Body:     `{"host": "web-01", "message": "disk \"full\" & /var/log?", "note": "alert 1842: disk \"full\" & /var/log?"}`,
		Header: map[string]string{"Authorization": "Bearer t0ken", "Content-Type": "application/json",
			"X-Alert": "1842", "Idempotency-Key": "abc-1"},
	}}
	if diff := cmp.Diff(wantReq, srv.requests()); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	// The plan shows the request, never the secret.
	shown, err := a.Render(ev, "web-01")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(shown, "t0ken") || !strings.HasPrefix(shown, "PUT "+srv.URL+"/api/hosts/web-01/reboot?reason=disk") {
		t.Errorf("Render = %q", shown)
	}
}

func TestHTTPHostileValues(t *testing.T) {
	srv := newRecorder(t, http.StatusOK, "")
	a := newHTTP(t, &HTTP{}, alexis.Params{
		"url":  srv.URL + "/api/{{ .Message }}/x?q={{ .Message }}",
		"body": `{"m": {{ .Message }}}`,
	})
	msg := "../../admin?x=1#frag\"}, \"admin\": true, \"z\": {\"\r\nX-Evil: 1"
	res := a.Run(context.Background(), alexis.Invocation{Event: &alexis.Event{Message: msg}})
	if res.Status != alexis.StatusSuccess {
		t.Fatalf("result %+v", res)
	}
	got := srv.requests()[0]
	if got.Path != "/api/..%2F..%2Fadmin%3Fx=1%23frag%22%7D%2C%20%22admin%22:%20true%2C%20%22z%22:%20%7B%22%0D%0AX-Evil:%201/x" {
		t.Errorf("path %q: the value escaped its path segment", got.Path)
	}
	if !strings.HasPrefix(got.RawQuery, "q=..%2F..%2Fadmin%3Fx%3D1%23frag") || strings.Contains(got.RawQuery, "&") {
		t.Errorf("query %q: the value escaped its parameter", got.RawQuery)
	}
	if got.Body != `{"m": "../../admin?x=1#frag\"}, \"admin\": true, \"z\": {\"\r\nX-Evil: 1"}` {
		t.Errorf("body %q: the value escaped its JSON string", got.Body)
	}
}

func TestHTTPResults(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		params alexis.Params
		want   alexis.Result
	}{
		{"GET default", 200, "fine", alexis.Params{}, alexis.Result{Status: alexis.StatusSuccess, ExitCode: 200, Output: "fine"}},
		{"4xx is a definite failure", 404, "no such host", alexis.Params{},
			alexis.Result{Status: alexis.StatusFailure, ExitCode: 404, Output: "no such host", Error: "http: GET URL/x: status 404 Not Found, want 2xx"}},
		{"5xx is retryable", 503, "", alexis.Params{},
			alexis.Result{Status: alexis.StatusFailure, ExitCode: 503, Retryable: true, Error: "http: GET URL/x: status 503 Service Unavailable, want 2xx"}},
		{"429 is retryable", 429, "", alexis.Params{},
			alexis.Result{Status: alexis.StatusFailure, ExitCode: 429, Retryable: true, Error: "http: GET URL/x: status 429 Too Many Requests, want 2xx"}},
		{"expect_status one", 404, "", alexis.Params{"expect_status": 404}, alexis.Result{Status: alexis.StatusSuccess, ExitCode: 404}},
		{"expect_status list", 200, "", alexis.Params{"expect_status": []any{201, 202}},
			alexis.Result{Status: alexis.StatusFailure, ExitCode: 200, Error: "http: GET URL/x: status 200 OK, want 201 or 202"}},
		{"redirects are not followed", 302, "", alexis.Params{},
			alexis.Result{Status: alexis.StatusFailure, ExitCode: 302, Error: "http: GET URL/x: status 302 Found, want 2xx"}},
		{"body tail", 200, "0123456789", alexis.Params{"max_output": 4},
			alexis.Result{Status: alexis.StatusSuccess, ExitCode: 200, Output: "[6 bytes of output dropped]\n6789"}},
		{"plain body", 200, "", alexis.Params{"method": "POST", "headers": map[string]any{"Content-Type": "text/plain"}, "body": "{{ .Message }}"},
			alexis.Result{Status: alexis.StatusSuccess, ExitCode: 200}},
		{"missing env", 200, "", alexis.Params{"headers": map[string]any{"Authorization": "Bearer ${ALEXIS_TEST_UNSET}"}},
			alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Error: "http: header Authorization: environment variable ALEXIS_TEST_UNSET is not set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, tt.status, tt.body)
			p := alexis.Params{"url": srv.URL + "/x"}
			for k, v := range tt.params {
				p[k] = v
			}
			a := newHTTP(t, &HTTP{}, p)
			res := a.Run(context.Background(), alexis.Invocation{Event: &alexis.Event{Message: "m"}})
			res.Error = strings.ReplaceAll(res.Error, srv.URL, "URL")
			if diff := cmp.Diff(tt.want, res, ignoreTimes); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPHeaderFromFile(t *testing.T) {
	srv := newRecorder(t, 200, "")
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("GenieKey abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := newHTTP(t, &HTTP{}, alexis.Params{"url": srv.URL, "headers": map[string]any{"Authorization": "${file:" + path + "}"}})
	if res := a.Run(context.Background(), alexis.Invocation{}); res.Status != alexis.StatusSuccess {
		t.Fatalf("%+v", res)
	}
	if got := srv.requests()[0].Header["Authorization"]; got != "GenieKey abc" {
		t.Errorf("Authorization %q, want %q", got, "GenieKey abc")
	}
	b := newHTTP(t, &HTTP{}, alexis.Params{"url": srv.URL, "headers": map[string]any{"Authorization": "${file:/nonexistent/alexis-token}"}})
	res := b.Run(context.Background(), alexis.Invocation{})
	if want := "http: header Authorization: reading ${file:/nonexistent/alexis-token}: open /nonexistent/alexis-token: no such file or directory"; res.Error != want {
		t.Errorf("error %q, want %q", res.Error, want)
	}
}

func TestHTTPTimeoutAndCancel(t *testing.T) {
	srv := newRecorder(t, 200, "")
	srv.delay = 10 * time.Second
	a := newHTTP(t, &HTTP{Timeout: 200 * time.Millisecond}, alexis.Params{"url": srv.URL + "/slow"})
	start := time.Now()
	res := a.Run(context.Background(), alexis.Invocation{})
	want := alexis.Result{Status: alexis.StatusFailure, ExitCode: -1, Retryable: true, Error: "http: GET " + srv.URL + "/slow timed out"}
	if diff := cmp.Diff(want, res, ignoreTimes); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res = a.Run(ctx, alexis.Invocation{})
	want.Error = "http: GET " + srv.URL + "/slow cancelled"
	if diff := cmp.Diff(want, res, ignoreTimes); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	a := newHTTP(t, &HTTP{}, alexis.Params{"url": u})
	res := a.Run(context.Background(), alexis.Invocation{})
	if res.Status != alexis.StatusFailure || !res.Retryable || !strings.Contains(res.Error, "connection refused") {
		t.Errorf("got %+v, want a retryable connection refused", res)
	}
}

func TestHTTPParamErrors(t *testing.T) {
	tests := []struct {
		name   string
		params alexis.Params
		param  string
		want   string
	}{
		{"no url", alexis.Params{}, "url", "url: is required"},
		{"templated scheme", alexis.Params{"url": "{{ .Details.url }}"}, "url",
			"url: template: url:1:3: the scheme and host of a URL must be written out (https://host/...); interpolate only the host, path, query or fragment, or use raw"},
		{"password in url", alexis.Params{"url": "https://admin:hunter2@itsm.example.com/api"}, "url",
			"url: a password in the URL does not belong in a rule file; send it in a header from ${ENV_VAR} or ${file:/path}"},
		{"token in query", alexis.Params{"url": "https://x.example.com/api?api_token=abc"}, "url",
			`url: query parameter "api_token" holds what looks like a secret; send it in a header from ${ENV_VAR} or ${file:/path}`},
		{"inline secret", alexis.Params{"url": "https://x/", "headers": map[string]any{"Authorization": "Bearer abc"}}, "headers.Authorization",
			"headers.Authorization: looks like a secret, which does not belong in a rule file: write ${ENV_VAR} or ${file:/path} for it"},
		{"inline api key", alexis.Params{"url": "https://x/", "headers": map[string]any{"X-Api-Key": "abc"}}, "headers.X-Api-Key",
			"headers.X-Api-Key: looks like a secret, which does not belong in a rule file: write ${ENV_VAR} or ${file:/path} for it"},
		{"relative file", alexis.Params{"url": "https://x/", "headers": map[string]any{"Authorization": "${file:token}"}}, "headers.Authorization",
			"headers.Authorization: ${file:token}: the path must be absolute"},
		{"bad ref", alexis.Params{"url": "https://x/", "headers": map[string]any{"Authorization": "${1X}"}}, "headers.Authorization",
			"headers.Authorization: ${1X}: write ${ENV_VAR} or ${file:/absolute/path}"},
		{"bad header name", alexis.Params{"url": "https://x/", "headers": map[string]any{"X Bad": "1"}}, "headers.X Bad",
			"headers.X Bad: is not a valid header name"},
		{"method", alexis.Params{"url": "https://x/", "method": "post"}, "method",
			`method: "post" is not an HTTP method (write it in capitals: GET, POST, PUT...)`},
		{"status", alexis.Params{"url": "https://x/", "expect_status": 42}, "expect_status", "expect_status: 42 is not an HTTP status code"},
		{"status type", alexis.Params{"url": "https://x/", "expect_status": "ok"}, "expect_status",
			"expect_status: must be a status code or a list of status codes"},
		{"bad body", alexis.Params{"url": "https://x/", "body": `{"a": "\{{ .ID }}"}`}, "body",
			"body: template: body:1:11: an interpolation may not follow a backslash in a JSON string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&HTTP{}).New(tt.params)
			if err == nil {
				t.Fatal("New succeeded")
			}
			var pe *alexis.ParamError
			param := ""
			if errors.As(err, &pe) {
				param = pe.Param
			}
			if param != tt.param || err.Error() != tt.want {
				t.Errorf("New: param %q, %q\nwant param %q, %q", param, err.Error(), tt.param, tt.want)
			}
		})
	}
}
