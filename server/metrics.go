package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus metrics, in its own registry.
type metrics struct {
	events         *prometheus.CounterVec
	handled        *prometheus.CounterVec
	ruleMatches    *prometheus.CounterVec
	actions        *prometheus.CounterVec
	actionDuration *prometheus.HistogramVec
	intake         *prometheus.HistogramVec
	toAction       prometheus.Histogram
	yielded        prometheus.Counter
	reloads        *prometheus.CounterVec
	rulesLoaded    prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry, st Store) *metrics {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alexis_events_total",
			Help: "Events received, by source and result (accepted, duplicate, ignored, invalid, too_large, unsupported, unauthorized, internal)."},
			[]string{"source", "result"}),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alexis_events_handled_total",
			Help: "Events the workers finished handling, by source."}, []string{"source"}),
		ruleMatches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alexis_rule_matches_total",
			Help: "Handled events that matched each rule."}, []string{"rule"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alexis_actions_total",
			Help: "Task runs, by action type and status (success, failure, skipped, dry-run)."}, []string{"action", "status"}),
		actionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "alexis_action_duration_seconds",
			Help: "Duration of task runs that succeeded or failed, by action type.", Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}},
			[]string{"action"}),
		intake: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "alexis_intake_seconds",
			Help: "Time from receiving a webhook to answering it (durably stored), by source.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)},
			[]string{"source"}),
		toAction: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "alexis_event_to_action_seconds",
			Help: "Time from receiving an event to the start of its first task.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		yielded: prometheus.NewCounter(prometheus.CounterOpts{Name: "alexis_intake_priority_wait_seconds_total",
			Help: "Time the workers held back from starting events during bursts of alerts, so that intake came first (intake_priority)."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alexis_rule_reloads_total",
			Help: "Rule reloads, by result (ok, error). A failed reload keeps the previous rules."}, []string{"result"}),
		rulesLoaded: prometheus.NewGauge(prometheus.GaugeOpts{Name: "alexis_rules_loaded", Help: "Rules in the rule set in use."}),
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "alexis_queue_depth",
		Help: "Events queued or being handled."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := st.QueueDepth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	reg.MustRegister(m.events, m.handled, m.ruleMatches, m.actions, m.actionDuration, m.intake, m.toAction,
		m.yielded, m.reloads, m.rulesLoaded, depth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The intake log's writes (the SQLite store's): what the disk's flush
	// costs every accepted alert.
	if lw, ok := st.(interface {
		LogWrites() int64
		LogWriteTime() time.Duration
	}); ok {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "alexis_intake_log_writes_total",
				Help: "Writes of the intake log, each one write and one fdatasync shared by the alerts accepted meanwhile (group commit)."},
				func() float64 { return float64(lw.LogWrites()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "alexis_intake_log_write_seconds_total",
				Help: "Time spent writing and fdatasync'ing the intake log; divided by alexis_intake_log_writes_total, the disk's flush latency, which every accepted alert waits for."},
				func() float64 { return lw.LogWriteTime().Seconds() }))
	}
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("error")
	return m
}
