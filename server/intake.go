package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alexis-project/alexis/internal/jsonw"
	"github.com/alexis-project/alexis/internal/payload"

	"github.com/alexis-project/alexis"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// MaxDepth is how deeply JSON bodies may nest objects and arrays.
const MaxDepth = payload.MaxDepth

// Accepted is the answer to a webhook: one receipt per event the body
// held (an Alertmanager group holds several). ID is the first event's.
type Accepted struct {
	ID     int64            `json:"id"`
	Events []alexis.Receipt `json:"events"`
}

// intake returns the handler of one source's webhook: check and parse the
// body, store the events durably, then answer 202 with their IDs (200 when
// every event is to be ignored). Nothing is answered 2xx before the events
// are committed.
func (s *Server) intake(src alexis.Source) echo.HandlerFunc {
	// The series every accepted request touches, looked up once (they are
	// exported at 0 from the start, as Prometheus recommends).
	counted := map[string]prometheus.Counter{}
	for _, result := range []string{"accepted", "duplicate", "ignored"} {
		counted[result] = s.metrics.events.WithLabelValues(string(src), result)
	}
	intakeTime := s.metrics.intake.WithLabelValues(string(src))
	return func(c echo.Context) error {
		start := time.Now()
		evs, err := s.readEvents(c, src)
		if err != nil {
			s.metrics.events.WithLabelValues(string(src), alexis.ErrorCode(err)).Inc()
			return err
		}
		if s.writing.Add(1) >= burstWriters {
			s.burstAt.Store(max(int64(time.Since(epoch)), 1))
		}
		rcs, err := s.store.Enqueue(c.Request().Context(), evs)
		s.writing.Add(-1)
		if err != nil {
			s.metrics.events.WithLabelValues(string(src), alexis.EINTERNAL).Inc()
			return err
		}
		status := http.StatusOK
		for _, rc := range rcs {
			result := "accepted"
			switch {
			case rc.Duplicate:
				result = "duplicate"
			case rc.Ignored != "":
				result = "ignored"
			}
			counted[result].Inc()
			if rc.Ignored == "" {
				status = http.StatusAccepted
			}
		}
		intakeTime.Observe(time.Since(start).Seconds())
		return c.JSONBlob(status, appendAccepted(make([]byte, 0, 64+96*len(rcs)), Accepted{ID: rcs[0].ID, Events: rcs}))
	}
}

// appendAccepted appends the JSON of a, as encoding/json writes it (and
// Echo's c.JSON, with its newline), without reflection: every request
// answers with it (TestAppendAcceptedMatchesMarshal).
func appendAccepted(b []byte, a Accepted) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"events":`...)
	if a.Events == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range a.Events {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = strconv.AppendInt(b, r.ID, 10)
			b = append(b, `,"key":`...)
			b = jsonw.AppendString(b, r.Key)
			b = append(b, `,"status":`...)
			b = jsonw.AppendString(b, r.Status)
			if r.Duplicate {
				b = append(b, `,"duplicate":true`...)
			}
			if r.Ignored != "" {
				b = append(b, `,"ignored":`...)
				b = jsonw.AppendString(b, r.Ignored)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// readEvents reads, checks and parses the body of a request from src.
func (s *Server) readEvents(c echo.Context, src alexis.Source) ([]*alexis.Event, error) {
	body, err := s.readBody(c)
	if err != nil {
		return nil, err
	}
	evs, err := s.parse(src, body)
	if err != nil {
		// The parsers check the body too (package internal/payload); this
		// finer check runs only on failure, to say where a syntax error is.
		if cerr := CheckJSON(body); cerr != nil {
			return nil, cerr
		}
		if alexis.ErrorCode(err) == alexis.EINTERNAL {
			return nil, &alexis.Error{Code: alexis.EINVALID, Message: fmt.Sprintf("%s payload", src), Err: err}
		}
		return nil, err
	}
	if len(evs) == 0 {
		return nil, alexis.Errorf(alexis.EINVALID, "the %s payload holds no alert", src)
	}
	now := s.now()
	for _, ev := range evs {
		if ev.Received.IsZero() {
			ev.Received = now
		}
		if len(ev.Raw) == 0 {
			ev.Raw = body
		}
	}
	return evs, nil
}

// readBody enforces the content type (JSON) and the size limit. UTF-8,
// nesting depth and syntax are checked by the parser and, when it fails,
// by CheckJSON.
func (s *Server) readBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	limit := int64(s.cfg.BodyLimit)
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	body, err := readAll(http.MaxBytesReader(c.Response(), r.Body, limit), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, alexis.Errorf(alexis.EINVALID, "reading the body: %v", err)
	}
	return body, nil
}

// readAll is io.ReadAll with the buffer sized from the Content-Length
// (already checked against the limit) when there is one: one allocation
// instead of a growing series.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1) // +1: reading EOF needs no growth
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than announced: grow
		}
	}
}

func tooLarge(limit int64) error {
	return alexis.Errorf(alexis.ETOOLARGE, "body larger than the limit of %d bytes", limit)
}

func checkContentType(ct string) error {
	if ct == "" {
		return alexis.Errorf(alexis.EUNSUPPORTED, "Content-Type must be application/json; none given")
	}
	if ct == "application/json" { // what every sender sends: no need to parse it
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return alexis.Errorf(alexis.EUNSUPPORTED, "Content-Type must be application/json, not %q", ct)
	}
	return nil
}

// CheckJSON checks that body is one well-formed JSON object in valid
// UTF-8, nesting at most MaxDepth levels (the bounds every parser shares,
// package internal/payload), and says where a syntax error is, as
// line:column. Errors have code invalid (too_large past 1 MiB).
func CheckJSON(body []byte) error {
	if err := payload.Check(body); err != nil {
		return err
	}
	if json.Valid(body) {
		return nil
	}
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := int(se.Offset)
		if off > 0 && off < len(body) {
			off-- // Offset counts the bytes read, the bad one included
		}
		line, col := lineCol(body, off)
		return alexis.Errorf(alexis.EINVALID, "malformed JSON at %d:%d: %s", line, col, strings.TrimPrefix(se.Error(), "json: "))
	}
	return alexis.Errorf(alexis.EINVALID, "malformed JSON")
}

// lineCol converts a byte offset to a 1-based line and column (in runes).
func lineCol(b []byte, off int) (int, int) {
	if off > len(b) {
		off = len(b)
	}
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if b[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	return line, utf8.RuneCount(b[start:off]) + 1
}

// sourceOf names the source of an intake path, for metrics.
func sourceOf(path string) string {
	switch path {
	case "/v1/opsgenie":
		return string(alexis.SourceOpsGenie)
	case "/v1/dynatrace":
		return string(alexis.SourceDynatrace)
	case "/v1/alertmanager":
		return string(alexis.SourceAlertmanager)
	case "/v1/events":
		return string(alexis.SourceGeneric)
	}
	return "none"
}

// plan answers POST /v1/plan?source=S: what the loaded rules would do with
// this payload. Nothing is stored and nothing runs.
func (s *Server) plan(c echo.Context) error {
	src := alexis.Source(c.QueryParam("source"))
	if !src.Valid() {
		return alexis.Errorf(alexis.EINVALID, "source: must be one of opsgenie, dynatrace, alertmanager, generic, not %q", src)
	}
	evs, err := s.readEvents(c, src)
	if err != nil {
		return err
	}
	plans := make([]alexis.Plan, len(evs))
	for i, ev := range evs {
		plans[i] = s.engine.Plan(ev)
	}
	return c.JSON(http.StatusOK, map[string]any{"rules_hash": s.RuleSet().Hash, "plans": plans})
}
