package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	alexis "github.com/alexis-project/alexis"
)

// HTTPName is the http action type's name in rule files.
const HTTPName = "http"

// DefaultHTTPTimeout bounds an HTTP call when the task sets no timeout.
const DefaultHTTPTimeout = 30 * time.Second

// maxResponseRead bounds how much of a response body is read at all (its
// tail, up to max_output, is kept).
const maxResponseRead = 16 << 20

// HTTP is the http action type: it makes one HTTP request. The zero value
// is ready to use; its fields change the defaults.
type HTTP struct {
	// Client makes the requests (default: a client that does not follow
	// redirects, so that a 3xx is reported rather than followed).
	Client *http.Client
	// Timeout bounds a call when the task sets none (default
	// DefaultHTTPTimeout).
	Timeout time.Duration
	// MaxOutput is how many bytes of the response body are kept when the
	// task does not say (default DefaultMaxOutput).
	MaxOutput int
	// Getenv and ReadFile resolve ${NAME} and ${file:PATH} references in
	// header values (default os.Getenv and os.ReadFile).
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
}

type httpParams struct {
	Method       string            `json:"method"`
	URL          string            `json:"url"`
	Headers      map[string]string `json:"headers"`
	Body         string            `json:"body"`
	ExpectStatus json.RawMessage   `json:"expect_status"`
	MaxOutput    int               `json:"max_output"`
}

// statusList is one status code or a list of them.
type statusList []int

func parseStatusList(b json.RawMessage) (statusList, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var one int
	if err := json.Unmarshal(b, &one); err == nil {
		return statusList{one}, nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return nil, &alexis.ParamError{Param: "expect_status", Err: errors.New("must be a status code or a list of status codes")}
	}
	return many, nil
}

// Spec describes the http action type.
func (k *HTTP) Spec() alexis.ActionSpec {
	return alexis.ActionSpec{
		Name:    HTTPName,
		Summary: "Make an HTTP request; success is a 2xx status (or expect_status).",
		Params: []alexis.ParamSpec{
			{Name: "url", Type: "template", Required: true, Doc: "The URL, a URL template: the scheme and host are written out; interpolations are escaped for the host, path, query or fragment they stand in."},
			{Name: "method", Type: "string", Default: "GET, or POST with a body", Doc: "The HTTP method."},
			{Name: "headers", Type: "map of templates", Doc: "Request headers; values are plain templates. Secrets come from ${ENV_VAR} or ${file:/path} references, resolved when the request is made and never shown; a header whose name suggests a secret (Authorization, *token*, *key*, ...) must use one."},
			{Name: "body", Type: "template", Doc: "The request body: a JSON template when the Content-Type is JSON (the default when a body is given), a plain template otherwise."},
			{Name: "expect_status", Type: "int or list of int", Default: "any 2xx", Doc: "The status codes that count as success."},
			{Name: "max_output", Type: "int", Default: fmt.Sprint(DefaultMaxOutput), Doc: "Bytes of the response body kept, the tail."},
		},
		Example: "action: http\nmethod: POST\nurl: https://itsm.example.com/api/reboot/{{ .Target }}\nheaders:\n  Authorization: Bearer ${ITSM_TOKEN}\nbody: '{\"host\": {{ .Target }}, \"reason\": {{ .Message }}}'",
	}
}

var methodToken = regexp.MustCompile(`^[A-Z]+$`)

