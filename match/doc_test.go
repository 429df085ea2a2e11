package match_test

import (
	"testing"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/match"
)

// TestDocExamples evaluates the examples of the package documentation on
// the fixtures, so the documentation stays true.
func TestDocExamples(t *testing.T) {
	dyn := fixtureEvent(t) // OpsGenie alert raised by Dynatrace
	dyn.Details["Problem URL"] = "https://abc12345.live.dynatrace.com/#problems"
	dyn.Details["hosts"] = "web-01, web-02"
	dyn.Entities = append(dyn.Entities, alexis.Entity{Name: "web-01", Type: "HOST"})
	gc := opsgenieEvent(t, readFile(t, "opsgenie_create_duplicator_gc.json"))
	raw := &alexis.Event{Source: alexis.SourceDynatrace, Raw: readFile(t, "dynatrace_problem_open.json")}
	conds := []struct {
		ev   *alexis.Event
		expr string
	}{
		{dyn, `source == "opsgenie"`},
		{dyn, `id == "6d1f3a9e-4b7c-4f2e-9a51-0c8e7d2b5f43-1715950921337"`},
		{dyn, `short_id == "4187"`},
		{dyn, `alias startsWith "-3791384261738475918"`},
		{dyn, `action == "Create"`},
		{dyn, `message contains "Failure rate"`},
		{dyn, `icontains(description, "root cause")`},
		{dyn, `priority in ["P1", "P2"]`},
		{dyn, `"app:duplicator" in tags`},
		{dyn, `len(tags) > 0`},
		{dyn, `tag_values.Environment == "Prod"`},
		{dyn, `tag_values["[AWS]Name"] == "web-01"`},
		{dyn, `details.ProblemSeverity == "ERROR"`},
		{dyn, `details["Problem URL"] != ""`},
		{dyn, `any(entities, .type == "HOST" && .name startsWith "web-")`},
		{dyn, `has_tag("app:duplicator")`},
		{dyn, `all_tags("Environment:Prod", "app:duplicator")`},
		{dyn, `any_tag("app:duplicator", "app:replicator")`},
		{dyn, `tag("app") == "duplicator"`},
		{gc, `json("alert.details.host_regex") != ""`},
		{raw, "\"web-01\" in json_list(`ImpactedEntities.#(type==\"HOST\")#.name`)"},
		{gc, `icontains(message, "garbage-COLLECTION")`},
		{raw, `json("Problem URL") != ""`},
		{raw, `json("ImpactedEntities.#(type==\"HOST\").name") == "web-01"`},
		{raw, "json(`ImpactedEntities.#(type==\"HOST\").name`) == \"web-01\""},
		{dyn, `priority != "P5"`},
		{dyn, `has_tag("app:duplicator") and not has_tag("maintenance")`},
		{dyn, `message startsWith "SERVICE Problem"`},
		{gc, `message matches "garbage-collection (time|pause)"`},
		{dyn, `source == "dynatrace" ? details.State == "OPEN" : true`},
		{dyn, `let app = tag("app"); app == "duplicator" || app == "replicator"`},
		{dyn, `tag("app") + "-01" == "duplicator-01"`},
		{dyn, `any(tags, # startsWith "app:")`},
		{dyn, `lower(tag("Environment")) == "prod"`},
		{gc, `message matches "(?i)GARBAGE-collection"`},
	}
	for _, c := range conds {
		cond, err := match.CompileCondition(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if ok, err := cond.Eval(match.Prepare(c.ev)); !ok || err != nil {
			t.Errorf("%s = %v, %v; want true", c.expr, ok, err)
		}
	}
	for _, src := range []string{
		`details.host`, `[details.primary, details.standby]`, `split(details.hosts, ",")`,
		`map(filter(entities, .type == "HOST"), .name)`, "json_list(`ImpactedEntities.#(type==\"HOST\")#.name`)",
	} {
		if _, err := match.CompileTargets(src); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}
