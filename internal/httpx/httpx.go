package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxBody is the most bytes of a response body that are read.
const MaxBody = 4 << 20

// Retry bounds the retries of one call. The zero value means the defaults.
type Retry struct {
	// MaxAttempts is the most attempts of one call, the first included
	// (default 5: the first try and 4 retries, as the OpsGenie SDK does).
	MaxAttempts int
	// MaxElapsed bounds the total time of one call, waits included
	// (default 30s). A Retry-After that would end past it gives up at once.
	MaxElapsed time.Duration
	// BaseDelay is the wait before the first retry; it doubles each time
	// (default 250ms), with full jitter.
	BaseDelay time.Duration
	// MaxDelay caps one wait (default 10s).
	MaxDelay time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 5
	}
	if r.MaxElapsed <= 0 {
		r.MaxElapsed = 30 * time.Second
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = 250 * time.Millisecond
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = 10 * time.Second
	}
	return r
}

// Client sends JSON requests to one API. Its fields are set once, before
// first use; it is then safe for concurrent use.
type Client struct {
	// HTTP does the requests (default: a client with no overall timeout;
	// Timeout bounds each attempt instead).
	HTTP *http.Client
	// Base is the API's base URL; request paths are appended to its path.
	Base *url.URL
	// Auth is the whole Authorization header value. It is never logged.
	Auth string
	// UserAgent is sent on every request.
	UserAgent string
	// Timeout bounds one attempt (default 15s).
	Timeout time.Duration
	Retry   Retry
	// Log hears about retries at debug level (default: discard).
	Log *slog.Logger
	// Component names the API in log lines ("opsgenie").
	Component string
}

// Request is one API call.
type Request struct {
	Method string
	// Path is appended to the base URL's path. Callers escape each segment
	// (url.PathEscape); the escaping is kept on the wire.
	Path  string
	Query url.Values
	// Body, when not nil, is sent as JSON.
	Body any
}

// Response is the final answer to a call, whatever its status.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Attempts int
}

// Retryable reports whether an HTTP status is worth another try: 429 and
// every 5xx except 501 Not Implemented.
func Retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500 && status != http.StatusNotImplemented
}

// Do sends req, retrying on 429, 5xx (not 501) and transport errors with
// exponential backoff and full jitter, honouring Retry-After, within the
// bounds of c.Retry. It returns the last response whatever its status; the
// error is for transport failures, a cancelled ctx and bad requests only.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	u, err := c.url(req)
	if err != nil {
		return nil, err
	}
	var body []byte
	if req.Body != nil {
		if body, err = json.Marshal(req.Body); err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", req.Method, req.Path, err)
		}
	}
	pol := c.Retry.withDefaults()
	start := time.Now()
	deadline := start.Add(pol.MaxElapsed)
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, req.Method, u, body)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", req.Method, req.Path, ctx.Err())
		}
		var wait time.Duration
		if err == nil {
			resp.Attempts = attempt
			if !Retryable(resp.Status) {
				return resp, nil
			}
			wait = Backoff(attempt, pol.BaseDelay, pol.MaxDelay)
			if ra, ok := RetryAfter(resp.Header, time.Now()); ok {
				wait = ra
			}
		} else {
			wait = Backoff(attempt, pol.BaseDelay, pol.MaxDelay)
		}
		if attempt >= pol.MaxAttempts || time.Now().Add(wait).After(deadline) {
			if err != nil {
				return nil, fmt.Errorf("%s %s: giving up after %d attempts: %w", req.Method, req.Path, attempt, err)
			}
			return resp, nil
		}
		c.logger().Debug("retrying", "component", c.Component, "method", req.Method, "path", req.Path,
			"attempt", attempt, "status", statusOf(resp), "wait_ms", wait.Milliseconds(), "err", errString(err))
		if err := Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s %s: %w", req.Method, req.Path, err)
		}
	}
}

func (c *Client) once(ctx context.Context, method, u string, body []byte) (*Response, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Accept", "application/json")
	if c.Auth != "" {
		hr.Header.Set("Authorization", c.Auth)
	}
	if c.UserAgent != "" {
		hr.Header.Set("User-Agent", c.UserAgent)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(hr)
	if err != nil {
		return nil, scrub(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, MaxBody))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// scrub removes the URL's query from a *url.Error, in case a caller put a
// secret there; the Authorization header never appears in errors.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			u.User = nil
			ue.URL = u.String()
		}
	}
	return err
}

func (c *Client) url(req Request) (string, error) {
	if c.Base == nil {
		return "", errors.New("httpx: no base URL")
	}
	if !strings.HasPrefix(req.Path, "/") {
		return "", fmt.Errorf("httpx: path %q must start with /", req.Path)
	}
	s := strings.TrimSuffix(c.Base.String(), "/") + req.Path
	if len(req.Query) > 0 {
		s += "?" + req.Query.Encode()
	}
	return s, nil
}

func (c *Client) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// ParseBase checks an API base URL: absolute, http or https, no query,
// fragment or user info. A trailing slash is dropped.
func ParseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("base URL %q: scheme must be https (or http)", raw)
	case u.Host == "":
		return nil, fmt.Errorf("base URL %q: no host", raw)
	case u.User != nil:
		return nil, fmt.Errorf("base URL: must not carry user info")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("base URL %q: must not have a query or fragment", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Backoff is the wait before retry number attempt (1 for the first retry):
// a random duration in [d/2, d] where d = base·2^(attempt-1), capped at max.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// maxRetryAfter caps a Retry-After in seconds (one day).
const maxRetryAfter = 24 * 60 * 60

// RetryAfter reads the Retry-After header, in seconds or as an HTTP date,
// relative to now. A date in the past gives 0.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > maxRetryAfter {
			n = maxRetryAfter // no overflow; far past any retry budget anyway
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// Sleep waits d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func statusOf(r *Response) int {
	if r == nil {
		return 0
	}
	return r.Status
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
