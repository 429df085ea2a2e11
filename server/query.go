package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/labstack/echo/v4"
)

// RuleInfo describes one loaded rule for GET /v1/rules.
type RuleInfo struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Version     string          `json:"version,omitempty"`
	Enabled     bool            `json:"enabled"`
	File        string          `json:"file,omitempty"`
	Line        int             `json:"line,omitempty"`
	Sources     []alexis.Source `json:"sources,omitempty"`
	When        string          `json:"when,omitempty"`
	Tasks       []TaskInfo      `json:"tasks"`
	DryRun      bool            `json:"dry_run,omitempty"`
}

// TaskInfo is one task of a rule.
type TaskInfo struct {
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
}

// Rules is the answer of GET /v1/rules.
type Rules struct {
	Hash            string     `json:"hash"`
	Files           []string   `json:"files"`
	Loaded          time.Time  `json:"loaded"`
	LastReloadError string     `json:"last_reload_error,omitempty"`
	Rules           []RuleInfo `json:"rules"`
}

func (s *Server) listRules(c echo.Context) error {
	st := s.rules.Load()
	out := Rules{Hash: st.set.Hash, Files: st.set.Files, Loaded: st.loaded, Rules: []RuleInfo{}}
	if out.Files == nil {
		out.Files = []string{}
	}
	if re := s.reloadErr.Load(); re != nil {
		out.LastReloadError = re.msg
	}
	for _, r := range st.set.Rules {
		ri := RuleInfo{Name: r.Name, Description: r.Description, Version: r.Version, Enabled: r.Enabled,
			File: r.File, Line: r.Line, Sources: r.Sources, When: r.WhenText, DryRun: r.DryRun, Tasks: []TaskInfo{}}
		for _, t := range r.Tasks {
			ri.Tasks = append(ri.Tasks, TaskInfo{Action: t.Action, Reason: t.Reason})
		}
		out.Rules = append(out.Rules, ri)
	}
	return c.JSON(http.StatusOK, out)
}

// executions answers GET /v1/executions?rule=&target=&action=&status=&event=&since=&until=&limit=.
// since and until are RFC 3339 times or durations back from now (24h).
func (s *Server) executions(c echo.Context) error {
	f := alexis.ExecutionFilter{Rule: c.QueryParam("rule"), Target: c.QueryParam("target"),
		Action: c.QueryParam("action"), Status: alexis.Status(c.QueryParam("status"))}
	switch f.Status {
	case "", alexis.StatusSuccess, alexis.StatusFailure, alexis.StatusSkipped, alexis.StatusDryRun:
	default:
		return alexis.Errorf(alexis.EINVALID, "status: must be success, failure, skipped or dry-run, not %q", f.Status)
	}
	var err error
	if f.Since, err = s.timeParam(c, "since"); err != nil {
		return err
	}
	if f.Until, err = s.timeParam(c, "until"); err != nil {
		return err
	}
	if v := c.QueryParam("event"); v != "" {
		if f.EventID, err = strconv.ParseInt(v, 10, 64); err != nil || f.EventID <= 0 {
			return alexis.Errorf(alexis.EINVALID, "event: must be an event ID, not %q", v)
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit <= 0 {
			return alexis.Errorf(alexis.EINVALID, "limit: must be a positive number, not %q", v)
		}
	}
	xs, err := s.store.Executions(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"executions": xs})
}

// summary answers GET /v1/summary?since=24h: runs, success rate, mean and
// p95 duration per rule, action and target.
func (s *Server) summary(c echo.Context) error {
	since, err := s.timeParam(c, "since")
	if err != nil {
		return err
	}
	if since.IsZero() {
		since = s.now().Add(-24 * time.Hour)
	}
	st, err := s.store.Summary(c.Request().Context(), since)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"since": since.UTC(), "summary": st})
}

func (s *Server) timeParam(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return s.now().Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, alexis.Errorf(alexis.EINVALID, "%s: must be an RFC 3339 time or a duration such as 24h, not %q", name, v)
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Readiness is the answer of GET /readyz.
type Readiness struct {
	Status string `json:"status"` // ready, or not ready
	// Reason says why the server is not ready.
	Reason    string `json:"reason,omitempty"`
	Rules     int    `json:"rules"`
	RulesHash string `json:"rules_hash,omitempty"`
	// LastReloadError is set when the last reload failed: the server stays
	// ready, serving the previous rule set.
	LastReloadError string     `json:"last_reload_error,omitempty"`
	LastReloadAt    *time.Time `json:"last_reload_error_at,omitempty"`
	QueueDepth      int        `json:"queue_depth"`
}

// readyz is 200 when rules are loaded and the store takes writes, else 503
// with the reason. A failed reload does not make the server unready (the
// previous rules keep serving) but shows in last_reload_error.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
	defer cancel()
	r := Readiness{Status: "ready"}
	st := s.rules.Load()
	if st != nil {
		r.Rules, r.RulesHash = len(st.set.Rules), st.set.Hash
	}
	if re := s.reloadErr.Load(); re != nil {
		at := re.at.UTC()
		r.LastReloadError, r.LastReloadAt = re.msg, &at
	}
	r.QueueDepth, _ = s.store.QueueDepth(ctx)
	var reasons []string
	if s.draining.Load() {
		reasons = append(reasons, "shutting down")
	}
	if st == nil {
		reasons = append(reasons, "no rules loaded")
	}
	if err := s.store.Ping(ctx); err != nil {
		reasons = append(reasons, "store not writable: "+err.Error())
	}
	if !s.trusted(c.Request()) {
		// /readyz is open by default: without a client token it tells
		// whether, not why (file paths and parse errors stay inside).
		r.RulesHash = ""
		if r.LastReloadError != "" {
			r.LastReloadError = "the last rule reload failed; details with a client token or in the log"
		}
		for i, why := range reasons {
			if strings.HasPrefix(why, "store not writable") {
				reasons[i] = "store not writable"
			}
		}
	}
	if len(reasons) > 0 {
		r.Status, r.Reason = "not ready", strings.Join(reasons, "; ")
		return c.JSON(http.StatusServiceUnavailable, r)
	}
	return c.JSON(http.StatusOK, r)
}
