package fakeopsgenie

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
	"unicode/utf8"

	"github.com/alexis-project/alexis/internal/fakeapi"
)

// Alert is the fake's state of one alert.
type Alert struct {
	ID, TinyID, Alias, Message string
	Status                     string // open or closed
	Acknowledged               bool
	Tags                       []string
	Details                    map[string]string
	Notes                      []string
	Teams                      []string // team names or ids, in order added
	Responders                 []string // "type:name-or-id"
	Escalations                []string
}

// Call is one request the fake received. Op is one of notes, tags,
// details, teams, responders, escalate, acknowledge, close, get,
// request-status.
type Call = fakeapi.Call

// Server is the fake OpsGenie.
type Server struct {
	fakeapi.Recorder
	URL string
	key string

	mu       sync.Mutex
	alerts   []*Alert
	requests map[string]*reqState
	seq      int
	// NotProcessedPolls is how many polls of each request status answer
	// 404 RequestNotProcessed before the outcome (default 1).
	NotProcessedPolls int
}

type reqState struct {
	polls   int
	success bool
	action  string
	status  string
	alertID string
	alias   string
}

// New starts a fake that accepts the API key key. It stops when the test
// ends, and the test fails if a request broke the documented contract,
// unless the test collected the problems with Problems.
func New(tb testing.TB, key string) *Server {
	s := &Server{key: key, requests: map[string]*reqState{}, NotProcessedPolls: 1}
	s.URL = fakeapi.Start(tb, "fakeopsgenie", &s.Recorder, s.handle).URL
	return s
}

// AddAlert adds or replaces an alert.
func (s *Server) AddAlert(a Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Status == "" {
		a.Status = "open"
	}
	s.alerts = fakeapi.Upsert(s.alerts, &a, func(x *Alert) bool { return x.ID == a.ID })
}

// Alert returns a copy of the alert with id.
func (s *Server) Alert(id string) (Alert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.alerts {
		if a.ID == id {
			c := *a
			c.Tags = append([]string(nil), a.Tags...)
			c.Notes = append([]string(nil), a.Notes...)
			c.Teams = append([]string(nil), a.Teams...)
			c.Escalations = append([]string(nil), a.Escalations...)
			c.Responders = append([]string(nil), a.Responders...)
			return c, true
		}
	}
	return Alert{}, false
}

// SetStatus changes an alert's status (open, closed), as a person would.
func (s *Server) SetStatus(id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.alerts {
		if a.ID == id {
			a.Status = status
		}
	}
}

// Limits of the Alert API that the fake enforces.
const (
	maxNote    = 25000
	maxTags    = 20
	maxTagLen  = 50
	maxDetails = 8000
	maxUser    = 100
	maxSource  = 100
)

type common struct {
	User   *string `json:"user"`
	Source *string `json:"source"`
	Note   *string `json:"note"`
}

// Bodies of the write operations, as documented; unknown fields are rejected.
type (
	noteBody struct {
		Note   *string `json:"note"`
		User   *string `json:"user"`
		Source *string `json:"source"`
	}
	tagsBody struct {
		Tags []string `json:"tags"`
		common
	}
	detailsBody struct {
		Details map[string]string `json:"details"`
		common
	}
	teamBody struct {
		Team *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"team"`
		common
	}
	responderBody struct {
		Responder *struct {
			Type     string `json:"type"`
			ID       string `json:"id"`
			Name     string `json:"name"`
			Username string `json:"username"`
		} `json:"responder"`
		common
	}
	escalateBody struct {
		Escalation *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"escalation"`
		common
	}
)

// handle answers one request and returns the status it wrote.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, call *fakeapi.Call, body []byte) int {
	if r.Header.Get("Authorization") != "GenieKey "+s.key {
		return reply(w, http.StatusUnauthorized, map[string]any{"message": "Could not authenticate", "took": 0, "requestId": s.newID()}, nil)
	}
	if f, ok := s.NextFailure(); ok {
		h := http.Header{}
		if f.RetryAfter != "" {
			h.Set("Retry-After", f.RetryAfter)
		}
		return reply(w, f.Status, map[string]any{"message": http.StatusText(f.Status), "took": 0, "requestId": s.newID()}, h)
	}

	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if len(segs) < 3 || segs[0] != "v2" || segs[1] != "alerts" {
		return s.bad(w, http.StatusNotFound, "unknown path %s", r.URL.EscapedPath())
	}
	if len(segs) == 4 && segs[2] == "requests" {
		call.Op = "request-status"
		if r.Method != http.MethodGet {
			return s.bad(w, http.StatusMethodNotAllowed, "%s on request status", r.Method)
		}
		id, _ := url.PathUnescape(segs[3])
		return s.requestStatus(w, id)
	}
	ident, err := url.PathUnescape(segs[2])
	if err != nil {
		return s.bad(w, http.StatusBadRequest, "bad identifier escaping %q", segs[2])
	}
	call.Identifier = ident
	idType, ok := s.checkQuery(r.URL.Query())
	if !ok {
		return s.bad(w, http.StatusUnprocessableEntity, "query %q: want only identifierType=id|tiny|alias", r.URL.RawQuery)
	}
	if len(segs) == 3 {
		call.Op = "get"
		if r.Method != http.MethodGet {
			return s.bad(w, http.StatusMethodNotAllowed, "%s /v2/alerts/{id}", r.Method)
		}
		if len(body) > 0 {
			return s.bad(w, http.StatusBadRequest, "GET with a body")
		}
		return s.get(w, ident, idType)
	}
	if len(segs) != 4 {
		return s.bad(w, http.StatusNotFound, "unknown path %s", r.URL.EscapedPath())
	}
	call.Op = segs[3]
	if r.Method != http.MethodPost {
		return s.bad(w, http.StatusMethodNotAllowed, "%s %s: want POST", r.Method, call.Op)
	}
	if len(body) > 0 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return s.bad(w, http.StatusUnsupportedMediaType, "%s: Content-Type %q, want application/json", call.Op, r.Header.Get("Content-Type"))
	}
	return s.write(w, call.Op, ident, idType, body)
}

