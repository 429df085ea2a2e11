package opsgenie

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexis-project/alexis/internal/httpx"
	"github.com/alexis-project/alexis/internal/writeback"
)

// Base URLs of the OpsGenie API.
const (
	BaseUS      = "https://api.opsgenie.com"
	BaseEU      = "https://api.eu.opsgenie.com"
	BaseSandbox = "https://api.sandbox.opsgenie.com"
)

// DefaultSource is the source field of every write.
const DefaultSource = "alexis"

// Field limits of the Alert API. Longer values are cut with a marker.
const (
	MaxNote        = 25000
	MaxTags        = 20
	MaxTagLen      = 50
	MaxDetailsSize = 8000
	MaxUser        = 100
	MaxSource      = 100
)

// IDType says what an alert identifier is.
type IDType string

// Identifier types of the Alert API's identifierType query parameter.
const (
	ByID    IDType = "id"
	ByTiny  IDType = "tiny"
	ByAlias IDType = "alias"
)

// Ref identifies an alert: its id (the webhook's alertId), tiny id or alias.
type Ref struct {
	Value string
	Type  IDType
}

// AlertID, TinyID and Alias build Refs.
func AlertID(id string) Ref     { return Ref{Value: id, Type: ByID} }
func TinyID(tiny string) Ref    { return Ref{Value: tiny, Type: ByTiny} }
func AliasRef(alias string) Ref { return Ref{Value: alias, Type: ByAlias} }

func (r Ref) String() string { return string(r.Type) + ":" + r.Value }

func (r Ref) check() error {
	if r.Value == "" {
		return errors.New("opsgenie: empty alert identifier")
	}
	switch r.Type {
	case ByID, ByTiny, ByAlias:
		return nil
	}
	return fmt.Errorf("opsgenie: identifier type %q is not id, tiny or alias", r.Type)
}

// Team names a team by id or name.
type Team struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Responder is a team or user added to an alert. Type is "team" or "user";
// a user is named by ID or Username, a team by ID or Name.
type Responder struct {
	Type     string `json:"type"`
	ID       string `json:"id,omitempty"`
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
}

// Escalation names an escalation by id or name.
type Escalation struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Alert is what Get returns (the fields Alexis reads).
type Alert struct {
	ID           string            `json:"id"`
	TinyID       string            `json:"tinyId"`
	Alias        string            `json:"alias"`
	Message      string            `json:"message"`
	Status       string            `json:"status"` // "open" or "closed"
	Acknowledged bool              `json:"acknowledged"`
	IsSeen       bool              `json:"isSeen"`
	Snoozed      bool              `json:"snoozed"`
	Tags         []string          `json:"tags"`
	Count        int               `json:"count"`
	CreatedAt    time.Time         `json:"createdAt"`
	UpdatedAt    time.Time         `json:"updatedAt"`
	Source       string            `json:"source"`
	Owner        string            `json:"owner"`
	Priority     string            `json:"priority"`
	Responders   []Responder       `json:"responders"`
	Entity       string            `json:"entity"`
	Description  string            `json:"description"`
	Details      map[string]string `json:"details"`
}

// RequestStatus is the outcome of an accepted write, from Confirm.
type RequestStatus struct {
	Success       bool      `json:"success"`
	IsSuccess     bool      `json:"isSuccess"`
	Action        string    `json:"action"`
	ProcessedAt   time.Time `json:"processedAt"`
	IntegrationID string    `json:"integrationId"`
	Status        string    `json:"status"`
	AlertID       string    `json:"alertId"`
	Alias         string    `json:"alias"`
}

// AlertWriter is what the Notifier needs from an alerting tool. *Client
// implements it; a Jira Service Management Ops or PagerDuty client can too.
// Writes return the request id of the accepted (not yet processed) request.
type AlertWriter interface {
	AddNote(ctx context.Context, ref Ref, note string) (string, error)
	AddTeam(ctx context.Context, ref Ref, team Team, note string) (string, error)
	AddTags(ctx context.Context, ref Ref, tags []string, note string) (string, error)
	Escalate(ctx context.Context, ref Ref, esc Escalation, note string) (string, error)
	Acknowledge(ctx context.Context, ref Ref, note string) (string, error)
	Close(ctx context.Context, ref Ref, note string) (string, error)
	Get(ctx context.Context, ref Ref) (*Alert, error)
	// Confirm waits until an accepted request is processed; it fails if it
	// was not successful.
	Confirm(ctx context.Context, requestID string) (*RequestStatus, error)
}

