package dynatrace

import (
	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload"
)

// problem is what Parse takes from the expanded {ProblemDetailsJSON}
// (Problems API v1) and {ProblemDetailsJSONv2} (Problems API v2) objects.
type problem struct {
	id, displayID, title, status, severity string
	tags                                   []string
	entities                               []alexis.Entity
}

// problemDetails reads the v1 and v2 fields from whichever of detailKeys
// are present. The first non-empty value wins, v1 key before v2 key.
func problemDetails(top payload.Object) problem {
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
			p.tags = append(p.tags, tagString(t))
		}
		for _, t := range o.Objs("entityTags") {
			p.tags = append(p.tags, first(t.Str("stringRepresentation"), tagString(t)))
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

// tagString renders {context, key, value} the way Dynatrace writes tags:
// "key", "key:value", "[AWS]Name:web-01" (CONTEXTLESS has no prefix).
func tagString(t payload.Object) string {
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
