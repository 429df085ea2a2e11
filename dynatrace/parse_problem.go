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
		firstOf(&p.id, o, "id", "problemId")
		firstOf(&p.displayID, o, "displayName", "displayId")
		firstOf(&p.title, o, "title")
		firstOf(&p.status, o, "status")
		firstOf(&p.severity, o, "severityLevel")
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

// firstOf type-checks each key of o as a string and sets *dst to the first
// non-empty one, unless *dst is set already.
func firstOf(dst *string, o payload.Object, keys ...string) {
	for _, k := range keys {
		if v := o.View(k); *dst == "" && len(v) > 0 {
			*dst = string(v)
		}
	}
}

// tagString renders {context, key, value} the way Dynatrace writes tags:
// "key", "key:value", "[AWS]Name:web-01" (CONTEXTLESS has no prefix).
func tagString(t payload.Object) string {
	k := t.View("key")
	if len(k) == 0 {
		return ""
	}
	c, v := t.View("context"), t.View("value")
	ctx := len(c) > 0 && string(c) != "CONTEXTLESS"
	switch {
	case ctx && len(v) > 0:
		return "[" + string(c) + "]" + string(k) + ":" + string(v)
	case ctx:
		return "[" + string(c) + "]" + string(k)
	case len(v) > 0:
		return string(k) + ":" + string(v)
	}
	return string(k)
}
