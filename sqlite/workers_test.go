package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
)

// workers runs n goroutines that claim up to per events at a time, count
// every claim, and finish each event with runs, as the server's workers do.
type workers struct {
	mu      sync.Mutex
	claimed map[int64]int
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startWorkers(tb testing.TB, db *sqlite.DB, n, per int, runs []alexis.TaskRun) *workers {
	ctx := context.Background()
	w := &workers{claimed: map[int64]int{}, stop: make(chan struct{})}
	for range n {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for {
				qs, err := db.Claim(ctx, per)
				if err != nil {
					tb.Error(err)
					return
				}
				for _, q := range qs {
					w.mu.Lock()
					w.claimed[q.ID]++
					w.mu.Unlock()
					if err := db.Finish(ctx, q.ID, runs, ""); err != nil {
						tb.Error(err)
						return
					}
				}
				if len(qs) == 0 {
					select {
					case <-w.stop:
						return
					case <-db.Wake():
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
		}()
	}
	return w
}

// handled returns how many events the workers claimed.
func (w *workers) handled() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.claimed)
}

// drainAndStop waits until nothing is queued or running, then stops the
// workers and returns how many times each event was claimed.
func (w *workers) drainAndStop(tb testing.TB, db *sqlite.DB) map[int64]int {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := db.QueueDepth(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if d == 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("queue depth still %d", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(w.stop)
	w.wg.Wait()
	return w.claimed
}
