package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// statusOf maps every alexis error code to its HTTP status: the one table.
var statusOf = map[string]int{
	alexis.EINVALID:      http.StatusBadRequest,
	alexis.EUNAUTHORIZED: http.StatusUnauthorized,
	alexis.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	alexis.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	alexis.ENOTFOUND:     http.StatusNotFound,
	alexis.ECONFLICT:     http.StatusConflict,
	alexis.EINTERNAL:     http.StatusInternalServerError,
}

// Status returns the HTTP status for err, by its alexis error code.
func Status(err error) int {
	if st, ok := statusOf[alexis.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// errorBody is every error response: {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

// errorHandler answers every error as JSON with the status of its code.
// Unauthorized and internal errors carry no detail.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	st, msg := Status(err), ""
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		st = he.Code
		msg = strings.ToLower(http.StatusText(st))
		if m, ok := he.Message.(string); ok && st < 500 && m != http.StatusText(st) {
			msg = m
		}
	case st == http.StatusUnauthorized:
		msg = "unauthorized"
	case st == http.StatusInternalServerError:
		msg = "internal error"
		s.httpLog.Error("request failed", "path", c.Request().URL.Path, "err", err)
	default:
		var ae *alexis.Error
		if errors.As(err, &ae) {
			msg = ae.Error()
		} else {
			msg = err.Error()
		}
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(st)
		return
	}
	c.JSON(st, errorBody{Error: msg})
}

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.logRequests, middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.httpLog.Error("panic in handler", "path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return err
		}}))
	open := func(h echo.HandlerFunc) echo.HandlerFunc { return h }
	health, metrics := open, open
	if !*s.cfg.Auth.OpenHealth {
		health = s.auth
	}
	if !s.cfg.Auth.OpenMetrics {
		metrics = s.auth
	}
	e.GET("/healthz", health(s.healthz))
	e.GET("/readyz", health(s.readyz))
	e.GET("/metrics", metrics(echo.WrapHandler(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))))
	v1 := e.Group("/v1", s.auth)
	v1.POST("/opsgenie", s.intake(alexis.SourceOpsGenie))
	v1.POST("/dynatrace", s.intake(alexis.SourceDynatrace))
	v1.POST("/alertmanager", s.intake(alexis.SourceAlertmanager))
	v1.POST("/events", s.intake(alexis.SourceGeneric))
	v1.POST("/plan", s.plan)
	v1.GET("/rules", s.listRules)
	v1.GET("/executions", s.executions)
	v1.GET("/summary", s.summary)
	return e
}

// auth admits a request that presents one of the configured tokens, as
// "Authorization: Bearer TOKEN", in the configured header, or (when
// enabled) as ?token=. Every token is compared, in constant time, whatever
// matches. With no tokens configured (loopback only) everyone is admitted.
func (s *Server) auth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if len(s.tokens) == 0 {
			return next(c)
		}
		name, ok := s.client(s.presented(c.Request()))
		if !ok {
			s.metrics.events.WithLabelValues(sourceOf(c.Path()), "unauthorized").Inc()
			return alexis.Errorf(alexis.EUNAUTHORIZED, "unauthorized")
		}
		c.Set("client", name)
		return next(c)
	}
}

// trusted reports whether r may see internal details: no tokens are
// configured (loopback only), or r presents one.
func (s *Server) trusted(r *http.Request) bool {
	if len(s.tokens) == 0 {
		return true
	}
	_, ok := s.client(s.presented(r))
	return ok
}

func (s *Server) presented(r *http.Request) string {
	if v := r.Header.Get("Authorization"); len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	if h := s.cfg.Auth.Header; h != "" {
		if v := r.Header.Get(h); v != "" {
			return strings.TrimSpace(v)
		}
	}
	if *s.cfg.Auth.QueryToken {
		return r.URL.Query().Get("token")
	}
	return ""
}

// client returns the name of the client whose token t is. It compares the
// SHA-256 digests (fixed length) of t and of every token, all of them.
func (s *Server) client(t string) (string, bool) {
	if t == "" {
		return "", false
	}
	d := sha256.Sum256([]byte(t))
	found := -1
	for i, tok := range s.tokens {
		eq := subtle.ConstantTimeCompare(d[:], tok.digest[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return "", false
	}
	return s.tokens[found].name, true
}

// logRequests logs every request once it is answered, with the token
// query parameter removed from the URL.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		r := c.Request()
		h := s.httpLog.Handler()
		if !h.Enabled(r.Context(), slog.LevelInfo) {
			return nil
		}
		attrs := make([]slog.Attr, 0, 7)
		attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", c.Response().Status), slog.Int64("elapsed_ms", time.Since(start).Milliseconds()),
			slog.String("remote", r.RemoteAddr))
		if q := redactQuery(r.URL); q != "" {
			attrs = append(attrs, slog.String("query", q))
		}
		if name, ok := c.Get("client").(string); ok {
			attrs = append(attrs, slog.String("client", name))
		}
		// Straight to the handler: Logger.LogAttrs would also take the
		// caller's program counter (runtime.Callers, a fifth of the line's
		// cost), for a source attribute these loggers never write.
		rec := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
		rec.AddAttrs(attrs...)
		h.Handle(r.Context(), rec)
		return nil
	}
}

// redactQuery returns the query string without the token parameter.
func redactQuery(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "(unparsable)"
	}
	if _, ok := q["token"]; ok {
		q.Set("token", "REDACTED")
	}
	return q.Encode()
}