func (s *Server) checkQuery(q url.Values) (string, bool) {
	for k := range q {
		if k != "identifierType" {
			return "", false
		}
	}
	t := q.Get("identifierType")
	switch {
	case len(q["identifierType"]) > 1:
		return "", false
	case t == "":
		return "id", true
	case t == "id" || t == "tiny" || t == "alias":
		return t, true
	}
	return "", false
}

// write validates a write body, applies it and answers 202.
func (s *Server) write(w http.ResponseWriter, op, ident, idType string, body []byte) int {
	var c *common
	var apply func(a *Alert)
	var problem string
	switch op {
	case "notes":
		var b noteBody
		problem = fakeapi.Decode(body, &b, true)
		if problem == "" && (b.Note == nil || strings.TrimSpace(*b.Note) == "") {
			problem = "note: required"
		}
		c = &common{User: b.User, Source: b.Source, Note: b.Note}
		apply = func(a *Alert) { a.Notes = append(a.Notes, *b.Note) }
	case "tags":
		var b tagsBody
		problem = fakeapi.Decode(body, &b, true)
		c = &b.common
		if problem == "" {
			problem = checkTags(b.Tags)
		}
		apply = func(a *Alert) {
			for _, t := range b.Tags {
				if !contains(a.Tags, t) {
					a.Tags = append(a.Tags, t)
				}
			}
		}
	case "details":
		var b detailsBody
		problem = fakeapi.Decode(body, &b, true)
		c = &b.common
		if problem == "" {
			problem = checkDetails(b.Details)
		}
		apply = func(a *Alert) {
			if a.Details == nil {
				a.Details = map[string]string{}
			}
			for k, v := range b.Details {
				a.Details[k] = v
			}
		}
	case "teams":
		var b teamBody
		problem = fakeapi.Decode(body, &b, true)
		c = &b.common
		if problem == "" && (b.Team == nil || b.Team.ID == "" && b.Team.Name == "") {
			problem = "team: id or name required"
		}
		apply = func(a *Alert) { a.Teams = append(a.Teams, b.Team.Name+b.Team.ID) }
	case "responders":
		var b responderBody
		problem = fakeapi.Decode(body, &b, true)
		c = &b.common
		switch {
		case problem != "":
		case b.Responder == nil:
			problem = "responder: required"
		case b.Responder.Type != "team" && b.Responder.Type != "user":
			problem = "responder.type: must be team or user"
		case b.Responder.ID == "" && b.Responder.Name == "" && b.Responder.Username == "":
			problem = "responder: id, name or username required"
		}
		apply = func(a *Alert) {
			a.Responders = append(a.Responders, b.Responder.Type+":"+b.Responder.ID+b.Responder.Name+b.Responder.Username)
		}
	case "escalate":
		var b escalateBody
		problem = fakeapi.Decode(body, &b, true)
		c = &b.common
		if problem == "" && (b.Escalation == nil || b.Escalation.ID == "" && b.Escalation.Name == "") {
			problem = "escalation: id or name required"
		}
		apply = func(a *Alert) { a.Escalations = append(a.Escalations, b.Escalation.Name+b.Escalation.ID) }
	case "acknowledge", "close":
		var b common
		problem = fakeapi.Decode(body, &b, false)
		c = &b
		apply = func(a *Alert) {
			if op == "close" {
				a.Status = "closed"
			} else {
				a.Acknowledged = true
			}
		}
	default:
		return s.bad(w, http.StatusNotFound, "unknown operation %q", op)
	}
	if problem == "" {
		problem = checkCommon(c)
	}
	if problem != "" {
		return s.bad(w, http.StatusUnprocessableEntity, "%s: %s", op, problem)
	}
	id := s.newID()
	s.mu.Lock()
	st := &reqState{action: actionName(op)}
	if a := s.find(ident, idType); a != nil {
		apply(a)
		if c.Note != nil && op != "notes" && *c.Note != "" {
			a.Notes = append(a.Notes, *c.Note)
		}
		st.success, st.status, st.alertID, st.alias = true, st.action+" done", a.ID, a.Alias
	} else {
		st.status = "Alert does not exist"
	}
	s.requests[id] = st
	s.mu.Unlock()
	h := http.Header{"X-Request-Id": {id}}
	return reply(w, http.StatusAccepted, map[string]any{"result": "Request will be processed", "took": 0.01, "requestId": id}, h)
}

