// Package action holds the local action types (exec, http), the template
// engine that every action uses for its parameters, and the helpers to
// write your own action types. The ssh action type is in package
// action/ssh; package action/builtin puts all three in a registry.
//
// The shortest use:
//
//	t, err := action.ParseTemplate("command", "systemctl restart {{ .Details.service }}", action.Shell)
//	cmd, err := t.Render(ev, "web-01") // systemctl restart 'duplicator'
//
// # Templates
//
// Action parameters are Go text/template templates over the alert. Dot
// holds:
//
//	.Target       the host the task runs for ("" for rules without targets)
//	.Source       opsgenie, dynatrace, alertmanager or generic
//	.ID           the source's ID (OpsGenie alertId, Dynatrace PID, fingerprint)
//	.ShortID      the short number (OpsGenie tinyId, Dynatrace display ID)
//	.Alias        the deduplication key
//	.Action       Create, Close, OPEN, RESOLVED, firing, ...
//	.Message      the title
//	.Description  the longer text
//	.Priority     P1..P5, ERROR, critical, ...
//	.Tags         the tags (a list; printed joined by spaces)
//	.TagValues.K  the value of tag "K:value"
//	.Details.K    the detail (OpsGenie details, Alertmanager labels and annotations)
//	.Entities     the impacted entities (a list of .Name .ID .Type; printed as names joined by spaces)
//
// and two functions besides text/template's own (printf, index, eq, if,
// range, with, ...):
//
//	{{ json "gjson.path" }}  a field of the raw alert body by gjson path: a
//	                         string's value, the JSON text of any other
//	                         value, "" when missing
//	{{ raw X }}              X inserted without quoting (see below)
//
// A misspelt field (.Mesage), a field of something that has none
// (.Message.X, .Entities.Name outside range) or an unknown function is an
// error when the rule loads, with the template's line and column. Keys
// under .Details and .TagValues are free: a missing key gives "". A key
// that is not a Go identifier is read with index: {{ index .Details "host-name" }}.
// {{define}}, {{template}} and {{block}} are not supported.
//
// # Quoting
//
// Alert text is written by whoever can raise an alert. So every
// interpolation is quoted for the place it lands, automatically, the way
// html/template escapes HTML: the template is parsed, the quoting state is
// followed through its literal text, and an escaper is appended to each
// {{ }} that prints. The rules, by mode:
//
// Shell (the ssh command): POSIX sh quoting, by where the {{ }} stands.
//
//   - Outside quotes: the value becomes one single-quoted word, in which
//     each single quote is closed, escaped and reopened (see the table
//     below). Nothing in it is expanded, split or globbed; it can never end
//     the command.
//   - Inside single quotes: each single quote is closed, escaped and
//     reopened, without the surrounding quotes.
//   - Inside "...": \ $ " and ` are backslash-escaped.
//   - Inside $( ... ), also within "...": as outside quotes.
//   - Refused when the rule loads, because no quoting is safe there or
//     the tracking cannot be sure where it stands: inside `...` (write
//     $(...)); inside $'...', and after \' within it; inside ${...}
//     (assign the value to a variable first), and
//     after quotes or $( inside ${...}; in a # comment (a newline in the
//     value would end it); in a here-document after << (the shell expands
//     $(...) there); right after a backslash or a $; right after $NAME
//     inside "..." (the value would continue the name: write ${NAME});
//     after a backslash-newline within a word or token (the shell joins
//     the lines before it reads them, so <\ newline< is <<; break lines
//     after a blank, ;, & or |); in bash arithmetic
//     ((...)), $((...)), $[...], inside [[ ... ]], in a let, declare,
//     typeset or local command, and in a [...] subscript within a word
//     (bash evaluates those as arithmetic, and a[$(cmd)] runs cmd even
//     from a quoted value); after a case statement inside $(...) or (...)
//     (its pattern's parenthesis would mislead the tracking); in {{if}},
//     {{with}} and {{range}} branches that leave the quotes in different
//     states. Use [ ... ] rather than [[ ... ]] to test a value. Also
//     refused: a comment, an assignment or {{if}}, {{with}}, {{range}},
//     {{break}}, {{continue}} right after text ending in $ \ < ( or [, or
//     in a prefix of case, let, declare, typeset or local: with the
//     text after it the shell may read one token ($'...', <<, ((, [[,
//     let) that the tracking would not see.
//   - Not detected: a command that runs its argument as a script again
//     (eval, sh -c, su -c, ssh host ...), or a variable the remote shell
//     declared integer elsewhere. The value arrives there as one intact
//     word, and that command then parses it: never pass alert text to such
//     a command.
//   - A value containing a NUL byte fails the task: no shell command can
//     carry one.
//   - A value that starts an argument (at the start of a word, or right
//     after a quote that starts one, or after empty quotes there) and
//     begins with "-" fails the task: the command would read alert text
//     as an option (rm -rf, tar --checkpoint-action=exec=...). So does
//     one after other values in its word ({{ .A }}{{ .X }}, "{{ .A }}{{ .X }}")
//     when those all came out empty. So does one right after an
//     expansion in its word, also inside "...": $D{{ .X }}, ${D},
//     $(cmd), `cmd`, $((...)), $1, "$@", $'...' or $"..." before it. The
//     expansion may come out empty, or, unquoted, split the word right
//     before the value (D='a '; x$D{{ .X }}). The same after a bash brace
//     group or in one ({,a}{{ .X }}, {a,{{ .X }}}) unless literal text
//     comes before the group. Literal text after the expansion counts
//     ($D/{{ .X }}); ~{{ .X }} is literal ~ then the value. Write -- before
//     it in the command (rm -- {{ .X }}), or text before it in the word
//     (./{{ .X }}). A -- counts in its own command only, not within a
//     $(...) after it.
//
// The tracking follows POSIX sh and these bash constructs; the hostile
// value tests run every quoting context through dash and bash.
//
// For example, with .Message = it's:
//
//	echo {{ .Message }}       gives  echo 'it'\''s'
//	echo '{{ .Message }}'     gives  echo 'it'\''s'
//	echo "{{ .Message }}"     gives  echo "it's"
//	echo {{ .Details.none }}  gives  echo ''
//
// URL (the http url): by the part of the URL.
//
//   - The scheme and host must be written out ("https://"); a {{ }} before
//     "://" is refused when the rule loads.
//   - In the authority (after "://", before the first /): the value must be
//     a host name or IP address, optionally with a port (alexis.ValidTarget),
//     else the task fails.
//   - In the path: url.PathEscape (a / in the value becomes %2F, so it
//     stays one segment); a value of "." or ".." fails the task.
//   - After ?: url.QueryEscape (& = # + are escaped: it stays one value).
//   - After #: url.QueryEscape.
//
// JSON (the http body when the content type is JSON):
//
//   - Outside a string literal: a JSON value. Text becomes a JSON string
//     with its quotes ({"m": {{ .Message }}} gives {"m": "..."}); .Tags,
//     .TagValues, .Details and .Entities become arrays and objects; json
//     results are strings ("3" for a number: write {{ raw (json "n") }} to
//     insert the JSON text itself).
//   - Inside a string literal: the string's content, JSON-escaped
//     ("alert {{ .ShortID }}" gives "alert 1842").
//   - Right after a backslash in a string: refused.
//
// Plain (exec args, env, stdin; http headers; non-JSON bodies): the value
// as it is (lists joined by spaces, as in Shell mode). Each exec argument is one argv element, so nothing needs
// quoting there; a header value containing a line break fails the task.
//
// raw is the only way around quoting, and easy to grep for: when the last
// command of a {{ }} is raw, its value is inserted as it is. Use it for
// trusted text only (a value from your own rule, never alert text in a
// shell command).
//
// # exec
//
// Runs a local program with arguments, without a shell.
//
//	program     string, required. An absolute path, or a name looked up in
//	            PATH. Written out: never a template.
//	args        list of templates (Plain). Each is exactly one argument. An
//	            argument whose template does not start with literal text
//	            (after {{- trimming) may not come out starting with "-"
//	            (the task fails: alert text would become an option) unless
//	            an earlier argument is a literal "--".
//	            Unquoted YAML numbers and booleans are taken as text.
//	env         map of name to template (Plain). Added to the environment,
//	            which otherwise holds only PATH, HOME, LANG, LC_ALL, TZ,
//	            TMPDIR from Alexis' own (Exec.PassEnv) and ALEXIS_RULE,
//	            ALEXIS_TARGET, ALEXIS_EVENT (source/id/action), ALEXIS_REASON.
//	dir         string. The working directory (default Alexis' own).
//	stdin       template (Plain). Standard input; '{{ json "@this" }}' is
//	            the alert's raw body. Default: empty.
//	max_output  int. Bytes of combined stdout and stderr kept, the tail
//	            (default 65536).
//
// The task's timeout key bounds a run (default 10m, Exec.Timeout). The
// program runs in a process group of its own: on timeout or cancellation
// the whole group is killed with SIGKILL, and anything the program leaves
// running in its group when it exits is killed too. Success is exit status
// 0; the Result's ExitCode is the exit status (-1 when killed or not
// started). A timeout or cancellation is a retryable failure; a non-zero
// exit is not.
//
// # http
//
// Makes one HTTP request.
//
//	url            template (URL), required. The scheme and host written out.
//	               A password in the URL or a literal secret-looking query
//	               parameter (token, key, ...) is refused.
//	method         GET, POST, PUT, ... in capitals (default GET, or POST
//	               when there is a body).
//	headers        map of name to template (Plain). ${NAME} is replaced by
//	               the environment variable NAME and ${file:/path} by the
//	               file's content (trailing newline removed) when the
//	               request is made; plans and dry runs show them as
//	               written. A header whose name suggests a secret (auth,
//	               token, secret, passw, key, cookie, session, credential,
//	               signature) must take its value from such a reference or
//	               a template; a literal value is refused when the rule
//	               loads, as secrets do not belong in rule files. An unset
//	               variable or unreadable file fails the task.
//	body           template: JSON mode when Content-Type is JSON, which it
//	               is by default when there is a body; Plain otherwise.
//	expect_status  int or list of int: the statuses that mean success
//	               (default any 2xx).
//	max_output     int. Bytes of the response body kept, the tail (default
//	               65536).
//
// The task's timeout key bounds the call (default 30s, HTTP.Timeout).
// Redirects are not followed: a 3xx is reported (list it in expect_status
// to accept it). The Result's ExitCode is the status code. Network
// errors, timeouts, 429 and 5xx are retryable failures; other statuses are
// not. Plans show "METHOD URL BODY" without the headers.
//
// # Your own action types
//
// An action type is an alexis.Kind: Spec describes it, New prepares a
// task's parameters into an alexis.Action (Render for plans, Run for
// real). Define builds one from a parameter struct and a function, and
// Func makes an Action of a Go function; see the examples. Register it in
// the registry you hand to the rule loader. Runs must honour their context
// and may use TailBuffer to cap output.
package action
