package source

import (
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload"
)

// genericFields are the JSON names of alexis.Event.
var genericFields = []string{
	"source", "id", "short_id", "alias", "action", "message", "description", "tags",
	"tag_values", "details", "entities", "priority", "received", "ignore", "raw",
}

// ParseGeneric reads an event that another tool posts in Alexis' own
// normalized form, the JSON of alexis.Event:
//
//	{"id": "backup-42", "message": "nightly backup failed on db-01",
//	 "action": "failed", "priority": "P2", "tags": ["team:dba"],
//	 "details": {"host": "db-01"},
//	 "entities": [{"name": "db-01", "type": "HOST"}]}
//
// id and message are required; source, when present, must be "generic".
// Every other field of alexis.Event is optional and type-checked; a field
// Event does not have is an error (a typo such as "mesage" is caught, not
// dropped). tag_values is recomputed from tags (alexis.ParseTags) and
// received is left zero whatever the body says; ignore is kept. Raw is the
// "raw" field when the body has one (the tool's original payload, for gjson
// paths), else the whole body.
func ParseGeneric(body []byte) (*alexis.Event, error) {
	o, err := payload.Parse(body)
	if err != nil {
		return nil, err
	}
	defer o.Doc.Release()
	o.Unknown(genericFields...)
	if s := o.Str("source"); s != "" && s != string(alexis.SourceGeneric) {
		o.Doc.Fail("source", `want "generic" or nothing, got %q (post it to the %s webhook instead)`, s, s)
	}
	ev := &alexis.Event{
		Source:      alexis.SourceGeneric,
		ID:          o.ReqStr("id"),
		ShortID:     o.Str("short_id"),
		Alias:       o.Str("alias"),
		Action:      o.Str("action"),
		Message:     o.ReqStr("message"),
		Description: o.Str("description"),
		Tags:        o.Strs("tags"),
		Details:     o.StrMap("details"),
		Priority:    o.Str("priority"),
		Ignore:      o.Str("ignore"),
		Raw:         o.Raw("raw"),
	}
	o.StrMap("tag_values")
	if s := o.Str("received"); s != "" {
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			o.Doc.Fail("received", "want RFC 3339 time, got %q", s)
		}
	}
	for _, e := range o.Objs("entities") {
		e.Unknown("name", "id", "type")
		ev.Entities = append(ev.Entities, alexis.Entity{Name: e.Str("name"), ID: e.Str("id"), Type: e.Str("type")})
	}
	if err := o.Doc.Err(); err != nil {
		return nil, err
	}
	if len(ev.Tags) == 0 {
		ev.Tags = nil
	}
	if len(ev.Details) == 0 {
		ev.Details = nil
	}
	ev.TagValues = alexis.ParseTags(ev.Tags)
	if ev.Raw == nil {
		ev.Raw = body
	}
	return ev, nil
}
