// Package match compiles and evaluates the expressions of Alexis rules: the
// `when` condition that decides whether a rule applies to an alert, and the
// `targets_from` expression that yields the hosts it acts on. Expressions
// are written in the expr language (github.com/expr-lang/expr) over the
// normalized alexis.Event, with gjson paths into the alert's raw JSON.
//
// The shortest use:
//
//	cond, err := match.CompileCondition(`has_tag("app:duplicator") && message matches "(?i)gc time"`)
//	sc := match.Prepare(ev)          // once per event
//	ok, err := cond.Eval(sc)         // for every rule
//
// In a rule set, use Prepare as alexis.RuleSet.Prepare, a *Condition as
// Rule.When with its Requirements() as Rule.Requires, and a *Targets as
// Rule.Targets; package rule does this for rule files.
//
// # Fields
//
// Every field of the normalized event has a name. A field the alert does
// not carry is the empty string, the empty list or the empty map, never an
// error, so a comparison on it is simply false.
//
//	source       string  "opsgenie", "dynatrace", "alertmanager" or "generic"
//	                     source == "dynatrace"
//	id           string  the source's stable ID (OpsGenie alertId, Dynatrace PID,
//	                     Alertmanager fingerprint)
//	                     id == "6d1f3a9e-4b7c-4f2e-9a51-0c8e7d2b5f43-1715950921337"
//	short_id     string  the human short number (OpsGenie tinyId, Dynatrace P-240517133)
//	                     short_id == "4187"
//	alias        string  the deduplication key (OpsGenie alias)
//	                     alias startsWith "-3791384261738475918"
//	action       string  Create, Close, AddNote... (OpsGenie), OPEN, RESOLVED
//	                     (Dynatrace), firing, resolved (Alertmanager)
//	                     action == "Create"
//	message      string  the alert's title
//	                     message contains "Failure rate"
//	description  string  the alert's longer text
//	                     icontains(description, "root cause")
//	priority     string  the priority or severity as the source says it
//	                     priority in ["P1", "P2"]
//	tags         list of strings, as the source gave them
//	                     "app:duplicator" in tags,  len(tags) > 0
//	tag_values   map of the "key:value" tags, key to value (see alexis.ParseTags:
//	             "[AWS]Name:web-01" gives both "[AWS]Name" and "Name")
//	                     tag_values.Environment == "Prod",  tag_values["[AWS]Name"] == "web-01"
//	details      map of the source's string properties (OpsGenie details,
//	             Alertmanager labels and annotations)
//	                     details.ProblemSeverity == "ERROR",  details["Problem URL"] != ""
//	entities     list of the impacted entities, each with name, id and type
//	                     any(entities, .type == "HOST" && .name startsWith "web-")
//
// # Helpers
//
//	has_tag(t)           true when the event carries tag t exactly (case matters)
//	                     has_tag("app:duplicator")
//	all_tags(t, ...)     true when it carries every one of the tags (true for none)
//	                     all_tags("Environment:Prod", "app:duplicator")
//	any_tag(t, ...)      true when it carries at least one of them (false for none)
//	                     any_tag("app:duplicator", "app:replicator")
//	tag(key)             the value of the "key:value" tag, "" when there is none;
//	                     the same as tag_values[key]
//	                     tag("app") == "duplicator"
//	json(path)           the value at a gjson path of the raw JSON body, as a
//	                     string: a string unquoted, a number or boolean as written,
//	                     an object or array as its JSON text, "" when missing or null
//	                     json("alert.details.host_regex") != ""
//	json_list(path)      the value at a gjson path as a list of strings: each element
//	                     of an array (rendered as json does), a one-element list for
//	                     any other value, an empty list when missing or null
//	                     "web-01" in json_list(`ImpactedEntities.#(type=="HOST")#.name`)
//	icontains(s, sub)    true when sub is within s, ignoring case (Unicode simple
//	                     case folding); true when sub is ""
//	                     icontains(message, "gc time")
//
// json and json_list read the body as received, so any field of any source
// is reachable. The path syntax is gjson's (github.com/tidwall/gjson): dots
// separate keys, a number indexes an array, "#" is an array's length,
// "#.key" collects a key from every element, and #(key=="value") picks the
// first element where key has that value (#(...)# picks all of them). Keys
// may contain spaces as they are: json("Problem URL") reads the Dynatrace
// key "Problem URL". A dot or another special character inside a key is
// escaped with a backslash: the key "a.b" is the path a\.b. In a
// double-quoted expr string the backslash and the quote must themselves be
// escaped, so a backquoted string is easier:
//
//	json("a\\.b") == "x"                                   is the same as  json(`a\.b`) == "x"
//	json("ImpactedEntities.#(type==\"HOST\").name")        is the same as  json(`ImpactedEntities.#(type=="HOST").name`)
//
// The path must be a constant string ("alert." + "tinyId" is fine): alert
// text never chooses what is read. Each path is looked up once per event,
// whatever the number of rules that use it. json returns a string and json_list a list of strings, but the
// type checker knows them only as values of any type: compare them
// (json("alert.priority") == "P1") rather than using them as booleans.
//
// # Operators
//
// The expr language's operators and builtins are available; the ones rules
// use most:
//
//	== != < > <= >=          comparison:            priority != "P5"
//	&& and, || or, ! not     logic:                 has_tag("a") and not has_tag("b")
//	in, not in               membership in a list:  priority in ["P1", "P2"]
//	contains, startsWith,    substring tests, case-sensitive:
//	endsWith                                        message startsWith "SERVICE Problem"
//	matches                  regular expression (RE2 syntax, unanchored):
//	                                                message matches "GC (time|pause)"
//	cond ? a : b             choice:                source == "dynatrace" ? details.State == "OPEN" : true
//	let x = ...; ...         a named value:         let app = tag("app"); app == "duplicator" || app == "replicator"
//	+                        string concatenation:  tag("app") + "-01"
//	any, all, none, one,     predicates over lists, with # the element and .name its field:
//	filter, map, count       any(tags, # startsWith "team:"),  map(filter(entities, .type == "HOST"), .name)
//	len, lower, upper, trim, split, join, replace, hasPrefix, hasSuffix, first, last, uniq, ...
//	                         lower(tag("env")) == "prod",  split(details.hosts, ",")
//
// The pattern of matches must be a constant string: it is compiled once,
// when the rule loads, and never from alert text. Use (?i) for a
// case-insensitive match: message matches "(?i)out of memory". A pattern
// that is just a case-insensitive literal runs as icontains.
//
// The names above cannot be redeclared with let. The builtin repeat and
// the variable $env are not available.
//
// # Conditions
//
// CompileCondition requires a boolean expression. Unknown names and
// functions, wrong argument types, a non-boolean result and invalid
// regular expressions are errors at compile time (*Error, with the 1-based
// line and column inside the expression text). At run time, a missing
// field is never an error; an error happens only for things like indexing
// past the end of a list (entities[3].name when there are fewer
// entities): then the rule does not match and the engine logs the error
// with the rule's name. Write len(entities) > 3 && entities[3].name == "x"
// or any(entities, ...) instead.
//
// # Targets
//
// CompileTargets requires an expression that yields a string or a list of
// strings; a number, a boolean or a map is a compile-time error. Select
// trims white space around each host, drops empty strings and duplicates,
// and keeps the order:
//
//	details.host                                       one host
//	[details.primary, details.standby]                 a list
//	split(details.hosts, ",")                          "web-01, web-02" gives web-01 and web-02
//	map(filter(entities, .type == "HOST"), .name)      the impacted hosts
//	json_list(`ImpactedEntities.#(type=="HOST")#.name`)
//
// Every host is still checked by alexis.ValidTarget before anything runs.
//
// # Performance
//
// Prepare does the per-event work once; evaluating a rule then allocates
// nothing for field reads, has_tag, all_tags, any_tag, "x" in tags, tag,
// json, json_list (cached per event), icontains and constant regular
// expressions. (Reading details.key and tag_values.key goes through
// reflection and allocates a little; tag(key) does not.) The engine's index
// skips the rules that cannot match without evaluating them, using the
// necessary conditions that Requirements finds in the top-level && chain of
// a condition:
//
//	has_tag("t"), all_tags("t", ...), "t" in tags
//	source, id, short_id, alias, action, message, description or priority == "literal"
//	tag("k") == "v", tag_values.k == "v", tag_values["k"] == "v"
//
// A condition that starts with one of these (has_tag("app:duplicator") &&
// ...) costs almost nothing for alerts it cannot match. Tests under ||, !
// or a ternary are not requirements.
//
// # Limits
//
// An expression has at most MaxNodes syntax nodes, and one evaluation may
// build at most MemoryBudget list elements, so no alert, however large,
// can make an evaluation run long or exhaust memory.
package match
