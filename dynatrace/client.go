package dynatrace

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

// DefaultContext is the context of every comment Alexis writes; Alexis
// recognises its own comments by it.
const DefaultContext = "Alexis"

// AttemptPrefix starts every remediation comment: "Autoremediation Attempt 3".
const AttemptPrefix = "Autoremediation Attempt"

// Event types of the Events API v2 that mark without opening a problem.
const (
	EventInfo       = "CUSTOM_INFO"
	EventDeployment = "CUSTOM_DEPLOYMENT"
	EventAnnotation = "CUSTOM_ANNOTATION"
)

// MaxComment bounds a comment's message. Dynatrace documents no comment
// limit, only 1 MB per payload; this keeps comments readable.
const MaxComment = 20000

// Comment is a problem comment.
type Comment struct {
	ID                 string `json:"id"`
	CreatedAtTimestamp int64  `json:"createdAtTimestamp"`
	AuthorName         string `json:"authorName"`
	Content            string `json:"content"`
	Context            string `json:"context"`
}

// EntityRef is an entity in a Problem.
type EntityRef struct {
	EntityID struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"entityId"`
	Name string `json:"name"`
}

// Problem is a Problems API v2 problem (the fields Alexis reads).
type Problem struct {
	ProblemID        string      `json:"problemId"`
	DisplayID        string      `json:"displayId"`
	Title            string      `json:"title"`
	ImpactLevel      string      `json:"impactLevel"`
	SeverityLevel    string      `json:"severityLevel"`
	Status           string      `json:"status"` // OPEN, CLOSED (or RESOLVED)
	StartTime        int64       `json:"startTime"`
	EndTime          int64       `json:"endTime"` // -1 while open
	AffectedEntities []EntityRef `json:"affectedEntities"`
	ImpactedEntities []EntityRef `json:"impactedEntities"`
	RootCauseEntity  *EntityRef  `json:"rootCauseEntity"`
	EntityTags       []struct {
		Context              string `json:"context"`
		Key                  string `json:"key"`
		Value                string `json:"value"`
		StringRepresentation string `json:"stringRepresentation"`
	} `json:"entityTags"`
}

// Open reports whether the problem is still open.
func (p *Problem) Open() bool { return strings.EqualFold(p.Status, "OPEN") }

// EventIngest is the body of POST /api/v2/events/ingest.
type EventIngest struct {
	EventType string `json:"eventType"`
	Title     string `json:"title"`
	// EntitySelector such as `entityId("HOST-5D7E9A1B3C2F4E68")`; see
	// EntitySelector. Empty attaches the event to the environment.
	EntitySelector string            `json:"entitySelector,omitempty"`
	StartTime      int64             `json:"startTime,omitempty"`
	EndTime        int64             `json:"endTime,omitempty"`
	Timeout        int               `json:"timeout,omitempty"`
	Properties     map[string]string `json:"properties,omitempty"`
}

// IngestResult is the answer to an ingested event.
type IngestResult struct {
	ReportCount        int `json:"reportCount"`
	EventIngestResults []struct {
		CorrelationID string `json:"correlationId"`
		Status        string `json:"status"`
	} `json:"eventIngestResults"`
}

// EntitySelector selects one entity by id: entityId("HOST-..."). The id's
// quotes and backslashes are escaped as the selector syntax wants.
func EntitySelector(entityID string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `entityId("` + r.Replace(entityID) + `")`
}

// ProblemWriter is what the Notifier needs from a problem tool. *Client
// implements it.
type ProblemWriter interface {
	AddComment(ctx context.Context, problemID, message, context string) error
	Comments(ctx context.Context, problemID string) ([]Comment, error)
	Close(ctx context.Context, problemID, message string) error
	IngestEvent(ctx context.Context, ev EventIngest) (*IngestResult, error)
	Problem(ctx context.Context, problemID string) (*Problem, error)
}

var _ ProblemWriter = (*Client)(nil)

// Client calls the Dynatrace Problems API v2 and Events API v2. It is safe
// for concurrent use.
type Client struct {
	h   httpx.Client
	ctx string
}

// ClientOption configures a Client.
type ClientOption func(*clientConfig)

type clientConfig struct {
	hc      *http.Client
	timeout time.Duration
	retry   Retry
	log     *slog.Logger
	context string
}

// WithHTTPClient sets the http.Client (default http.DefaultClient).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *clientConfig) { c.hc = hc } }

// WithTimeout bounds each attempt of a request (default 15s).
func WithTimeout(d time.Duration) ClientOption { return func(c *clientConfig) { c.timeout = d } }

// Retry bounds the retries of one request: MaxAttempts (default 5),
// MaxElapsed (default 30s), BaseDelay (default 250ms, doubling, with full
// jitter) and MaxDelay (default 10s). Zero fields take the default.
type Retry = httpx.Retry

// WithRetry bounds retries (defaults: 5 attempts, 30s in all).
func WithRetry(r Retry) ClientOption { return func(c *clientConfig) { c.retry = r } }

// WithLogger sets the logger for retries (debug level). The token is never logged.
func WithLogger(l *slog.Logger) ClientOption { return func(c *clientConfig) { c.log = l } }

// WithCommentContext sets the context of Alexis' comments (default DefaultContext).
func WithCommentContext(s string) ClientOption { return func(c *clientConfig) { c.context = s } }

// NewClient returns a client for the environment at envURL: SaaS
// "https://{env-id}.live.dynatrace.com", Managed "https://{domain}/e/{env-id}"
// or an ActiveGate "https://{ag}:9999/e/{env-id}" (a trailing "/api/v2" is
// accepted and dropped). The token needs problems.read, problems.write and
// events.ingest; it is sent only in the Authorization header.
func NewClient(envURL, token string, opts ...ClientOption) (*Client, error) {
	cfg := clientConfig{context: DefaultContext}
	for _, o := range opts {
		o(&cfg)
	}
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("dynatrace: empty API token")
	}
	base, err := httpx.ParseBase(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(envURL), "/"), "/api/v2"))
	if err != nil {
		return nil, fmt.Errorf("dynatrace: %w", err)
	}
	if strings.HasSuffix(base.Host, ".apps.dynatrace.com") {
		return nil, fmt.Errorf("dynatrace: %s is the platform UI host; use the classic API host {env-id}.live.dynatrace.com", base.Host)
	}
	log := cfg.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{h: httpx.Client{HTTP: cfg.hc, Base: base, Auth: "Api-Token " + strings.TrimSpace(token), UserAgent: "alexis",
		Timeout: cfg.timeout, Retry: cfg.retry, Log: log, Component: "dynatrace"}, ctx: cfg.context}, nil
}

// Context is the context string the client marks its comments with.
func (c *Client) Context() string { return c.ctx }

func problemPath(id string) string { return "/api/v2/problems/" + url.PathEscape(id) }

func checkPID(id string) error {
	if strings.TrimSpace(id) == "" {
		return errors.New("dynatrace: empty problem id")
	}
	if strings.HasPrefix(id, "P-") {
		return fmt.Errorf("dynatrace: %q is a display id; the API wants the problem id (PID)", id)
	}
	return nil
}

// call sends one request and checks its status against ok.
func (c *Client) call(ctx context.Context, op string, req httpx.Request, ok ...int) (*httpx.Response, error) {
	resp, err := c.h.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("dynatrace: %s: %w", op, err)
	}
	for _, s := range ok {
		if resp.Status == s {
			return resp, nil
		}
	}
	return nil, apiError(resp, op)
}

// AddComment comments on a problem. context is free text (a ticket or alert
// id); empty uses the client's context. The message is cut to MaxComment.
func (c *Client) AddComment(ctx context.Context, problemID, message, context string) error {
	if err := checkPID(problemID); err != nil {
		return err
	}
	if strings.TrimSpace(message) == "" {
		return errors.New("dynatrace: add comment: empty message")
	}
	if context == "" {
		context = c.ctx
	}
	_, err := c.call(ctx, "add comment", httpx.Request{Method: http.MethodPost, Path: problemPath(problemID) + "/comments",
		Body: commentBody{Message: writeback.Cut(message, MaxComment), Context: context}}, http.StatusCreated, http.StatusOK, http.StatusNoContent)
	return err
}

type commentBody struct {
	Message string `json:"message"`
	Context string `json:"context,omitempty"`
}

// Comments lists every comment of a problem, following nextPageKey.
func (c *Client) Comments(ctx context.Context, problemID string) ([]Comment, error) {
	if err := checkPID(problemID); err != nil {
		return nil, err
	}
	var out []Comment
	q := url.Values{"pageSize": {"500"}}
	for page := 0; page < 1000; page++ {
		resp, err := c.call(ctx, "list comments", httpx.Request{Method: http.MethodGet, Path: problemPath(problemID) + "/comments", Query: q}, http.StatusOK)
		if err != nil {
			return nil, err
		}
		var list struct {
			Comments    []Comment `json:"comments"`
			NextPageKey string    `json:"nextPageKey"`
		}
		if err := json.Unmarshal(resp.Body, &list); err != nil {
			return nil, fmt.Errorf("dynatrace: list comments: bad response body: %w", err)
		}
		out = append(out, list.Comments...)
		if list.NextPageKey == "" {
			return out, nil
		}
		// With nextPageKey, Dynatrace wants no other query parameter.
		q = url.Values{"nextPageKey": {list.NextPageKey}}
	}
	return nil, errors.New("dynatrace: list comments: more than 1000 pages")
}

// CountAttempts counts Alexis' earlier remediation comments on a problem:
// comments with the client's context whose content starts with
// AttemptPrefix. The next attempt is number CountAttempts+1.
func (c *Client) CountAttempts(ctx context.Context, problemID string) (int, error) {
	cs, err := c.Comments(ctx, problemID)
	if err != nil {
		return 0, err
	}
	return CountAttempts(cs, c.ctx), nil
}

// CountAttempts counts the comments with context ctx (any context when ctx
// is empty) whose content starts with AttemptPrefix.
func CountAttempts(cs []Comment, ctx string) int {
	n := 0
	for _, cm := range cs {
		if (ctx == "" || cm.Context == ctx) && strings.HasPrefix(strings.TrimSpace(cm.Content), AttemptPrefix) {
			n++
		}
	}
	return n
}

// Close closes a problem with a closing comment. A problem already closed
// (204) is not an error.
func (c *Client) Close(ctx context.Context, problemID, message string) error {
	if err := checkPID(problemID); err != nil {
		return err
	}
	if strings.TrimSpace(message) == "" {
		return errors.New("dynatrace: close: empty message")
	}
	_, err := c.call(ctx, "close problem", httpx.Request{Method: http.MethodPost, Path: problemPath(problemID) + "/close",
		Body: struct {
			Message string `json:"message"`
		}{writeback.Cut(message, MaxComment)}}, http.StatusOK, http.StatusNoContent)
	return err
}

// IngestEvent sends an event (use EventInfo for remediation markers; the
// problem-opening types would open problems). Dynatrace answers 201.
func (c *Client) IngestEvent(ctx context.Context, ev EventIngest) (*IngestResult, error) {
	if ev.EventType == "" || strings.TrimSpace(ev.Title) == "" {
		return nil, errors.New("dynatrace: ingest event: eventType and title are required")
	}
	resp, err := c.call(ctx, "ingest event", httpx.Request{Method: http.MethodPost, Path: "/api/v2/events/ingest", Body: ev}, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	var res IngestResult
	if err := json.Unmarshal(resp.Body, &res); err != nil {
		return nil, fmt.Errorf("dynatrace: ingest event: bad response body: %w", err)
	}
	for _, r := range res.EventIngestResults {
		if r.Status != "OK" {
			return &res, fmt.Errorf("dynatrace: ingest event: status %s (correlation %s)", r.Status, r.CorrelationID)
		}
	}
	return &res, nil
}

// Problem returns a problem with its evidence, impact analysis and recent
// comments.
func (c *Client) Problem(ctx context.Context, problemID string) (*Problem, error) {
	if err := checkPID(problemID); err != nil {
		return nil, err
	}
	resp, err := c.call(ctx, "get problem", httpx.Request{Method: http.MethodGet, Path: problemPath(problemID),
		Query: url.Values{"fields": {"evidenceDetails,impactAnalysis,recentComments"}}}, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var p Problem
	if err := json.Unmarshal(resp.Body, &p); err != nil {
		return nil, fmt.Errorf("dynatrace: get problem: bad response body: %w", err)
	}
	return &p, nil
}