func checkCommon(c *common) string {
	switch {
	case c.User == nil || *c.User == "":
		return "user: Alexis always sends it"
	case c.Source == nil || *c.Source == "":
		return "source: Alexis always sends it"
	case utf8.RuneCountInString(*c.User) > maxUser:
		return "user: longer than 100 characters"
	case utf8.RuneCountInString(*c.Source) > maxSource:
		return "source: longer than 100 characters"
	case c.Note != nil && utf8.RuneCountInString(*c.Note) > maxNote:
		return "note: longer than 25000 characters"
	}
	return ""
}

func checkTags(tags []string) string {
	switch {
	case len(tags) == 0:
		return "tags: required"
	case len(tags) > maxTags:
		return fmt.Sprintf("tags: %d tags, at most 20", len(tags))
	}
	for _, t := range tags {
		if t == "" || utf8.RuneCountInString(t) > maxTagLen {
			return fmt.Sprintf("tags: %q is empty or longer than 50 characters", t)
		}
	}
	return ""
}

func checkDetails(d map[string]string) string {
	if len(d) == 0 {
		return "details: required"
	}
	n := 0
	for k, v := range d {
		n += utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
	}
	if n > maxDetails {
		return fmt.Sprintf("details: %d characters in total, at most 8000", n)
	}
	return ""
}

func actionName(op string) string {
	switch op {
	case "notes":
		return "AddNote"
	case "tags":
		return "AddTags"
	case "details":
		return "AddDetails"
	case "teams":
		return "AddTeam"
	case "responders":
		return "AddResponder"
	}
	return strings.ToUpper(op[:1]) + op[1:]
}

func (s *Server) find(ident, idType string) *Alert {
	for _, a := range s.alerts {
		if idType == "id" && a.ID == ident || idType == "tiny" && a.TinyID == ident || idType == "alias" && a.Alias == ident {
			return a
		}
	}
	return nil
}

func (s *Server) get(w http.ResponseWriter, ident, idType string) int {
	s.mu.Lock()
	a := s.find(ident, idType)
	var data map[string]any
	if a != nil {
		data = map[string]any{"id": a.ID, "tinyId": a.TinyID, "alias": a.Alias, "message": a.Message,
			"status": a.Status, "acknowledged": a.Acknowledged, "isSeen": true, "tags": append([]string{}, a.Tags...),
			"snoozed": false, "count": 1, "createdAt": "2026-11-29T10:35:00.412Z", "updatedAt": "2026-11-29T10:36:00.488Z",
			"source": "Dynatrace", "owner": "", "priority": "P3", "responders": []any{}, "details": a.Details,
			"integration": map[string]string{"id": "i-1", "name": "Dynatrace", "type": "Dynatrace"}}
	}
	s.mu.Unlock()
	if a == nil {
		return reply(w, http.StatusNotFound, map[string]any{"message": "Alert does not exist", "took": 0.001, "requestId": s.newID()}, nil)
	}
	return reply(w, http.StatusOK, map[string]any{"data": data, "took": 0.003, "requestId": s.newID()}, nil)
}

func (s *Server) requestStatus(w http.ResponseWriter, id string) int {
	s.mu.Lock()
	st, ok := s.requests[id]
	notYet := ok && st.polls < s.NotProcessedPolls
	if ok {
		st.polls++
	}
	s.mu.Unlock()
	if !ok || notYet {
		return reply(w, http.StatusNotFound, map[string]any{"message": "Request not processed yet", "took": 0.001, "requestId": s.newID()},
			http.Header{"X-Opsgenie-Errortype": {"RequestNotProcessed"}})
	}
	return reply(w, http.StatusOK, map[string]any{"data": map[string]any{
		"success": st.success, "action": st.action, "processedAt": time.Now().UTC().Format(time.RFC3339Nano),
		"integrationId": "i-1", "isSuccess": st.success, "status": st.status, "alertId": st.alertID, "alias": st.alias,
	}, "took": 0.01, "requestId": id}, nil)
}

// bad records a contract violation and answers with OpsGenie's error shape.
func (s *Server) bad(w http.ResponseWriter, status int, format string, args ...any) int {
	msg := s.Violation(format, args...)
	return reply(w, status, map[string]any{"message": msg, "took": 0.001, "requestId": s.newID()}, nil)
}

func (s *Server) newID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("43a29c5c-3dbf-4fa4-9c26-%012d", s.seq)
}

func reply(w http.ResponseWriter, status int, body any, h http.Header) int {
	for k, v := range h {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Response-Time", strconv.Itoa(1))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
	return status
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
