package fakedynatrace

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexis-project/alexis/internal/fakeapi"
)

// Problem is the fake's state of one problem.
type Problem struct {
	ID, DisplayID, Title string
	Status               string // OPEN or CLOSED
	// Impacted are entity ids (HOST-..., SERVICE-...) with their names.
	Impacted []Entity
	Comments []Comment
}

// Entity is an impacted entity.
type Entity struct{ ID, Type, Name string }

// Comment is a stored comment.
type Comment struct {
	ID, Content, Context, AuthorName string
	CreatedAtTimestamp               int64
}

// Event is an ingested event as received.
type Event struct {
	EventType      string            `json:"eventType"`
	Title          string            `json:"title"`
	EntitySelector string            `json:"entitySelector"`
	StartTime      int64             `json:"startTime"`
	EndTime        int64             `json:"endTime"`
	Timeout        int               `json:"timeout"`
	Properties     map[string]string `json:"properties"`
}

// Call is one request the fake received. Op is one of get-problem,
// add-comment, list-comments, close, ingest.
type Call = fakeapi.Call

// Server is the fake Dynatrace environment.
type Server struct {
	fakeapi.Recorder
	URL string
	tok string

	mu       sync.Mutex
	problems []*Problem
	events   []Event
	seq      int
	// PageSize is the most comments per page of a comment list (default 2,
	// so that tests exercise nextPageKey).
	PageSize int
}

// New starts a fake that accepts the API token token. It stops when the
// test ends, and the test fails if a request broke the documented
// contract, unless the test collected the problems with Problems.
func New(tb testing.TB, token string) *Server {
	s := &Server{tok: token, PageSize: 2}
	s.URL = fakeapi.Start(tb, "fakedynatrace", &s.Recorder, s.handle).URL
	return s
}

// AddProblem adds or replaces a problem.
func (s *Server) AddProblem(p Problem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Status == "" {
		p.Status = "OPEN"
	}
	s.problems = fakeapi.Upsert(s.problems, &p, func(x *Problem) bool { return x.ID == p.ID })
}

// Problem returns a copy of a problem's state.
func (s *Server) Problem(id string) (Problem, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.find(id); p != nil {
		c := *p
		c.Comments = append([]Comment(nil), p.Comments...)
		return c, true
	}
	return Problem{}, false
}

// Events returns the ingested events.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, call *fakeapi.Call, body []byte) int {
	if r.Header.Get("Authorization") != "Api-Token "+s.tok {
		return errReply(w, http.StatusUnauthorized, "Missing authorization parameter.", nil)
	}
	if f, ok := s.NextFailure(); ok {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		return errReply(w, f.Status, http.StatusText(f.Status), nil)
	}
	if len(body) > 1<<20 {
		return s.bad(w, http.StatusRequestEntityTooLarge, "payload over 1 MB")
	}
	if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return s.bad(w, http.StatusUnsupportedMediaType, "Content-Type %q, want application/json", r.Header.Get("Content-Type"))
	}
	if r.Method == http.MethodGet && len(body) > 0 {
		return s.bad(w, http.StatusBadRequest, "GET with a body")
	}
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if len(segs) < 3 || segs[0] != "api" || segs[1] != "v2" {
		return s.bad(w, http.StatusNotFound, "unknown path %s", r.URL.EscapedPath())
	}
	if len(segs) == 4 && segs[2] == "events" && segs[3] == "ingest" {
		call.Op = "ingest"
		if r.Method != http.MethodPost {
			return s.bad(w, http.StatusMethodNotAllowed, "%s events/ingest", r.Method)
		}
		return s.ingest(w, r.URL.Query(), body)
	}
	if segs[2] != "problems" || len(segs) < 4 {
		return s.bad(w, http.StatusNotFound, "unknown path %s", r.URL.EscapedPath())
	}
	pid, _ := url.PathUnescape(segs[3])
	call.Identifier = pid
	switch {
	case len(segs) == 4 && r.Method == http.MethodGet:
		call.Op = "get-problem"
		return s.getProblem(w, r.URL.Query(), pid)
	case len(segs) == 5 && segs[4] == "comments" && r.Method == http.MethodPost:
		call.Op = "add-comment"
		return s.addComment(w, r.URL.Query(), pid, body)
	case len(segs) == 5 && segs[4] == "comments" && r.Method == http.MethodGet:
		call.Op = "list-comments"
		return s.listComments(w, r.URL.Query(), pid)
	case len(segs) == 5 && segs[4] == "close" && r.Method == http.MethodPost:
		call.Op = "close"
		return s.close(w, r.URL.Query(), pid, body)
	}
	return s.bad(w, http.StatusNotFound, "%s %s: no such operation", r.Method, r.URL.EscapedPath())
}

func (s *Server) noQuery(w http.ResponseWriter, q url.Values, op string) (int, bool) {
	if len(q) > 0 {
		return s.bad(w, http.StatusBadRequest, "%s: unexpected query %s", op, q.Encode()), false
	}
	return 0, true
}

