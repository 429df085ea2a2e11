package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/server"
	"github.com/labstack/echo/v4"
)

// nullStore answers every write at once: it isolates the CPU cost of the
// HTTP side of intake from the store's.
type nullStore struct{ server.Store }

func (nullStore) Enqueue(_ context.Context, evs []*alexis.Event) ([]alexis.Receipt, error) {
	out := make([]alexis.Receipt, len(evs))
	for i, ev := range evs {
		out[i] = alexis.Receipt{ID: int64(i + 1), Key: ev.Key(), Status: alexis.EventQueued}
	}
	return out, nil
}
func (nullStore) QueueDepth(context.Context) (int, error) { return 0, nil }
func (nullStore) Close() error                            { return nil }

// BenchmarkIntakeHandler measures the CPU of one /v1/opsgenie request in
// the handler (no network, no store) against the bare Echo handler.
func BenchmarkIntakeHandler(b *testing.B) {
	body := fixture(b, "opsgenie_create_duplicator_gc.json")
	run := func(b *testing.B, h http.Handler) {
		for i := 0; b.Loop(); i++ {
			req := httptest.NewRequest("POST", "/v1/opsgenie", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+testToken)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 202 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	}
	b.Run("bare", func(b *testing.B) {
		e := echo.New()
		e.POST("/v1/opsgenie", func(c echo.Context) error {
			io.ReadAll(c.Request().Body)
			return c.NoContent(202)
		})
		run(b, e)
	})
	b.Run("alexis", func(b *testing.B) {
		cfg := testConfig(b)
		writeBenchRules(b, cfg.Rules)
		cfg.DryRun = true
		srv, err := server.New(cfg, server.WithStore(nullStore{}), server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		if err != nil {
			b.Fatal(err)
		}
		run(b, srv.Handler())
	})
	_ = fmt.Sprint
	_ = time.Now
}
