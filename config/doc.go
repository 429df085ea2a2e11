// Package config loads the Alexis server's YAML configuration: where to
// listen, who may call, where the rules and the data live, how to write
// back to OpsGenie and Dynatrace, and the ssh action's defaults.
//
// Load checks the whole file at once: an unknown key, a wrong type or an
// invalid value is reported as "file:line:col: key: what". Defaults are
// filled in, and secrets (client tokens, API keys) are read from the
// environment variables or files the configuration names; they are never
// written in the file and never printed (Secret.String hides them).
//
// The shortest use:
//
//	cfg, err := config.Load("alexis.yaml")
//	srv, err := server.New(cfg)
//
// A complete, annotated configuration (it is examples/alexis.yaml, and a
// test keeps the two equal):
//
//	# Alexis server configuration: `alexis serve --config examples/alexis.yaml`.
//	# Every key is optional except `rules`; unknown keys are errors (file:line:col).
//	# Secrets are never written here: each comes from an environment variable
//	# (env: NAME) or a file (file: /path, a trailing newline ignored).
//	# Relative paths are relative to the working directory.
//
//	# Address to serve on, host:port. Without auth.tokens only a loopback
//	# address is accepted.
//	listen: 127.0.0.1:8080
//
//	# HTTPS: set both or neither.
//	# tls:
//	#   cert: /etc/alexis/tls.crt
//	#   key: /etc/alexis/tls.key
//
//	# Directory of rule files (*.yaml, *.yml, *.json). Changes are picked up
//	# after reload_debounce of quiet, and on SIGHUP; a bad set keeps the old one.
//	rules: examples/rules
//	reload_debounce: 500ms
//
//	# The SQLite store (alexis.db) lives here: the event queue, the task
//	# journal and the execution history.
//	data_dir: ./data
//
//	# Plan and record every task, touch no host: start here.
//	dry_run: true
//
//	# Events handled at once.
//	workers: 16
//
//	# During a burst of alerts (eight or more requests waiting for the store
//	# at once), workers start nothing until the oldest waiting event was
//	# received this long ago, so that the CPU goes to answering the senders
//	# first. Outside bursts events start at once; 0s turns this off.
//	intake_priority: 1s
//
//	# Largest accepted request body (413 beyond): bytes or KiB/MiB/KB/MB.
//	body_limit: 1MiB
//
//	# On shutdown, running actions get this long to finish; the rest stay
//	# queued for the next start.
//	shutdown_timeout: 30s
//
//	log:
//	  format: text   # text (key=value) or json
//	  level: info    # debug, info, warn, error
//
//	auth:
//	  # Named client tokens, sent as "Authorization: Bearer TOKEN", in the
//	  # header below, or as ?token=TOKEN (stripped from logs). None here:
//	  # loopback only.
//	  tokens: []
//	  #  - {name: opsgenie, env: ALEXIS_TOKEN_OPSGENIE}
//	  #  - {name: dynatrace, file: /run/secrets/alexis_dynatrace}
//	  #  - {name: alertmanager, env: ALEXIS_TOKEN_ALERTMANAGER}
//	  header: X-Alexis-Token
//	  query_token: true    # accept ?token=
//	  open_health: true    # /healthz and /readyz need no token
//	  open_metrics: false  # /metrics needs a token
//
//	# Default OpsGenie teams: where an alert goes after a remediation, and
//	# where it goes when no rule could help.
//	queues:
//	  remediation: ops_autoremediation
//	  investigation: ops_unix
//
//	# Write-back. An unset key disables it (fine for dry runs).
//	opsgenie:
//	  url: https://api.opsgenie.com
//	  # api_key: {env: ALEXIS_OPSGENIE_API_KEY}
//	  user: alexis   # alerts changed by this user are our own echoes: ignored
//	dynatrace:
//	  url: ""        # e.g. https://abc12345.live.dynatrace.com
//	  # token: {file: /run/secrets/alexis_dynatrace_api}
//
//	# Defaults of the ssh action (a task's own parameters override them).
//	ssh:
//	  user: alexis
//	  port: 22
//	  key_file: ""                    # e.g. /etc/alexis/id_ed25519
//	  # passphrase_env: ALEXIS_SSH_PASSPHRASE   # for a protected key: the variable...
//	  # passphrase_file: /run/secrets/ssh_pass # ...or the file holding the passphrase
//	  known_hosts_file: ""            # default ~/.ssh/known_hosts; verified unless the next line says otherwise
//	  insecure_ignore_host_key: false
//	  connect_timeout: 10s
//	  command_timeout: 5m
//	  remote_timeout: false           # also run under the remote timeout(1)
//	  jump_host: ""                   # [user@]host[:port], as ssh -J
//	  max_output: 64KiB
package config
