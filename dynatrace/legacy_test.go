package dynatrace

import (
	"strings"
	"testing"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/internal/payload/payloadtest/legacy"
)

// legacyParse is Parse as it was before package payload became a one-pass
// scanner (commit cf97486), on the decoder of that time: the oracle of
// FuzzParseLegacy. Only the names differ; the helpers that never touched
// the decoder (splitTags, mergeTags, mergeEntities, first) are shared.
func legacyParse(body []byte) (*alexis.Event, error) {
	top, err := legacy.Parse(body)
	if err != nil {
		return nil, err
	}
	test := legacyIsTestTop(top)
	ev := legacyParseTop(top)
	if test {
		ev.Ignore = TestIgnore
	} else if err := top.Doc.Err(); err != nil {
		return nil, err
	}
	ev.Raw = body
	return ev, nil
}

func legacyIsTest(body []byte) bool {
	top, err := legacy.Parse(body)
	return err == nil && legacyIsTestTop(top)
}

func legacyIsTestTop(top legacy.Object) bool {
	pid, pbID := top.Peek("PID"), top.Peek("ProblemID")
	for _, k := range []string{"PID", "ProblemID", "State", "ProblemTitle"} {
		if top.Peek(k) == "{"+k+"}" {
			return true
		}
	}
	switch {
	case top.Peek("ProblemTitle") == TestTitle,
		pid == "99999", pid == "999999",
		pbID == "TESTID",
		pbID == "999" && !strings.Contains(pid, "_"): // real PIDs are <n>_<startMs>[V2]
		return true
	}
	return false
}

func legacyFlat(top legacy.Object, key string) string {
	s := top.Str(key)
	if s == "{"+key+"}" || key == "Problem URL" && s == "{ProblemURL}" {
		return ""
	}
	return s
}

func legacyParseTop(top legacy.Object) *alexis.Event {
	ev := &alexis.Event{Source: alexis.SourceDynatrace}
	for _, k := range stringFields {
		legacyFlat(top, k) // type-check
	}
	pd := legacyProblemDetails(top)

	ev.ID = first(legacyFlat(top, "PID"), pd.id)
	ev.ShortID = first(legacyFlat(top, "ProblemID"), pd.displayID)
	ev.Message = first(legacyFlat(top, "ProblemTitle"), pd.title)
	ev.Description = legacyFlat(top, "ImpactedEntity")
	ev.Priority = first(legacyFlat(top, "ProblemSeverity"), pd.severity)
	ev.Action = first(legacyFlat(top, "State"), pd.status)
	if ev.Action == "CLOSED" {
		ev.Action = StateResolved
	}
	if ev.ID == "" {
		top.Doc.Fail("PID", "required")
	}
	if ev.Action == "" {
		top.Doc.Fail("State", "required")
	}

	ev.Tags = mergeTags(splitTags(legacyFlat(top, "Tags")), pd.tags)
	ev.TagValues = alexis.ParseTags(ev.Tags)
	ev.Entities = mergeEntities(legacyImpactedEntities(top), pd.entities)
	ev.Details = legacyDetails(top)
	return ev
}