var _ AlertWriter = (*Client)(nil)

// Client calls the OpsGenie Alert API v2. It is safe for concurrent use.
type Client struct {
	h      httpx.Client
	user   string
	source string
	poll   time.Duration
	wait   time.Duration
}

// ClientOption configures a Client.
type ClientOption func(*clientConfig)

type clientConfig struct {
	base, user, source string
	hc                 *http.Client
	timeout            time.Duration
	retry              Retry
	log                *slog.Logger
	poll, wait         time.Duration
}

// WithBaseURL sets the API base URL: BaseUS (default), BaseEU, BaseSandbox
// or any other (a proxy, a test server).
func WithBaseURL(u string) ClientOption { return func(c *clientConfig) { c.base = u } }

// WithUser sets the user field of every write (default DefaultUser; empty
// keeps the default). Use the same name as the parser's self user so
// Alexis ignores its own echoes.
func WithUser(u string) ClientOption {
	return func(c *clientConfig) {
		if u != "" {
			c.user = u
		}
	}
}

// WithSource sets the source field of every write (default DefaultSource;
// empty keeps the default).
func WithSource(s string) ClientOption {
	return func(c *clientConfig) {
		if s != "" {
			c.source = s
		}
	}
}

// WithHTTPClient sets the http.Client (default http.DefaultClient).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *clientConfig) { c.hc = hc } }

// WithTimeout bounds each attempt of a request (default 15s).
func WithTimeout(d time.Duration) ClientOption { return func(c *clientConfig) { c.timeout = d } }

// Retry bounds the retries of one request: MaxAttempts (default 5),
// MaxElapsed (default 30s), BaseDelay (default 250ms, doubling, with full
// jitter) and MaxDelay (default 10s). Zero fields take the default.
type Retry = httpx.Retry

// WithRetry bounds retries (defaults: 5 attempts, 30s in all, 250ms base delay).
func WithRetry(r Retry) ClientOption { return func(c *clientConfig) { c.retry = r } }

// WithLogger sets the logger for retries (debug level). The key is never logged.
func WithLogger(l *slog.Logger) ClientOption { return func(c *clientConfig) { c.log = l } }

// WithConfirmPolling sets the first delay between request-status polls
// (default 500ms, doubling, with jitter) and the most Confirm waits in all
// (default 30s).
func WithConfirmPolling(first, total time.Duration) ClientOption {
	return func(c *clientConfig) { c.poll, c.wait = first, total }
}

// NewClient returns a client authenticating with the API key of an
// OpsGenie API integration. The key comes from the caller (an environment
// variable or a file); it is sent only in the Authorization header.
func NewClient(apiKey string, opts ...ClientOption) (*Client, error) {
	cfg := clientConfig{base: BaseUS, user: DefaultUser, source: DefaultSource, poll: 500 * time.Millisecond, wait: 30 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("opsgenie: empty API key")
	}
	base, err := httpx.ParseBase(cfg.base)
	if err != nil {
		return nil, fmt.Errorf("opsgenie: %w", err)
	}
	log := cfg.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		h: httpx.Client{HTTP: cfg.hc, Base: base, Auth: "GenieKey " + strings.TrimSpace(apiKey), UserAgent: "alexis",
			Timeout: cfg.timeout, Retry: cfg.retry, Log: log, Component: "opsgenie"},
		user: writeback.Cut(cfg.user, MaxUser), source: writeback.Cut(cfg.source, MaxSource),
		poll: cfg.poll, wait: cfg.wait,
	}, nil
}

// common carries the fields every write body has.
type common struct {
	User   string `json:"user,omitempty"`
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
}

func (c *Client) common(note string) common {
	return common{User: c.user, Source: c.source, Note: writeback.Cut(note, MaxNote)}
}

// AddNote adds a note (cut to MaxNote characters).
func (c *Client) AddNote(ctx context.Context, ref Ref, note string) (string, error) {
	if strings.TrimSpace(note) == "" {
		return "", errors.New("opsgenie: add note: empty note")
	}
	return c.write(ctx, ref, "notes", c.common(note))
}

