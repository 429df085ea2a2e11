package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
)

// BenchmarkEnqueue measures durable intake alone: 32 goroutines enqueue
// one event each per call, sharing commits.
func BenchmarkEnqueue(b *testing.B) {
	for _, window := range []time.Duration{0, time.Millisecond} {
		b.Run(fmt.Sprintf("window=%v", window), func(b *testing.B) {
			db, _ := open(b, sqlite.WithBatch(window, 256))
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						ev := event(fmt.Sprint(i), "Create")
						if _, err := db.Enqueue(ctx, []*alexis.Event{ev}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkEnqueueWithWorkers is BenchmarkEnqueue with 4 workers claiming
// and finishing the events meanwhile, as in the server.
func BenchmarkEnqueueWithWorkers(b *testing.B) {
	db, _ := open(b)
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	run := alexis.TaskRun{Rule: "gc", Target: "web-01", Action: "ssh", Result: alexis.Result{Status: alexis.StatusDryRun, Started: time.Now()}}
	ws := startWorkers(b, db, 4, 1, []alexis.TaskRun{run})
	b.ResetTimer()
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if _, err := db.Enqueue(ctx, []*alexis.Event{event(fmt.Sprint(i), "Create")}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(ws.handled())/float64(b.N), "handled/event")
	ws.drainAndStop(b, db)
}
