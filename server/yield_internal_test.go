package server

import (
	"context"
	"testing"
	"time"

	"github.com/alexis-project/alexis/config"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// oldestStore tells yieldToIntake when its oldest waiting event was
// received.
type oldestStore struct {
	Store
	received time.Time
	none     bool
}

func (o *oldestStore) OldestWaiting() (time.Time, bool) { return o.received, !o.none }

func yieldServer(d time.Duration, now func() time.Time, st Store) *Server {
	s := &Server{cfg: &config.Config{IntakePriority: &d}, store: st, now: now}
	s.metrics = newMetrics(prometheus.NewRegistry(), st)
	return s
}

// yieldToIntake waits only during a burst, only for a young oldest event,
// at most IntakePriority of real time whatever the clock says, and stops
// at once when its context ends or the burst does.
func TestYieldToIntake(t *testing.T) {
	const d = time.Second
	// Upper bounds are loose (a loaded machine may stall a goroutine);
	// lower bounds are exact.
	const quick = 500 * time.Millisecond
	frozen := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		burst    bool
		received time.Duration // relative to now at the start
		none     bool
		now      func() time.Time
		endBurst time.Duration // the burst ends after this (0: never)
		cancel   time.Duration // the context ends after this (0: never)
		min, max time.Duration
		want     bool
	}{
		{name: "no burst", received: 0, max: quick, want: true},
		{name: "young event in a burst", burst: true, received: 0, min: d - 10*time.Millisecond, max: d + 2*time.Second, want: true},
		{name: "half-aged event in a burst", burst: true, received: -d / 2, min: d/2 - 10*time.Millisecond, max: d + 2*time.Second, want: true},
		{name: "old event in a burst", burst: true, received: -d, max: quick, want: true},
		{name: "event from the future", burst: true, received: time.Hour, max: quick, want: true},
		{name: "none waiting", burst: true, none: true, max: quick, want: true},
		{name: "frozen clock", burst: true, now: func() time.Time { return frozen }, min: d - 10*time.Millisecond, max: d + 2*time.Second, want: true},
		{name: "burst ends", burst: true, endBurst: 50 * time.Millisecond, min: 40 * time.Millisecond, max: d - 200*time.Millisecond, want: true},
		{name: "shutdown", burst: true, cancel: 50 * time.Millisecond, min: 40 * time.Millisecond, max: d - 200*time.Millisecond, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now == nil {
				now = time.Now
			}
			// The event's age counts from here: what the set-up below
			// takes (milliseconds on a loaded machine) is part of the wait.
			t0 := time.Now()
			st := &oldestStore{received: now().Add(tt.received), none: tt.none}
			s := yieldServer(d, now, st)
			if tt.burst {
				s.writing.Store(burstWriters)
			}
			if tt.endBurst > 0 {
				time.AfterFunc(tt.endBurst, func() { s.writing.Store(0) })
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel > 0 {
				time.AfterFunc(tt.cancel, cancel)
			}
			start := time.Now()
			got := s.yieldToIntake(ctx, &intakeYield{})
			took := time.Since(start)
			setup := start.Sub(t0)
			if got != tt.want || took+setup < tt.min || took > tt.max {
				t.Errorf("yieldToIntake = %v after %v; want %v after %v to %v", got, took, tt.want, tt.min, tt.max)
			}
			var m dto.Metric
			if err := s.metrics.yielded.Write(&m); err != nil {
				t.Fatal(err)
			}
			waited := m.GetCounter().GetValue()
			if tt.min > 0 && (waited+setup.Seconds() < tt.min.Seconds() || waited > took.Seconds()) || tt.min == 0 && waited != 0 {
				t.Errorf("alexis_intake_priority_wait_seconds_total = %v after a wait of %v", waited, took)
			}
		})
	}
	// Off: no wait even in a burst.
	s := yieldServer(0, time.Now, &oldestStore{received: time.Now()})
	s.writing.Store(burstWriters)
	start := time.Now()
	if !s.yieldToIntake(context.Background(), &intakeYield{}) || time.Since(start) > quick {
		t.Errorf("intake_priority 0s waited %v", time.Since(start))
	}
}