// AddTeam routes the alert to a team (by id or name).
func (c *Client) AddTeam(ctx context.Context, ref Ref, team Team, note string) (string, error) {
	if team.ID == "" && team.Name == "" {
		return "", errors.New("opsgenie: add team: team has neither id nor name")
	}
	return c.write(ctx, ref, "teams", struct {
		Team Team `json:"team"`
		common
	}{team, c.common(note)})
}

// AddResponder adds a team or user as responder.
func (c *Client) AddResponder(ctx context.Context, ref Ref, r Responder, note string) (string, error) {
	if r.Type != "team" && r.Type != "user" {
		return "", fmt.Errorf("opsgenie: add responder: type %q is not team or user", r.Type)
	}
	if r.ID == "" && r.Name == "" && r.Username == "" {
		return "", errors.New("opsgenie: add responder: responder has no id, name or username")
	}
	return c.write(ctx, ref, "responders", struct {
		Responder Responder `json:"responder"`
		common
	}{r, c.common(note)})
}

// AddTags adds tags: at most MaxTags, each cut to MaxTagLen characters;
// the ones beyond are dropped and named in the note.
func (c *Client) AddTags(ctx context.Context, ref Ref, tags []string, note string) (string, error) {
	tags, dropped := LimitTags(tags)
	if len(tags) == 0 {
		return "", errors.New("opsgenie: add tags: no tags")
	}
	if len(dropped) > 0 {
		note = strings.TrimSpace(note + "\n[tags over the limit of 20 not added: " + strings.Join(dropped, ", ") + "]")
	}
	return c.write(ctx, ref, "tags", struct {
		Tags []string `json:"tags"`
		common
	}{tags, c.common(note)})
}

// LimitTags applies the Alert API's tag limits: empty tags and duplicates
// are dropped, each tag is cut to MaxTagLen, and tags past MaxTags are
// returned apart.
func LimitTags(tags []string) (kept, dropped []string) {
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		t = writeback.Cut(t, MaxTagLen)
		if seen[t] {
			continue
		}
		seen[t] = true
		if len(kept) < MaxTags {
			kept = append(kept, t)
		} else {
			dropped = append(dropped, t)
		}
	}
	return kept, dropped
}

// AddDetails adds custom properties. Their keys and values together are
// kept within MaxDetailsSize characters: values are cut (with a marker) in
// key order until they fit.
func (c *Client) AddDetails(ctx context.Context, ref Ref, details map[string]string, note string) (string, error) {
	if len(details) == 0 {
		return "", errors.New("opsgenie: add details: no details")
	}
	return c.write(ctx, ref, "details", struct {
		Details map[string]string `json:"details"`
		common
	}{LimitDetails(details), c.common(note)})
}

// Escalate escalates the alert to an escalation (by id or name).
func (c *Client) Escalate(ctx context.Context, ref Ref, esc Escalation, note string) (string, error) {
	if esc.ID == "" && esc.Name == "" {
		return "", errors.New("opsgenie: escalate: escalation has neither id nor name")
	}
	return c.write(ctx, ref, "escalate", struct {
		Escalation Escalation `json:"escalation"`
		common
	}{esc, c.common(note)})
}

// Acknowledge acknowledges the alert.
func (c *Client) Acknowledge(ctx context.Context, ref Ref, note string) (string, error) {
	return c.write(ctx, ref, "acknowledge", c.common(note))
}

// Close closes the alert.
func (c *Client) Close(ctx context.Context, ref Ref, note string) (string, error) {
	return c.write(ctx, ref, "close", c.common(note))
}

// accepted is the body of a 202.
type accepted struct {
	Result    string  `json:"result"`
	Took      float64 `json:"took"`
	RequestID string  `json:"requestId"`
}

// write POSTs body to /v2/alerts/{identifier}/{op} and returns the request
// id of the 202.
func (c *Client) write(ctx context.Context, ref Ref, op string, body any) (string, error) {
	if err := ref.check(); err != nil {
		return "", err
	}
	resp, err := c.h.Do(ctx, httpx.Request{Method: http.MethodPost, Path: alertPath(ref) + "/" + op, Query: idQuery(ref), Body: body})
	if err != nil {
		return "", fmt.Errorf("opsgenie: %s %s: %w", op, ref, err)
	}
	if resp.Status != http.StatusAccepted && resp.Status != http.StatusOK {
		return "", apiError(resp, op)
	}
	var a accepted
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.RequestID == "" {
		if id := resp.Header.Get("X-Request-ID"); id != "" {
			return id, nil
		}
		return "", fmt.Errorf("opsgenie: %s %s: %d response carries no requestId", op, ref, resp.Status)
	}
	return a.RequestID, nil
}

