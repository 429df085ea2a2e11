package ruletest

import (
	"context"
	"log/slog"
	"sync"
)

// warnings is the Engine's log handler during a run: it keeps the warnings
// and errors that name a rule (an expression that failed at run time), so
// that a case reports them instead of a log line going unseen.
type warnings struct {
	mu     sync.Mutex
	byRule map[string][]string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	var rule, msg string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "rule":
			rule = a.Value.String()
		case "err":
			msg = a.Value.String()
		}
		return true
	})
	if rule == "" {
		return nil
	}
	if msg != "" {
		msg = r.Message + ": " + msg
	} else {
		msg = r.Message
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byRule == nil {
		w.byRule = map[string][]string{}
	}
	w.byRule[rule] = append(w.byRule[rule], msg)
	return nil
}

func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

// take returns the warnings gathered since the last call.
func (w *warnings) take() map[string][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.byRule
	w.byRule = nil
	return m
}
