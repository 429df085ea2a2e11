package match_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/match"
	"github.com/google/go-cmp/cmp"
)

func TestConditionOnOpsGenieFixture(t *testing.T) {
	sc := match.Prepare(fixtureEvent(t))
	tests := []struct {
		expr string
		want bool
	}{
		{`source == "opsgenie"`, true},
		{`source == "dynatrace"`, false},
		{`id == "6d1f3a9e-4b7c-4f2e-9a51-0c8e7d2b5f43-1715950921337"`, true},
		{`short_id == "4187"`, true},
		{`alias == "-3791384261738475918_1715950860000V2"`, true},
		{`action == "Create"`, true},
		{`action == "create"`, false},
		{`message == "SERVICE Problem P-240517133: Failure rate increase"`, true},
		{`description contains "Root cause: High connectivity failures"`, true},
		{`priority == "P2"`, true},
		{`priority in ["P1", "P2"]`, true},
		{`len(tags) == 3`, true},
		{`"app:duplicator" in tags`, true},
		{`"app:other" in tags`, false},
		{`"app:other" not in tags`, true},
		{`has_tag("Environment:Prod")`, true},
		{`has_tag("environment:prod")`, false},
		{`all_tags("Environment:Prod", "app:duplicator")`, true},
		{`all_tags("Environment:Prod", "app:other")`, false},
		{`all_tags()`, true},
		{`any_tag("app:other", "app:duplicator")`, true},
		{`any_tag("app:other", "app:x")`, false},
		{`any_tag()`, false},
		{`tag("app") == "duplicator"`, true},
		{`tag("Name") == "web-01"`, true},
		{`tag("[AWS]Name") == "web-01"`, true},
		{`tag("missing") == ""`, true},
		{`tag_values.Environment == "Prod"`, true},
		{`tag_values["[AWS]Name"] == "web-01"`, true},
		{`tag_values.missing == ""`, true},
		{`details.State == "OPEN"`, true},
		{`details["ProblemSeverity"] == "ERROR"`, true},
		{`details.missing == ""`, true},
		{`details.missing matches "x"`, false},
		{`icontains(details.missing, "x")`, false},
		{`entities[0].name == "duplicator"`, true},
		{`any(entities, .name == "duplicator")`, true},
		{`any(entities, .type == "HOST")`, false},
		{`json("alert.details.ProblemImpact") == "SERVICE"`, true},
		{`json("alert.createdAt") == "1715950921337"`, true},
		{`json("alert.responders.0.name") == "sre-platform"`, true},
		{`json("alert.responders.#") == "1"`, true},
		{`json("alert.nothing.here") == ""`, true},
		{`json("alert." + "tinyId") == "4187"`, true}, // constant after folding
		{`json("integrationType") == "Webhook"`, true},
		{`"Restart duplicator" in json_list("alert.actions")`, true},
		{`json_list("alert.teams") == ["4e1b7c2a-9d3f-4a6b-8c5e-2f7a1d9b3c60"]`, true},
		{`len(json_list("alert.missing")) == 0`, true},
		{`message matches "Failure rate (increase|decrease)"`, true},
		{`message matches "(?i)failure RATE"`, true},
		{`message matches "^Failure"`, false},
		{`icontains(message, "FAILURE rate")`, true},
		{`icontains(message, "success")`, false},
		{`lower(details.ImpactedEntityNames) == "duplicator" and not has_tag("maintenance")`, true},
		{`has_tag("app:duplicator") && (priority == "P1" || priority == "P2")`, true},
		{`source == "opsgenie" ? has_tag("app:x") : true`, false},
		{`let app = tag("app"); app == "duplicator"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := match.CompileCondition(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Eval(sc)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestJSONKeysWithSpacesAndDots reaches the Dynatrace "Problem URL" key
// (a space: gjson takes it as is) and a key containing dots (escaped with
// a backslash in the gjson path, written "\\." in a double-quoted expr
// string or "\." in a backquoted one).
func TestJSONKeysWithSpacesAndDots(t *testing.T) {
	raw := readFile(t, "dynatrace_problem_open.json")
	ev := &alexis.Event{Source: alexis.SourceDynatrace, Raw: []byte(`{"Problem URL":"https://dt/p/1","a.b":{"c":"dotted"},"a":{"b":{"c":"nested"}}}`)}
	dyn := &alexis.Event{Source: alexis.SourceDynatrace, Raw: raw}
	tests := []struct {
		ev   *alexis.Event
		expr string
		want bool
	}{
		{ev, `json("Problem URL") == "https://dt/p/1"`, true},
		{ev, `json("a\\.b.c") == "dotted"`, true},
		{ev, "json(`a\\.b.c`) == \"dotted\"", true},
		{ev, `json("a.b.c") == "nested"`, true},
		{dyn, `json("Problem URL") startsWith "https://abc12345.live.dynatrace.com/"`, true},
		{dyn, `json("ProblemDetailsJSON.tagsOfAffectedEntities.#(context==\"AWS\").value") == "web-01"`, true},
		{dyn, `"web-01" in json_list("ImpactedEntities.#(type==\"HOST\")#.name")`, true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := match.CompileCondition(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Eval(match.Prepare(tt.ev))
			if err != nil || got != tt.want {
				t.Errorf("Eval = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestMissingFieldsAreFalse evaluates conditions on an empty event: every
// field is missing, and every condition is simply false.
func TestMissingFieldsAreFalse(t *testing.T) {
	sc := match.Prepare(&alexis.Event{})
	for _, src := range []string{
		`has_tag("a")`, `"a" in tags`, `tag("a") == "b"`, `tag_values.a == "b"`, `details.host == "h"`,
		`details.host matches "."`, `message matches "."`, `json("alert.details.host") == "h"`,
		`json("a") matches "."`, `icontains(description, "x")`, `any(entities, .type == "HOST")`,
		`len(json_list("a")) > 0`, `priority == "P1"`, `any_tag("a", "b")`,
	} {
		c, err := match.CompileCondition(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, err := c.Eval(sc)
		if err != nil || got {
			t.Errorf("%s: Eval = %v, %v; want false, nil", src, got, err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		expr string
		want match.Error
	}{
		{``, match.Error{Line: 1, Column: 1, Msg: "empty expression"}},
		{`descripton == "x"`, match.Error{Line: 1, Column: 1, Msg: "unknown name descripton"}},
		{`has_tag("a") && nope("b")`, match.Error{Line: 1, Column: 17, Msg: "unknown name nope"}},
		{`message`, match.Error{Line: 1, Column: 1, Msg: "expected bool, but got string"}},
		{`has_tag(1)`, match.Error{Line: 1, Column: 9, Msg: "cannot use int as argument (type string) to call has_tag "}},
		{`all_tags("a", 2)`, match.Error{Line: 1, Column: 15, Msg: "cannot use int as argument (type string) to call all_tags "}},
		{"has_tag(\"a\") &&\n  message matches \"(\"", match.Error{Line: 2, Column: 11, Msg: "error parsing regexp: missing closing ): `(`"}},
		{`message matches details.pattern`, match.Error{Line: 1, Column: 9, Msg: "the pattern of matches must be a constant string"}},
		{`let tags = ["a"]; "a" in tags`, match.Error{Line: 1, Column: 5, Msg: `cannot redeclare "tags" with let`}},
		{`json(1) == "x"`, match.Error{Line: 1, Column: 6, Msg: "cannot use int as argument (type string) to call json"}},
		{`has_tag("a") and tag(tags) == ""`, match.Error{Line: 1, Column: 22, Msg: "cannot use []string as argument (type string) to call tag"}},
		{`json("a")`, match.Error{Line: 1, Column: 1, Msg: `expected bool, but got a value of any type (json, json_list and tag give strings: compare them, as in json("a.b") == "x")`}},
		{`action == `, match.Error{Line: 1, Column: 10, Msg: "unexpected token EOF"}},
		{`json(message) == "x"`, match.Error{Line: 1, Column: 6, Msg: "the path of json must be a constant string"}},
		{`"x" in json_list("alert." + tag("k"))`, match.Error{Line: 1, Column: 27, Msg: "the path of json_list must be a constant string"}},
		{`$env.json(message) == "x"`, match.Error{Line: 1, Column: 1, Msg: "$env is not available: use the names directly"}},
		{`repeat("a", 2) == "aa"`, match.Error{Line: 1, Column: 1, Msg: "unknown name repeat"}},
		{strings.Repeat(`has_tag("a") && `, 700) + "true", match.Error{Line: 1, Column: 8012, Msg: "compilation failed: expression exceeds maximum allowed nodes"}},
		{`icontains(message)`, match.Error{Line: 1, Column: 1, Msg: "not enough arguments to call icontains"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := match.CompileCondition(tt.expr)
			var e *match.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *match.Error", err, err)
			}
			if diff := cmp.Diff(tt.want, *e); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	ev := fixtureEvent(t)
	ev.Details["hosts"] = "web-01, web-02,,web-01 , web-03"
	ev.Entities = append(ev.Entities, alexis.Entity{Name: "web-01", Type: "HOST"}, alexis.Entity{Name: "web-09", Type: "HOST"})
	sc := match.Prepare(ev)
	tests := []struct {
		expr string
		want []string
	}{
		{`tag("Name")`, []string{"web-01"}},
		{`details.missing`, []string{}},
		{`split(details.hosts, ",")`, []string{"web-01", "web-02", "web-03"}},
		{`[tag("Name"), details.missing, "db-01"]`, []string{"web-01", "db-01"}},
		{`map(filter(entities, .type == "HOST"), .name)`, []string{"web-01", "web-09"}},
		{`json("alert.details.ImpactedEntityNames")`, []string{"duplicator"}},
		{`json_list("alert.responders.#.name")`, []string{"sre-platform"}},
		{`has_tag("app:duplicator") ? [tag("Name")] : []`, []string{"web-01"}},
		{`nil`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			ts, err := match.CompileTargets(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ts.Select(sc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Select mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTargetsErrors(t *testing.T) {
	for _, tt := range []struct{ expr, msg string }{
		{`has_tag("a")`, "targets must be a string or a list of strings, not bool"},
		{`len(tags)`, "targets must be a string or a list of strings, not int"},
		{`details`, "targets must be a string or a list of strings, not map[string]string"},
		{`hostname`, "unknown name hostname"},
	} {
		_, err := match.CompileTargets(tt.expr)
		var e *match.Error
		if !errors.As(err, &e) || e.Msg != tt.msg {
			t.Errorf("%s: err = %v, want %q", tt.expr, err, tt.msg)
		}
	}
	// A list with a non-string element is a run-time error.
	ts, err := match.CompileTargets(`["web-01", 2]`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Select(match.Prepare(&alexis.Event{})); err == nil || !strings.Contains(err.Error(), "element 1 of the targets is int") {
		t.Errorf("Select err = %v", err)
	}
}

func TestRuntimeErrorHasPosition(t *testing.T) {
	c, err := match.CompileCondition(`has_tag("x") || entities[3].name == "a"`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Eval(match.Prepare(&alexis.Event{}))
	var e *match.Error
	if !errors.As(err, &e) || e.Line != 1 || e.Column < 17 || !strings.Contains(e.Msg, "index out of range") {
		t.Errorf("err = %#v", err)
	}
}

func TestMemoryBudget(t *testing.T) {
	c, err := match.CompileCondition(`len(map(1..200000, #)) > 0`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Eval(match.Prepare(nil)); err == nil || !strings.Contains(err.Error(), "memory budget exceeded") {
		t.Errorf("err = %v, want memory budget exceeded", err)
	}
}

func TestEvalNeedsPreparedScope(t *testing.T) {
	c, err := match.CompileCondition(`has_tag("x")`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Eval(nil); err == nil {
		t.Error("Eval(nil) succeeded")
	}
}

func TestRequirements(t *testing.T) {
	tests := []struct {
		expr string
		want alexis.Requirements
	}{
		{`has_tag("a")`, alexis.Requirements{Tags: []string{"a"}}},
		{`has_tag("a") && all_tags("b", "c") && "d" in tags && has_tag("a")`, alexis.Requirements{Tags: []string{"a", "b", "c", "d"}}},
		{`action == "Create" and "P1" == priority and source == "opsgenie"`,
			alexis.Requirements{Equals: map[string]string{"action": "Create", "priority": "P1", "source": "opsgenie"}}},
		{`tag("app") == "dup" && tag_values.env == "prod" && tag_values["[AWS]Name"] == "w"`,
			alexis.Requirements{TagValues: map[string]string{"app": "dup", "env": "prod", "[AWS]Name": "w"}}},
		{`let x = 1; has_tag("a") && x == 1`, alexis.Requirements{Tags: []string{"a"}}},
		{`action == "A" && action == "B"`, alexis.Requirements{Equals: map[string]string{"action": "A"}}},
		// Not requirements: disjunctions, negations, ternaries, predicates,
		// comparisons that are not literal equalities, empty literals.
		{`has_tag("a") || has_tag("b")`, alexis.Requirements{}},
		{`any_tag("a", "b")`, alexis.Requirements{}},
		{`!has_tag("a")`, alexis.Requirements{}},
		{`not ("a" in tags)`, alexis.Requirements{}},
		{`"a" not in tags`, alexis.Requirements{}},
		{`has_tag("a") ? true : false`, alexis.Requirements{}},
		{`any(tags, # == "a")`, alexis.Requirements{}},
		{`action != "Create"`, alexis.Requirements{}},
		{`action == details.action`, alexis.Requirements{}},
		{`alias == ""`, alexis.Requirements{}},
		{`has_tag("a") == true`, alexis.Requirements{}},
		{`details.app == "x"`, alexis.Requirements{}},
		{`(has_tag("a") && action == "A") || has_tag("b")`, alexis.Requirements{}},
		{`has_tag("x") && (has_tag("a") || has_tag("b"))`, alexis.Requirements{Tags: []string{"x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := match.CompileCondition(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Requirements()); diff != "" {
				t.Errorf("Requirements mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIcontains(t *testing.T) {
	tests := []struct {
		s, sub string
		want   bool
	}{
		{"Long GC time on Duplicator", "gc TIME", true},
		{"Long GC time", "", true},
		{"", "a", false},
		{"abc", "abcd", false},
		{"ÉCHEC du service", "échec", true},
		{"straße", "STRASSE", false}, // simple folding only, as strings.EqualFold
		{"Kelvin \u212a", "k", true}, // KELVIN SIGN folds to k
		{"aaab", "aab", true},
	}
	for _, tt := range tests {
		c, err := match.CompileCondition(`icontains(message, description)`)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Eval(match.Prepare(&alexis.Event{Message: tt.s, Description: tt.sub}))
		if err != nil || got != tt.want {
			t.Errorf("icontains(%q, %q) = %v, %v; want %v", tt.s, tt.sub, got, err, tt.want)
		}
	}
}

// TestNoAllocationPerRule proves that constant regular expressions are
// compiled with the rule (an evaluation allocates nothing, whereas compiling
// a regexp allocates) and that the common helpers do not allocate either.
func TestNoAllocationPerRule(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	sc := match.Prepare(fixtureEvent(t))
	for _, src := range []string{
		`message matches "(?i)failure rate (increase|decrease)" && has_tag("app:duplicator")`,
		`all_tags("Environment:Prod", "app:duplicator") && any_tag("x", "[AWS]Name:web-01")`,
		`"app:duplicator" in tags && action == "Create" && priority in ["P1", "P2"]`,
		`tag("app") == "duplicator" && icontains(description, "CONNECTIVITY")`,
		`json("alert.details.ProblemImpact") == "SERVICE"`,
	} {
		c, err := match.CompileCondition(src)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := c.Eval(sc); !ok || err != nil {
			t.Fatalf("%s: Eval = %v, %v", src, ok, err)
		}
		if n := testing.AllocsPerRun(200, func() { c.Eval(sc) }); n != 0 {
			t.Errorf("%s: %v allocations per evaluation, want 0", src, n)
		}
	}
}

// FuzzIcontains compares icontains with a reference built on
// strings.EqualFold at every rune boundary.
func FuzzIcontains(f *testing.F) {
	for _, s := range [][2]string{{"Long GC time", "gc TIME"}, {"Kelvin \u212a", "k"}, {"ſtop", "STOP"}, {"aaab", "aab"}, {"x", ""}, {"İ", "i"}} {
		f.Add(s[0], s[1])
	}
	c, err := match.CompileCondition(`icontains(message, description)`)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s, sub string) {
		if !utf8.ValidString(s) || !utf8.ValidString(sub) {
			return // folding is defined on characters
		}
		var bounds []int // rune boundaries of s
		for i := range s {
			bounds = append(bounds, i)
		}
		bounds = append(bounds, len(s))
		want := sub == ""
		for a, i := range bounds {
			for _, j := range bounds[a:] {
				if strings.EqualFold(s[i:j], sub) {
					want = true
				}
			}
		}
		got, err := c.Eval(match.Prepare(&alexis.Event{Message: s, Description: sub}))
		if err != nil || got != want {
			t.Errorf("icontains(%q, %q) = %v, %v; want %v", s, sub, got, err, want)
		}
	})
}

// FuzzFoldLiteral checks that a case-insensitive literal pattern, which the
// compiler turns into icontains, matches exactly as Go's regexp does.
func FuzzFoldLiteral(f *testing.F) {
	for _, s := range [][2]string{{"Out Of Memory error", "out of memory"}, {"\u212aelvin", "k"}, {"x", "ſ"}, {"a.b", "."}, {"", "a"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, lit string) {
		if !utf8.ValidString(s) || !utf8.ValidString(lit) || len(lit) > 100 {
			return
		}
		pattern := "(?i)" + regexp.QuoteMeta(lit)
		c, err := match.CompileCondition(fmt.Sprintf("message matches %q", pattern))
		if err != nil {
			t.Skip(err)
		}
		got, err := c.Eval(match.Prepare(&alexis.Event{Message: s}))
		if want := regexp.MustCompile(pattern).MatchString(s); err != nil || got != want {
			t.Errorf("%q matches %q = %v, %v; regexp says %v", s, pattern, got, err, want)
		}
	})
}

// TestScopeConcurrentUse evaluates rules on one scope from several
// goroutines (run with -race): the lazy json cache is guarded.
func TestScopeConcurrentUse(t *testing.T) {
	sc := match.Prepare(fixtureEvent(t))
	var conds []*match.Condition
	for _, src := range []string{
		`json("alert.details.State") == "OPEN"`, `json("alert.tinyId") == "4187"`,
		`"sre-platform" in json_list("alert.responders.#.name")`, `has_tag("app:duplicator")`,
	} {
		c, err := match.CompileCondition(src)
		if err != nil {
			t.Fatal(err)
		}
		conds = append(conds, c)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				for _, c := range conds {
					if ok, err := c.Eval(sc); !ok || err != nil {
						t.Errorf("%s = %v, %v", c, ok, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestEnvNames(t *testing.T) {
	want := []string{"action", "alias", "all_tags", "any_tag", "description", "details", "entities", "has_tag",
		"icontains", "id", "json", "json_list", "message", "priority", "short_id", "source", "tag", "tag_values", "tags"}
	if diff := cmp.Diff(want, match.EnvNames()); diff != "" {
		t.Errorf("EnvNames (-want +got):\n%s", diff)
	}
	// Every name it lists is known to the compiler.
	for _, n := range want {
		if _, err := match.CompileTargets(n); err != nil && strings.Contains(err.Error(), "unknown name") {
			t.Errorf("%s: %v", n, err)
		}
	}
}