func (s *Server) getProblem(w http.ResponseWriter, q url.Values, pid string) int {
	for k := range q {
		if k != "fields" {
			return s.bad(w, http.StatusBadRequest, "get problem: unknown query parameter %q", k)
		}
	}
	for _, f := range strings.Split(q.Get("fields"), ",") {
		switch f {
		case "", "evidenceDetails", "impactAnalysis", "recentComments":
		default:
			return s.bad(w, http.StatusBadRequest, "get problem: unknown field %q", f)
		}
	}
	s.mu.Lock()
	p := s.find(pid)
	var out map[string]any
	if p != nil {
		var impacted []map[string]any
		for _, e := range p.Impacted {
			impacted = append(impacted, map[string]any{"entityId": map[string]string{"id": e.ID, "type": e.Type}, "name": e.Name})
		}
		end := int64(-1)
		if p.Status != "OPEN" {
			end = time.Now().UnixMilli()
		}
		out = map[string]any{"problemId": p.ID, "displayId": p.DisplayID, "title": p.Title, "impactLevel": "SERVICE",
			"severityLevel": "ERROR", "status": p.Status, "startTime": 1715950860000, "endTime": end,
			"affectedEntities": impacted, "impactedEntities": impacted, "rootCauseEntity": nil,
			"managementZones": []any{}, "entityTags": []any{}, "problemFilters": []any{},
			"evidenceDetails": map[string]any{"totalCount": 0, "details": []any{}},
			"impactAnalysis":  map[string]any{"impacts": []any{}},
			"recentComments":  map[string]any{"totalCount": len(p.Comments), "pageSize": 5, "comments": []any{}}}
	}
	s.mu.Unlock()
	if p == nil {
		return errReply(w, http.StatusNotFound, "The requested problem ID "+pid+" does not exist.", nil)
	}
	return reply(w, http.StatusOK, out)
}

func (s *Server) addComment(w http.ResponseWriter, q url.Values, pid string, body []byte) int {
	if st, ok := s.noQuery(w, q, "add comment"); !ok {
		return st
	}
	var b struct {
		Message *string `json:"message"`
		Context *string `json:"context"`
	}
	if msg := fakeapi.Decode(body, &b, true); msg != "" {
		return s.bad(w, http.StatusBadRequest, "add comment: %s", msg)
	}
	if b.Message == nil || strings.TrimSpace(*b.Message) == "" {
		return s.bad(w, http.StatusBadRequest, "add comment: message: required")
	}
	s.mu.Lock()
	p := s.find(pid)
	var c Comment
	if p != nil {
		s.seq++
		c = Comment{ID: strconv.Itoa(s.seq), Content: *b.Message, AuthorName: "alexis-token", CreatedAtTimestamp: time.Now().UnixMilli()}
		if b.Context != nil {
			c.Context = *b.Context
		}
		p.Comments = append(p.Comments, c)
	}
	s.mu.Unlock()
	if p == nil {
		return errReply(w, http.StatusNotFound, "The requested problem ID "+pid+" does not exist.", nil)
	}
	return reply(w, http.StatusCreated, commentJSON(c))
}

func commentJSON(c Comment) map[string]any {
	return map[string]any{"id": c.ID, "createdAtTimestamp": c.CreatedAtTimestamp, "authorName": c.AuthorName,
		"content": c.Content, "context": c.Context}
}

func (s *Server) listComments(w http.ResponseWriter, q url.Values, pid string) int {
	start := 0
	if key := q.Get("nextPageKey"); key != "" {
		if len(q) != 1 {
			return s.bad(w, http.StatusBadRequest, "list comments: nextPageKey must be the only query parameter, got %s", q.Encode())
		}
		kpid, rest, _ := strings.Cut(key, "@")
		var err error
		start, err = strconv.Atoi(rest)
		if err != nil || kpid != pid {
			return s.bad(w, http.StatusBadRequest, "list comments: nextPageKey %q is not one this problem gave", key)
		}
	} else {
		for k := range q {
			if k != "pageSize" {
				return s.bad(w, http.StatusBadRequest, "list comments: unknown query parameter %q", k)
			}
		}
		if ps := q.Get("pageSize"); ps != "" {
			if n, err := strconv.Atoi(ps); err != nil || n < 1 || n > 500 {
				return s.bad(w, http.StatusBadRequest, "list comments: pageSize %q out of 1..500", ps)
			}
		}
	}
	s.mu.Lock()
	p := s.find(pid)
	var page []map[string]any
	total, next := 0, ""
	if p != nil {
		total = len(p.Comments)
		end := min(start+s.PageSize, total)
		for _, c := range p.Comments[min(start, total):end] {
			page = append(page, commentJSON(c))
		}
		if end < total {
			next = pid + "@" + strconv.Itoa(end)
		}
	}
	s.mu.Unlock()
	if p == nil {
		return errReply(w, http.StatusNotFound, "The requested problem ID "+pid+" does not exist.", nil)
	}
	out := map[string]any{"comments": page, "totalCount": total, "pageSize": s.PageSize}
	if next != "" {
		out["nextPageKey"] = next
	}
	return reply(w, http.StatusOK, out)
}