// Get returns the alert.
func (c *Client) Get(ctx context.Context, ref Ref) (*Alert, error) {
	if err := ref.check(); err != nil {
		return nil, err
	}
	var a Alert
	if err := c.getData(ctx, "get", alertPath(ref), idQuery(ref), &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// RequestStatus asks once what became of an accepted request. A request
// not processed yet gives an *APIError with NotProcessed() true.
func (c *Client) RequestStatus(ctx context.Context, requestID string) (*RequestStatus, error) {
	if requestID == "" {
		return nil, errors.New("opsgenie: request status: empty request id")
	}
	var st RequestStatus
	if err := c.getData(ctx, "request status", "/v2/alerts/requests/"+url.PathEscape(requestID), nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// getData GETs path and decodes the response's "data" object into out.
func (c *Client) getData(ctx context.Context, op, path string, q url.Values, out any) error {
	resp, err := c.h.Do(ctx, httpx.Request{Method: http.MethodGet, Path: path, Query: q})
	if err != nil {
		return fmt.Errorf("opsgenie: %s: %w", op, err)
	}
	if resp.Status != http.StatusOK {
		return apiError(resp, op)
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &env); err != nil || len(env.Data) == 0 || string(env.Data) == "null" {
		return fmt.Errorf("opsgenie: %s: response has no data object (%v)", op, err)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("opsgenie: %s: bad data object: %w", op, err)
	}
	return nil
}

// Confirm polls the request status until the request is processed, with
// backoff, within the client's confirm budget (WithConfirmPolling). A
// processed request that failed (isSuccess false, e.g. an unknown alert)
// is a *RequestFailedError.
func (c *Client) Confirm(ctx context.Context, requestID string) (*RequestStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	for attempt := 1; ; attempt++ {
		st, err := c.RequestStatus(ctx, requestID)
		var ae *APIError
		switch {
		case err == nil && (st.IsSuccess || st.Success):
			return st, nil
		case err == nil:
			return st, &RequestFailedError{RequestID: requestID, Status: st}
		case errors.As(err, &ae) && ae.NotProcessed():
		default:
			return nil, err
		}
		if err := httpx.Sleep(ctx, httpx.Backoff(attempt, c.poll, 8*c.poll)); err != nil {
			return nil, fmt.Errorf("opsgenie: request %s not processed: %w", requestID, err)
		}
	}
}

// RequestFailedError is a request OpsGenie accepted and then did not carry
// out.
type RequestFailedError struct {
	RequestID string
	Status    *RequestStatus
}

func (e *RequestFailedError) Error() string {
	return fmt.Sprintf("opsgenie: request %s (%s) failed: %s", e.RequestID, e.Status.Action, e.Status.Status)
}

func alertPath(ref Ref) string { return "/v2/alerts/" + url.PathEscape(ref.Value) }

func idQuery(ref Ref) url.Values { return url.Values{"identifierType": {string(ref.Type)}} }

// LimitDetails keeps the details within MaxDetailsSize characters (keys
// plus values), cutting the longest values first.
func LimitDetails(d map[string]string) map[string]string {
	size := 0
	for k, v := range d {
		size += len([]rune(k)) + len([]rune(v))
	}
	out := make(map[string]string, len(d))
	for k, v := range d {
		out[k] = v
	}
	for size > MaxDetailsSize {
		longest := ""
		for k, v := range out {
			if longest == "" || len(v) > len(out[longest]) || len(v) == len(out[longest]) && k < longest {
				longest = k
			}
		}
		v := []rune(out[longest])
		over := size - MaxDetailsSize
		keep := len(v) - over
		if keep < 0 {
			keep = 0
		}
		nv := writeback.Cut(out[longest], keep)
		if len([]rune(nv)) >= len(v) { // cannot shrink further
			delete(out, longest)
			size -= len([]rune(longest)) + len(v)
			continue
		}
		size -= len(v) - len([]rune(nv))
		out[longest] = nv
	}
	return out
}
