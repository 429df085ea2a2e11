package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/server"
	"github.com/alexis-project/alexis/sqlite"
)

// postAsync is post for another goroutine: a failure is a status 0
// response whose body says what went wrong.
func postAsync(url string, body []byte) response {
	r, err := request("POST", url, body, "Content-Type", "application/json", "Authorization", "Bearer "+testToken)
	if err != nil {
		return response{body: err.Error()}
	}
	return r
}

// gatedStore holds the Enqueue of alerts whose ID starts with "slow-"
// until gate is closed: requests waiting for the store, as in a burst.
type gatedStore struct {
	*sqlite.DB
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedStore) Enqueue(ctx context.Context, evs []*alexis.Event) ([]alexis.Receipt, error) {
	if strings.HasPrefix(evs[0].ID, "slow-") {
		g.entered <- struct{}{}
		<-g.gate
	}
	return g.DB.Enqueue(ctx, evs)
}

// startLog records, per event, how long after its receipt its first task
// started.
type startLog struct {
	mu     sync.Mutex
	delays map[string]time.Duration
}

func (l *startLog) TaskDone(ev *alexis.Event, run alexis.TaskRun) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.delays[ev.ID]; !ok {
		l.delays[ev.ID] = run.Started.Sub(ev.Received)
	}
}

func (l *startLog) delay(t *testing.T, id string) time.Duration {
	t.Helper()
	var d time.Duration
	eventually(t, "the first task of "+id, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		var ok bool
		d, ok = l.delays[id]
		return ok
	})
	return d
}

// During a burst (server.BurstWriters requests waiting for the store),
// workers start no event younger than intake_priority, and never wait
// longer; outside a burst, or with intake_priority 0s, they start it at
// once.
func TestIntakePriority(t *testing.T) {
	for _, prio := range []time.Duration{1500 * time.Millisecond, 0} {
		t.Run(fmt.Sprint(prio), func(t *testing.T) {
			cfg := testConfig(t)
			cfg.DryRun = true
			cfg.IntakePriority = &prio
			db, err := sqlite.Open(filepath.Join(t.TempDir(), "a.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			st := &gatedStore{DB: db, entered: make(chan struct{}), gate: make(chan struct{})}
			var release sync.Once
			open := func() { release.Do(func() { close(st.gate) }) }
			starts := &startLog{delays: map[string]time.Duration{}}
			ts := start(t, cfg, staticLoader(ruleSet(&recorder{}, 0, "h1")), server.WithStore(st),
				server.WithEngineOptions(alexis.WithObservers(starts)))
			t.Cleanup(open) // before the server stops, if the test failed early

			// The burst: requests wait for the store.
			slow := make(chan response, server.BurstWriters)
			for i := range server.BurstWriters {
				body := opsgenie(t, fmt.Sprint("slow-", i))
				go func() { slow <- postAsync(ts.url+"/v1/opsgenie", body) }()
				<-st.entered
			}
			if r := post(t, ts.url+"/v1/opsgenie", opsgenie(t, "in-burst")); r.status != 202 {
				t.Fatalf("in burst: %d %s", r.status, r.body)
			}
			d := starts.delay(t, "in-burst")
			switch {
			case prio > 0 && d < prio:
				t.Errorf("during a burst, the first task started %v after receipt, before intake_priority (%v)", d, prio)
			case prio > 0 && d > prio+3*time.Second:
				t.Errorf("during a burst, the first task started %v after receipt, far past intake_priority (%v)", d, prio)
			case prio == 0 && d >= 3*time.Second:
				t.Errorf("intake_priority 0s: the first task started %v after receipt", d)
			}
			var waited float64
			for _, l := range strings.Split(get(t, ts.url+"/metrics").body, "\n") {
				if v, ok := strings.CutPrefix(l, "alexis_intake_priority_wait_seconds_total "); ok {
					fmt.Sscan(v, &waited)
				}
			}
			if prio > 0 && (waited < 1 || waited > 10) || prio == 0 && waited != 0 {
				t.Errorf("alexis_intake_priority_wait_seconds_total = %v with intake_priority %v", waited, prio)
			}
			open()
			for range server.BurstWriters {
				if r := <-slow; r.status != 202 {
					t.Fatalf("slow request: %d %s", r.status, r.body)
				}
			}

			// The burst is over: no wait.
			if r := post(t, ts.url+"/v1/opsgenie", opsgenie(t, "after")); r.status != 202 {
				t.Fatalf("after the burst: %d %s", r.status, r.body)
			}
			if d := starts.delay(t, "after"); d >= 3*time.Second {
				t.Errorf("outside a burst, the first task started %v after receipt", d)
			}
		})
	}
}
