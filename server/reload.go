package server

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Reload loads the rules directory again and, if the new set is good,
// swaps it in atomically: events being handled finish with the set they
// started with. A bad set is refused and the previous one keeps serving;
// the error is returned, logged, counted in alexis_rule_reloads_total
// {result="error"} and shown as last_reload_error on /readyz and
// /v1/rules until a reload succeeds. The server stays ready meanwhile.
func (s *Server) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	rs, err := s.load(s.cfg.Rules)
	if err == nil {
		err = s.engine.Swap(s.journaled(rs))
	}
	if err != nil {
		s.metrics.reloads.WithLabelValues("error").Inc()
		s.reloadErr.Store(&reloadError{msg: err.Error(), at: s.now()})
		s.base.Error("rule reload failed; keeping the previous rules", "component", "reload", "dir", s.cfg.Rules, "err", err)
		return err
	}
	old := s.RuleSet()
	s.setRules(rs)
	s.reloadErr.Store(nil)
	s.metrics.reloads.WithLabelValues("ok").Inc()
	s.base.Info("rules reloaded", "component", "reload", "rules", len(rs.Rules), "hash", rs.Hash, "previous_hash", old.Hash)
	return nil
}

// watch reloads the rules when files in the rules directory (or its
// direct subdirectories) change, once the directory has been quiet for
// cfg.ReloadDebounce. It returns when ctx is done.
func (s *Server) watch(ctx context.Context) {
	log := s.base.With("component", "reload")
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Error("cannot watch the rules directory; reload with SIGHUP", "err", err)
		return
	}
	defer w.Close()
	dirs := []string{s.cfg.Rules}
	if entries, err := os.ReadDir(s.cfg.Rules); err == nil {
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(s.cfg.Rules, e.Name()))
			}
		}
	}
	for _, d := range dirs {
		if err := w.Add(d); err != nil {
			log.Error("cannot watch the rules directory; reload with SIGHUP", "dir", d, "err", err)
		}
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			log.Debug("rules directory changed", "file", ev.Name, "op", ev.Op.String())
			timer.Reset(s.cfg.ReloadDebounce)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			log.Warn("watch error", "err", err)
		case <-timer.C:
			_ = s.Reload() // logged and recorded by Reload
		}
	}
}