func legacyDetails(top legacy.Object) map[string]string {
	var m map[string]string
	for _, k := range top.Keys {
		if renderings[k] || k == "Problem URL" && top.Has("ProblemURL") {
			continue
		}
		v := top.Raw(k)
		if v == nil || v[0] != '"' {
			continue
		}
		s := legacyFlat(top, k)
		if s == "" {
			continue
		}
		if k == "Problem URL" {
			k = "ProblemURL"
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = s
	}
	return m
}

func legacyImpactedEntities(top legacy.Object) []alexis.Entity {
	var out []alexis.Entity
	for _, o := range top.Objs("ImpactedEntities") {
		out = append(out, alexis.Entity{Name: o.Str("name"), ID: o.Str("entity"), Type: o.Str("type")})
	}
	return out
}

func legacyProblemDetails(top legacy.Object) problem {
	var p problem
	for _, key := range detailKeys {
		o, ok := top.Obj(key)
		if !ok {
			continue
		}
		p.id = first(p.id, o.Str("id"), o.Str("problemId"))
		p.displayID = first(p.displayID, o.Str("displayName"), o.Str("displayId"))
		p.title = first(p.title, o.Str("title"))
		p.status = first(p.status, o.Str("status"))
		p.severity = first(p.severity, o.Str("severityLevel"))
		for _, t := range o.Objs("tagsOfAffectedEntities") {
			p.tags = append(p.tags, legacyTagString(t))
		}
		for _, t := range o.Objs("entityTags") {
			p.tags = append(p.tags, first(t.Str("stringRepresentation"), legacyTagString(t)))
		}
		for _, e := range o.Objs("impactedEntities") {
			ent := alexis.Entity{Name: e.Str("name")}
			if id, ok := e.Obj("entityId"); ok {
				ent.ID, ent.Type = id.Str("id"), id.Str("type")
			}
			p.entities = append(p.entities, ent)
		}
	}
	return p
}

func legacyTagString(t legacy.Object) string {
	s := t.Str("key")
	if s == "" {
		return ""
	}
	if c := t.Str("context"); c != "" && c != "CONTEXTLESS" {
		s = "[" + c + "]" + s
	}
	if v := t.Str("value"); v != "" {
		s += ":" + v
	}
	return s
}

// FuzzParseLegacy checks that Parse and IsTest return exactly what they
// returned before (the same Event, or an error of the same code and
// message) for every body.
func FuzzParseLegacy(f *testing.F) {
	payloadtest.Seeds(f,
		``, `{}`, `{"PID":"{PID}"}`, `{"PID":"1_2","State":"CLOSED"}`,
		`{"ProblemDetailsJSON":{"id":"1_2","status":"OPEN","tagsOfAffectedEntities":[{"key":"a"}]}}`,
		`{"PID":"1_2","State":"OPEN","ProblemDetailsJSONv2":{"impactedEntities":[{"entityId":{"id":"HOST-1"}}]}}`,
		`{"PID":"1_2","State":"OPEN","Problem URL":"u","ProblemURL":null,"X":"{X}","Y":"","Z":1,"ProblemDetailsHTML":"h"}`,
		`{"PID":"1_2","State":"OPEN","Problem URL":"{ProblemURL}","ProblemURL":"","Tags":"a, b:c ,, [C]k:v"}`,
		`{"PID":"1_2","State":"OPEN","Problem URL":"u","ProblemURL":"v","P\u0049D2":"x\n"}`,
		`{"PID":3,"State":"OPEN"}`, `{"PID":"1_2","State":"OPEN","ImpactedEntities":[{"name":1}]}`,
		`{"PID":"1_2","State":"OPEN","ImpactedEntities":{}}`, `{"PID":"99999","State":1}`,
		`{"ProblemID":"999","PID":"7"}`, `{"ProblemID":"999","PID":"7_1"}`, `{"ProblemTitle":"`+TestTitle+`","Tags":[]}`,
		`{"ProblemDetailsJSONv2":{"problemId":"1_2","displayId":"P-1","title":"t","status":"CLOSED","severityLevel":"ERROR",`+
			`"entityTags":[{"stringRepresentation":"s"},{"context":"AWS","key":"k","value":"v"},{"key":""}],`+
			`"impactedEntities":[{"name":"n","entityId":{"id":"HOST-1","type":"HOST"}},{"name":"n","entityId":{"id":"HOST-1"}}]},`+
			`"ProblemDetailsJSON":{"id":"","displayName":7}}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotErr := Parse(body)
		want, wantErr := legacyParse(body)
		payloadtest.Same(t, got, gotErr, want, wantErr)
		if g, w := IsTest(body), legacyIsTest(body); g != w {
			t.Fatalf("IsTest %v, legacy %v", g, w)
		}
	})
}
