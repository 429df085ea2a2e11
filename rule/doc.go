// Package rule loads rule files: YAML (or JSON) that says which alerts
// Alexis acts on, on which hosts, and what it does there.
//
// Loading is "parse, then compile": the YAML becomes plain values that keep
// the line and column they were written at, those are checked, and the
// result is an immutable *alexis.RuleSet whose expressions (package match)
// and actions (the registry's action types) are compiled once, at load.
// Every problem of every file is reported at once, as Errors, one line
// each:
//
//	rules/duplicator.yaml:6:5: rule "duplicator-gc": unknown field "descripton"; did you mean "description"?
//	rules/duplicator.yaml:11:9: rule "duplicator-gc": when: unknown name mesage; did you mean "message"?
//
// The shortest use:
//
//	reg := builtin.Registry(cfg) // or alexis.NewRegistry(yourKinds...)
//	rs, err := rule.LoadDir("rules", reg)
//	if err != nil {
//		fmt.Fprintln(os.Stderr, err) // every problem, one per line
//	}
//	eng, err := alexis.New(rs)
//
// # Files
//
// LoadDir reads every *.yaml, *.yml and *.json file under a directory,
// recursively, skipping names that start with '.' or '_', directories
// called testdata, and *_test.yaml / *_test.yml files (rule tests, see
// package ruletest). Files are read in lexical order of their path relative
// to the directory, and rules keep the order of their file: this is the
// order in which the Engine tries them. Rule names are unique across all
// files. A file holds one YAML document; an empty file holds no rules, but
// a directory without any rule file is an error (a wrong path, most
// likely). Symbolic links to files are followed (a Kubernetes ConfigMap
// mount works: its ..data directory is hidden); links to directories are
// not. The set's Hash is the sha256 of the files' paths relative to the
// directory and their contents, in load order: it changes when and only
// when the rules do, which is what a reload compares.
//
// # Format
//
// A file is a mapping with a rules: list and, optionally, defaults:. Other
// top-level keys are errors, except those starting with x-, which are free
// to hold YAML anchors (x-common: &common ...). An annotated example:
//
//	# Defaults apply to the rules of this file only (not to other files,
//	# not to subdirectories), so that every file reads on its own. A rule's
//	# own value replaces the default; on_success, on_failure and limits
//	# are merged key by key.
//	defaults:
//	  sources: [opsgenie]          # which sources rules accept (default: all)
//	  timeout: 2m                  # default timeout of each task
//	  on_failure: {team: ops_unix} # default write-back when a task fails
//	  escalate_after: 30m
//	  limits: {per_target: 3, window: 1h}
//	  dry_run: false
//
//	rules:
//	  - name: duplicator-gc        # required; letters, digits, '.', '_', '-'
//	    description: Restart the duplicator when its GC time is too long.
//	    version: "3"               # free text, shown in reports
//	    enabled: true              # false: loaded and checked, never matches
//	    sources: [opsgenie]        # opsgenie, dynatrace, alertmanager, generic
//	    # when: an expression (package match) that must be a boolean. Left
//	    # out, the rule matches every event of its sources.
//	    when: |
//	      all_tags("syn.duplicator") &&
//	      (has_tag("syn.day") || tag("Environment") == "Day") &&
//	      message matches "(?i)garbage.collection"
//	    # The hosts to act on: either an explicit list...
//	    #   targets: [wayvsymdup01.dev.example.com]
//	    # ...or an expression yielding a string or a list of strings.
//	    targets_from: details.host_regex
//	    tasks:                     # run in order on each target
//	      - action: ssh            # an action type of the registry
//	        reason: restart-duplicator   # names the task in logs and notes
//	        timeout: 5m            # bounds one run on one target
//	        delay_after: 30s       # pause before the next task
//	        continue_on_failure: false   # true: next tasks run anyway
//	        # Every other key is a parameter of the action type; see
//	        # `alexis actions`. Templates quote what they insert.
//	        command: sudo systemctl restart duplicator
//	      - action: ssh
//	        reason: check-duplicator
//	        command: curl -fsS http://{{ .Target }}:8080/health
//	    on_success:                # write-back after every task succeeded
//	      note: "Alexis restarted duplicator for alert {{ .ShortID }}."
//	      close: true
//	    on_failure:                # write-back when a task failed
//	      team: ops_unix           # route the OpsGenie alert to this team
//	      comment: "Automatic restart failed"   # Dynatrace problem comment
//	      acknowledge: false
//	      escalate: ops-escalation # an OpsGenie escalation
//	      tags: [alexis-failed]    # tags added to the OpsGenie alert
//	    escalate_after: 15m        # escalate if still open that long after
//	    limits:
//	      per_target: 2            # at most 2 runs on one host...
//	      window: 1h               # ...per hour
//	      concurrency: 4           # at most 4 hosts at once
//	    dry_run: false             # true: plan and report, touch nothing
//
// Field by field:
//
//   - name (string, required): unique across the rule set; 1 to 128
//     letters, digits, '.', '_' or '-', starting with a letter or digit.
//   - description (string), version (any scalar, kept as written:
//     version: 1.10 is "1.10"): for people and reports.
//   - enabled (true or false, default true).
//   - sources (list of opsgenie, dynatrace, alertmanager, generic; a single
//     string is a list of one): the rule ignores events from other sources.
//     Left out (here and in defaults), every source.
//   - when (expression): must type-check to a boolean. Any scalar works, so
//     `when: true` is fine; use a block scalar (|) for long expressions.
//   - targets (list of host names or IP addresses, optionally with :port)
//     or targets_from (expression yielding a string or a list of strings);
//     not both. With neither, tasks run once without a target, which only
//     action types that need no host (http, exec) allow.
//   - tasks (list, at least one): reserved keys action (required), reason
//     (string), timeout and delay_after (durations), continue_on_failure
//     (true or false); every other key is handed to the action type, which
//     checks it when the rule loads. A key that names a secret (password,
//     passphrase, token, secret, private_key, api_key, credential,
//     authorization, also inside a mapping such as HTTP headers) is refused:
//     secrets come from files or the environment, not from rule files. Keys
//     ending in _file, _path, _env or _var name where a secret is, and are
//     allowed.
//   - on_success, on_failure (mappings, see alexis.Reaction): team,
//     escalate (strings), note and comment (write-back templates: the
//     event's fields as in task templates plus .Rule, .Status, .Attempt,
//     .Targets, .Runs, .Output, .Error...; checked at load; empty gives
//     the default note), close and acknowledge (true or false), tags (list
//     of strings).
//   - escalate_after (duration).
//   - limits: per_target (whole number ≥ 1; needs window), window
//     (duration; needs per_target), concurrency (whole number ≥ 1).
//   - dry_run (true or false).
//
// Durations are Go durations: 30s, 5m, 1h30m, 250ms. A bare number is
// refused, since its unit would be a guess; durations must be above zero
// (delay_after may be zero).
//
// Unknown keys are errors (with the closest known key as a suggestion),
// and so are wrong types: `enabled: yes` is a string in YAML 1.2, not a
// boolean. YAML anchors and aliases work; merge keys (<<) do not.
//
// # Positions
//
// An error inside an expression or a template points at the character of
// the file where the offending part was written, for plain, quoted
// (including escapes and folded lines) and block (| and >) scalars. When
// the file text cannot be matched to the value, the error points at the
// start of the scalar instead; this happens for block scalars with an
// explicit indentation indicator (|2) or tab indentation, and for values
// reached through an alias (they point at the anchor). Columns count
// characters, not bytes.
//
// # Performance
//
// Files are parsed and compiled in parallel (up to GOMAXPROCS at once);
// rules and errors come out in file order all the same. Within one load,
// each distinct expression and write-back template is compiled once and
// shared by the rules that repeat it, and an action type that implements
// PureKind (exec, http and ssh do) is called once per distinct set of
// parameters; other action types are called one at a time, once per task.
// BenchmarkLoadDir10000 loads 10,000 realistic rules (100 files) with the
// built-in action types. Measured on 2 shared cores at a load average of
// about 1: 0.76-0.77 s of wall time and 1.5 s of CPU time per load, 1.4-1.5
// times the wall time of reading the same files into yaml.Node on one
// thread; with GOMAXPROCS=1, 1.35-1.6 s (2.2-2.4 times that baseline).
// Before the parallel loading and the sharing, it was 2.6-2.7 s (4-4.5
// times the baseline). Under a second is thus reached in wall time on two
// cores that are not busy with other work, not in CPU time.
package rule