func (s *Server) close(w http.ResponseWriter, q url.Values, pid string, body []byte) int {
	if st, ok := s.noQuery(w, q, "close"); !ok {
		return st
	}
	var b struct {
		Message *string `json:"message"`
	}
	if msg := fakeapi.Decode(body, &b, true); msg != "" {
		return s.bad(w, http.StatusBadRequest, "close: %s", msg)
	}
	if b.Message == nil {
		return s.bad(w, http.StatusBadRequest, "close: message: required")
	}
	s.mu.Lock()
	p := s.find(pid)
	already := p != nil && p.Status != "OPEN"
	if p != nil && !already {
		p.Status = "CLOSED"
		s.seq++
		p.Comments = append(p.Comments, Comment{ID: strconv.Itoa(s.seq), Content: *b.Message, AuthorName: "alexis-token"})
	}
	s.mu.Unlock()
	switch {
	case p == nil:
		return errReply(w, http.StatusNotFound, "The requested problem ID "+pid+" does not exist.", nil)
	case already:
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent
	}
	return reply(w, http.StatusOK, map[string]any{"problemId": pid, "closing": true, "closeTimestamp": time.Now().UnixMilli(),
		"comment": map[string]any{"content": *b.Message}})
}

var eventTypes = map[string]bool{"AVAILABILITY_EVENT": true, "CUSTOM_ALERT": true, "CUSTOM_ANNOTATION": true,
	"CUSTOM_CONFIGURATION": true, "CUSTOM_DEPLOYMENT": true, "CUSTOM_INFO": true, "ERROR_EVENT": true,
	"MARKED_FOR_TERMINATION": true, "PERFORMANCE_EVENT": true, "RESOURCE_CONTENTION_EVENT": true}

// opening are the event types that open problems; Alexis must never send them.
var opening = map[string]bool{"AVAILABILITY_EVENT": true, "CUSTOM_ALERT": true, "ERROR_EVENT": true,
	"PERFORMANCE_EVENT": true, "RESOURCE_CONTENTION_EVENT": true}

func (s *Server) ingest(w http.ResponseWriter, q url.Values, body []byte) int {
	if st, ok := s.noQuery(w, q, "ingest"); !ok {
		return st
	}
	var ev Event
	if msg := fakeapi.Decode(body, &ev, true); msg != "" {
		return s.bad(w, http.StatusBadRequest, "ingest: %s", msg)
	}
	switch {
	case !eventTypes[ev.EventType]:
		return s.bad(w, http.StatusBadRequest, "ingest: eventType %q unknown or missing", ev.EventType)
	case opening[ev.EventType]:
		return s.bad(w, http.StatusBadRequest, "ingest: eventType %s would open a problem", ev.EventType)
	case strings.TrimSpace(ev.Title) == "":
		return s.bad(w, http.StatusBadRequest, "ingest: title: required")
	case ev.EntitySelector != "" && !validSelector(ev.EntitySelector):
		return s.bad(w, http.StatusBadRequest, "ingest: entitySelector %q is not entityId(\"TYPE-HEX\")", ev.EntitySelector)
	}
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.seq++
	id := fmt.Sprintf("bc7e2e3ed951%04x", s.seq)
	s.mu.Unlock()
	return reply(w, http.StatusCreated, map[string]any{"reportCount": 1,
		"eventIngestResults": []map[string]string{{"correlationId": id, "status": "OK"}}})
}

// validSelector accepts entityId("TYPE-0123456789ABCDEF"), the only form Alexis sends.
func validSelector(sel string) bool {
	in, ok := strings.CutPrefix(sel, `entityId("`)
	if !ok {
		return false
	}
	id, ok := strings.CutSuffix(in, `")`)
	typ, hex, found := strings.Cut(id, "-")
	if !ok || !found || typ == "" || len(hex) != 16 {
		return false
	}
	for _, c := range typ {
		if !(c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	for _, c := range hex {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *Server) find(pid string) *Problem {
	for _, p := range s.problems {
		if p.ID == pid {
			return p
		}
	}
	return nil
}

func (s *Server) bad(w http.ResponseWriter, status int, format string, args ...any) int {
	msg := s.Violation(format, args...)
	return errReply(w, status, msg, []map[string]string{{"path": "body", "message": msg, "parameterLocation": "PAYLOAD_BODY"}})
}

func errReply(w http.ResponseWriter, status int, msg string, violations any) int {
	e := map[string]any{"code": status, "message": msg}
	if violations != nil {
		e["constraintViolations"] = violations
	}
	return reply(w, status, map[string]any{"error": e})
}

func reply(w http.ResponseWriter, status int, body any) int {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
	return status
}
