package match_test

import (
	"errors"
	"testing"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/match"
)

// FuzzCompileAndMatch compiles arbitrary expression text as a condition
// and as targets and runs them on an event made from an arbitrary payload.
// Nothing may panic; every error must be a *match.Error; and whenever the
// condition is true, the requirements it reported must hold (soundness of
// the static analysis that the engine's index relies on).
func FuzzCompileAndMatch(f *testing.F) {
	body := readFile(f, "opsgenie_create_from_dynatrace.json")
	for _, src := range []string{
		`has_tag("app:duplicator") && message matches "(?i)failure"`,
		`all_tags("Environment:Prod", "app:duplicator") && priority == "P2" && action == "Create"`,
		`"app:duplicator" in tags and tag("Name") == "web-01" and source == "opsgenie"`,
		`tag_values.app == "duplicator" && json("alert.details.State") == "OPEN"`,
		`any_tag("a", "b") || !has_tag("c") ? icontains(description, "root") : false`,
		`split(details.Tags, ", ")`,
		`map(filter(entities, .type == "HOST"), .name)`,
		`json_list("alert.tags")`,
		`let x = json("alert.tinyId"); x == "4187" && alias != ""`,
		`reduce(1..100000, #acc + #, 0) > 0`,
		`entities[7].name == "x"`,
		`message matches details.re`,
		`repeat(message, 1000000) == ""`,
		`json("a\\.b") == "c"`,
	} {
		f.Add(src, body)
		f.Add(src, []byte(`{"a.b":"c","alert":{"tags":["x",1,null,{"y":2}]}}`))
	}
	f.Add(`json("") == ""`, []byte(`not json at all {{{`))
	f.Fuzz(func(t *testing.T, src string, payload []byte) {
		if len(src) > 1000 || len(payload) > 1<<14 {
			return // bounded work per input
		}
		ev := opsgenieEventLenient(payload)
		sc := match.Prepare(ev)
		c, err := match.CompileCondition(src)
		checkErr(t, src, err)
		if err == nil {
			ok, err := c.Eval(sc)
			checkErr(t, src, err)
			if ok {
				checkRequirements(t, src, c.Requirements(), ev)
			}
		}
		ts, err := match.CompileTargets(src)
		checkErr(t, src, err)
		if err == nil {
			_, err := ts.Select(sc)
			checkErr(t, src, err)
		}
	})
}

func checkErr(t *testing.T, src string, err error) {
	t.Helper()
	var e *match.Error
	if err != nil && (!errors.As(err, &e) || e.Line < 1 || e.Column < 1) {
		t.Fatalf("%q: error %v (%T) is not a positioned *match.Error", src, err, err)
	}
}

func checkRequirements(t *testing.T, src string, req alexis.Requirements, ev *alexis.Event) {
	t.Helper()
	for _, tag := range req.Tags {
		if !ev.HasTag(tag) {
			t.Fatalf("%q is true but required tag %q is missing", src, tag)
		}
	}
	fields := map[string]string{"source": string(ev.Source), "id": ev.ID, "short_id": ev.ShortID, "alias": ev.Alias,
		"action": ev.Action, "message": ev.Message, "description": ev.Description, "priority": ev.Priority}
	for k, v := range req.Equals {
		if fields[k] != v {
			t.Fatalf("%q is true but required %s == %q does not hold", src, k, v)
		}
	}
	for k, v := range req.TagValues {
		if ev.TagValues[k] != v {
			t.Fatalf("%q is true but required tag value %s == %q does not hold", src, k, v)
		}
	}
}

// opsgenieEventLenient makes an event of any payload: the fields decode
// when the payload is an OpsGenie body, and Raw is the payload as is.
func opsgenieEventLenient(payload []byte) *alexis.Event {
	if ev, err := decodeOpsGenie(payload); err == nil {
		return ev
	}
	return &alexis.Event{Source: alexis.SourceOpsGenie, Raw: payload}
}