// New decodes and checks a task's parameters.
func (k *HTTP) New(p alexis.Params) (alexis.Action, error) {
	var ps httpParams
	if err := p.Decode(&ps); err != nil {
		return nil, err
	}
	a := &httpAction{kind: k, method: ps.Method, maxOutput: ps.MaxOutput}
	var err error
	if a.expect, err = parseStatusList(ps.ExpectStatus); err != nil {
		return nil, err
	}
	if ps.URL == "" {
		return nil, &alexis.ParamError{Param: "url", Err: errors.New("is required")}
	}
	if err := checkLiteralURL(ps.URL); err != nil {
		return nil, &alexis.ParamError{Param: "url", Err: err}
	}
	if a.url, err = paramTemplate("url", ps.URL, URL); err != nil {
		return nil, err
	}
	if a.method == "" {
		a.method = http.MethodGet
		if ps.Body != "" {
			a.method = http.MethodPost
		}
	}
	if !methodToken.MatchString(a.method) {
		return nil, &alexis.ParamError{Param: "method", Err: fmt.Errorf("%q is not an HTTP method (write it in capitals: GET, POST, PUT...)", ps.Method)}
	}
	for _, c := range a.expect {
		if c < 100 || c > 599 {
			return nil, &alexis.ParamError{Param: "expect_status", Err: fmt.Errorf("%d is not an HTTP status code", c)}
		}
	}
	if ps.MaxOutput < 0 {
		return nil, &alexis.ParamError{Param: "max_output", Err: errors.New("must not be negative")}
	}
	contentType := ""
	names := make([]string, 0, len(ps.Headers))
	for name := range ps.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		h, err := parseHeader(name, ps.Headers[name])
		if err != nil {
			return nil, &alexis.ParamError{Param: "headers." + name, Err: err}
		}
		if strings.EqualFold(name, "Content-Type") {
			contentType = ps.Headers[name]
		}
		a.headers = append(a.headers, h)
	}
	if ps.Body != "" {
		mode := Plain
		if contentType == "" {
			a.headers = append(a.headers, header{name: "Content-Type", parts: []headerPart{{text: MustParseTemplate("Content-Type", "application/json", Plain)}}})
			mode = JSON
		} else if strings.Contains(strings.ToLower(contentType), "json") {
			mode = JSON
		}
		if a.body, err = paramTemplate("body", ps.Body, mode); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// checkLiteralURL refuses credentials written into a URL.
func checkLiteralURL(raw string) error {
	lit := raw
	if i := strings.Index(lit, "{{"); i >= 0 {
		lit = lit[:i]
	}
	if u, err := url.Parse(lit); err == nil {
		if _, has := u.User.Password(); has {
			return errors.New("a password in the URL does not belong in a rule file; send it in a header from ${ENV_VAR} or ${file:/path}")
		}
		for k, vs := range u.Query() {
			for _, v := range vs {
				if secretName(k) && v != "" {
					return fmt.Errorf("query parameter %q holds what looks like a secret; send it in a header from ${ENV_VAR} or ${file:/path}", k)
				}
			}
		}
	}
	return nil
}

// header is one request header: its value is a sequence of plain
// templates and ${...} references.
type header struct {
	name  string
	parts []headerPart
}

type headerPart struct {
	text *Template // a template, or
	env  string    // ${NAME}, or
	file string    // ${file:PATH}
}

var (
	headerRef     = regexp.MustCompile(`\$\{([^}]*)\}`)
	headerName    = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	secretPattern = regexp.MustCompile(`(?i)auth|token|secret|passw|key|cookie|session|credential|signature`)
)

func secretName(name string) bool { return secretPattern.MatchString(name) }

// parseHeader splits a header value into templates and references. A
// header whose name suggests a secret must take it from a reference.
func parseHeader(name, value string) (header, error) {
	h := header{name: name}
	if !headerName.MatchString(name) {
		return h, errors.New("is not a valid header name")
	}
	refs := 0
	last := 0
	add := func(text string) error {
		if text == "" {
			return nil
		}
		t, err := ParseTemplate("headers."+name, text, Plain)
		if err != nil {
			return err
		}
		h.parts = append(h.parts, headerPart{text: t})
		return nil
	}
	for _, m := range headerRef.FindAllStringSubmatchIndex(value, -1) {
		if err := add(value[last:m[0]]); err != nil {
			return h, err
		}
		ref := value[m[2]:m[3]]
		switch {
		case strings.HasPrefix(ref, "file:"):
			path := strings.TrimPrefix(ref, "file:")
			if !strings.HasPrefix(path, "/") {
				return h, fmt.Errorf("${file:%s}: the path must be absolute", path)
			}
			h.parts = append(h.parts, headerPart{file: path})
		case envName.MatchString(ref):
			h.parts = append(h.parts, headerPart{env: ref})
		default:
			return h, fmt.Errorf("${%s}: write ${ENV_VAR} or ${file:/absolute/path}", ref)
		}
		refs++
		last = m[1]
	}
	if err := add(value[last:]); err != nil {
		return h, err
	}
	if secretName(name) && refs == 0 && !strings.Contains(value, "{{") && strings.TrimSpace(value) != "" {
		return h, errors.New("looks like a secret, which does not belong in a rule file: write ${ENV_VAR} or ${file:/path} for it")
	}
	return h, nil
}

// value renders the header for a request, resolving references when
// resolve is true and showing them as written otherwise.
func (h header) value(k *HTTP, ev *alexis.Event, target string, resolve bool) (string, error) {
	var b strings.Builder
	for _, p := range h.parts {
		switch {
		case p.text != nil:
			s, err := p.text.Render(ev, target)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		case !resolve && p.env != "":
			b.WriteString("${" + p.env + "}")
		case !resolve:
			b.WriteString("${file:" + p.file + "}")
		case p.env != "":
			getenv := k.Getenv
			if getenv == nil {
				getenv = os.Getenv
			}
			v := getenv(p.env)
			if v == "" {
				return "", fmt.Errorf("environment variable %s is not set", p.env)
			}
			b.WriteString(v)
		default:
			read := k.ReadFile
			if read == nil {
				read = os.ReadFile
			}
			data, err := read(p.file)
			if err != nil {
				return "", fmt.Errorf("reading ${file:%s}: %w", p.file, err)
			}
			b.WriteString(strings.TrimRight(string(data), "\r\n"))
		}
	}
	if strings.ContainsAny(b.String(), "\r\n\x00") {
		return "", errors.New("the value contains a line break or NUL")
	}
	return b.String(), nil
}

type httpAction struct {
	kind      *HTTP
	method    string
	url       *Template
	headers   []header
	body      *Template // nil: no body
	expect    statusList
	maxOutput int
}

// Render shows the request line and the body; headers are left out.
func (a *httpAction) Render(ev *alexis.Event, target string) (string, error) {
	u, body, err := a.render(ev, target)
	if err != nil {
		return "", err
	}
	if a.body == nil {
		return a.method + " " + u, nil
	}
	return a.method + " " + u + " " + body, nil
}

func (a *httpAction) render(ev *alexis.Event, target string) (u, body string, err error) {
	if u, err = a.url.Render(ev, target); err != nil {
		return "", "", err
	}
	if a.body != nil {
		if body, err = a.body.Render(ev, target); err != nil {
			return "", "", err
		}
	}
	return u, body, nil
}

// Run makes the request. Network errors, timeouts, 429 and 5xx are
// retryable failures; other unexpected statuses are not. The Result's
// ExitCode is the HTTP status code and its Output the body's tail.
func (a *httpAction) Run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	start := time.Now()
	res := a.run(ctx, inv)
	res.Started, res.Duration = start, time.Since(start)
	return res
}

