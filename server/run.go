package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/config"
)

// NewLogger returns the logger the configuration asks for: logfmt-style
// key=value text (the default) or JSON, at the configured level, written
// to w.
func NewLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// RunConfig is `alexis serve`: it builds a server from cfg (logging to
// log, or to stderr as cfg.Log says when log is nil), checks the action
// credentials of the action types the rules use unless in dry-run mode,
// reloads the rules on SIGHUP, and serves until ctx is done.
func RunConfig(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) error {
	if log == nil {
		log = NewLogger(os.Stderr, cfg.Log)
	}
	srv, err := New(cfg, append([]Option{WithLogger(log)}, opts...)...)
	if err != nil {
		return err
	}
	defer srv.Close()
	if !cfg.DryRun {
		if err := builtin.CheckUsed(srv.ActionRegistry(), srv.RuleSet()); err != nil {
			return err
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				log.Info("SIGHUP: reloading rules", "component", "reload")
				_ = srv.Reload() // logged by Reload
			case <-ctx.Done():
				return
			}
		}
	}()
	return srv.Run(ctx)
}
