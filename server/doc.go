// Package server is Alexis' webhook server (Echo v4): it accepts alerts
// from OpsGenie, Dynatrace and Alertmanager, stores each one durably
// before answering, and handles them with an alexis.Engine in a pool of
// workers, recording every task run in the history.
//
// The shortest use (what `alexis serve --config FILE` does):
//
//	cfg, err := config.Load("alexis.yaml")
//	err = server.RunConfig(ctx, cfg, nil) // until ctx is cancelled
//
// or, to mount the endpoints in your own mux:
//
//	srv, err := server.New(cfg)
//	defer srv.Close()
//	mux.Handle("/", srv.Handler())
//	go srv.Work(ctx) // the workers
//
// # Endpoints
//
//	POST /v1/opsgenie, /v1/dynatrace, /v1/alertmanager, /v1/events
//	     webhook intake (/v1/events takes Alexis' own alexis.Event JSON);
//	     202 {"id":1,"events":[{"id":1,"key":"opsgenie/ID/Create","status":"queued"}]}
//	     (200 when every event is to be ignored, with "ignored": the reason)
//	POST /v1/plan?source=opsgenie   what the loaded rules would do; touches nothing
//	GET  /v1/rules                  the loaded rules, their files and the set's hash
//	GET  /v1/executions             history: rule, target, action, status, event, since, until, limit
//	GET  /v1/summary?since=24h      runs, success rate, mean and p95 duration per rule/action/target
//	GET  /healthz                   200 while the process serves
//	GET  /readyz                    200 when rules are loaded and the store takes writes; else 503 with the reason
//	GET  /metrics                   Prometheus
//
// /v1 needs a client token (config auth.tokens) as "Authorization: Bearer
// T", in the configured header, or as ?token=T; tokens are compared in
// constant time, and never logged (the token query parameter is redacted
// from logged URLs). /healthz and /readyz are open by default, /metrics is
// not. Errors are {"error":"..."} with the status of their alexis error
// code (one table, see Status): 400 invalid (the message names the field,
// or the line:column of a JSON syntax error), 401 unauthorized (no
// detail), 404, 409, 413 body over the limit, 415 not a JSON content type,
// 500 internal (no detail; logged).
//
// # Never losing an alert
//
// A webhook is answered 2xx only after its events are on disk: appended
// to the store's intake log and fdatasync'ed (package sqlite; concurrent
// requests share one write and one sync); a worker's claim moves an event
// into SQLite, and a restart after a crash replays the log first. An event
// is stored once per Event.Key: a second delivery gets
// the first one's ID and runs nothing. Workers claim events in order, run
// them through the engine, and mark them done together with their history
// rows. Before an action runs it is recorded in a task journal (also
// synchronous=FULL); at the next start, events left unfinished are
// handled again, and every task found in the journal is not run again
// (its recorded result is reused; a task that was running when the
// process died is recorded as failed, "interrupted"). So each action runs
// at most once per event and target, and exactly once unless the process
// dies while that action runs; write-back notes may be repeated after a
// crash (at least once). Events whose Ignore is set are stored as ignored
// and never run.
//
// # Bursts
//
// Taking alerts in comes first: while eight or more intake requests wait
// for the store at once (and for 5 ms after), workers start nothing until
// the oldest waiting event was received cfg.IntakePriority ago (default
// 1 s), so that the CPU answers the senders rather than running the first
// alerts of a storm; an event never waits longer than that for this
// reason (whatever the clock does), and outside bursts events start at
// once. The time workers held back is the metric
// alexis_intake_priority_wait_seconds_total. It needs a store that tells
// when its next event was received (sqlite.DB does); 0 turns it off.
//
// # Shutdown and reload
//
// The OpsGenie escalate_after escalations are saved in the store when
// they are scheduled and deleted once they ran, so that the next New
// schedules again those that had not run, after a crash too.
//
// When the context of Run or Serve is cancelled, the listener closes,
// requests in flight complete, no new event is claimed, and running events
// get cfg.ShutdownTimeout to finish; then they are cancelled and put back
// in the queue (a task cancelled that way is recorded as failed and not
// repeated; the tasks after it run at the next start).
//
// The rules directory is watched (debounced by cfg.ReloadDebounce), and
// Reload (SIGHUP in RunConfig) loads it again: a good set is swapped in
// atomically; a bad one is refused, logged, counted in
// alexis_rule_reloads_total{result="error"}, and shown as
// last_reload_error on /readyz and /v1/rules while the previous set keeps
// serving. The server stays ready then: it still acts, on rules that were
// reviewed; the error is for the operator, not the load balancer.
//
// # Metrics
//
// alexis_events_total{source,result}, alexis_intake_seconds{source},
// alexis_events_handled_total{source}, alexis_rule_matches_total{rule},
// alexis_actions_total{action,status}, alexis_action_duration_seconds{action},
// alexis_event_to_action_seconds, alexis_queue_depth,
// alexis_intake_priority_wait_seconds_total, alexis_rule_reloads_total{result},
// alexis_rules_loaded, with the SQLite store alexis_intake_log_writes_total
// and alexis_intake_log_write_seconds_total (its group commits and their
// time: the disk's flush latency), and the Go and process collectors.
// Each Server has its own registry (Registry).
package server