func (a *httpAction) run(ctx context.Context, inv alexis.Invocation) alexis.Result {
	u, body, err := a.render(inv.Event, inv.Target)
	if err != nil {
		return failed(-1, false, "http: %v", err)
	}
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return failed(-1, false, "http: %q is not an http or https URL", u)
	}
	ctx, cancel := withDefaultTimeout(ctx, a.kind.Timeout, DefaultHTTPTimeout)
	defer cancel()
	var rd io.Reader
	if a.body != nil {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, a.method, u, rd)
	if err != nil {
		return failed(-1, false, "http: %v", err)
	}
	for _, h := range a.headers {
		v, err := h.value(a.kind, inv.Event, inv.Target, true)
		if err != nil {
			return failed(-1, false, "http: header %s: %v", h.name, err)
		}
		req.Header.Set(h.name, v)
	}
	client := a.kind.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return failed(-1, true, "http: %s %s %s", a.method, u, stopReason(ctx))
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return failed(-1, true, "http: %s %s: %v", a.method, u, err)
	}
	defer resp.Body.Close()
	max := a.maxOutput
	if max == 0 {
		max = a.kind.MaxOutput
	}
	out := NewTailBuffer(max)
	_, rerr := io.Copy(out, io.LimitReader(resp.Body, maxResponseRead))
	res := alexis.Result{Status: alexis.StatusSuccess, ExitCode: resp.StatusCode, Output: out.Output()}
	if !a.expected(resp.StatusCode) {
		res.Status = alexis.StatusFailure
		res.Retryable = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		res.Error = fmt.Sprintf("http: %s %s: status %s, want %s", a.method, u, resp.Status, a.want())
	} else if rerr != nil {
		res.Status, res.Retryable = alexis.StatusFailure, true
		res.Error = fmt.Sprintf("http: %s %s: reading the response: %v", a.method, u, rerr)
	}
	return res
}

func (a *httpAction) expected(code int) bool {
	if len(a.expect) == 0 {
		return code >= 200 && code <= 299
	}
	return slices.Contains(a.expect, code)
}

func (a *httpAction) want() string {
	if len(a.expect) == 0 {
		return "2xx"
	}
	s := make([]string, len(a.expect))
	for i, c := range a.expect {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, " or ")
}

var defaultClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}
