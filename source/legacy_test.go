package source

import (
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/internal/payload/payloadtest/legacy"
)

// legacyParseGeneric is ParseGeneric as it was before package payload
// became a one-pass scanner (commit cf97486), on the decoder of that time:
// the oracle of FuzzParseGenericLegacy. Only the name differs.
func legacyParseGeneric(body []byte) (*alexis.Event, error) {
	o, err := legacy.Parse(body)
	if err != nil {
		return nil, err
	}
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

// FuzzParseGenericLegacy checks that ParseGeneric returns exactly what it
// returned before (the same Event, or an error of the same code and
// message) for every body.
func FuzzParseGenericLegacy(f *testing.F) {
	payloadtest.Seeds(f,
		``, `{}`, `{"id":"a","message":"m"}`, `{"id":"a","message":"m","mesage":"x"}`,
		`{"id":"a","message":"m","source":"opsgenie"}`, `{"id":"a","message":"m","received":"now"}`,
		`{"id":"a","message":"m","entities":[{"name":"n","kind":"k"}]}`, `{"id":"a","message":"m","entities":[1]}`,
		`{"id":"a","message":"m","tags":[],"details":{},"tag_values":{"a":1},"raw":{"x":[1]},"ignore":"i"}`,
		`{"id":"","message":"m"}`, `{"id":"a","message":"m","id":"b"}`, `{"i\u0064":"a","message":"\u00e9"}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotErr := ParseGeneric(body)
		want, wantErr := legacyParseGeneric(body)
		payloadtest.Same(t, got, gotErr, want, wantErr)
	})
}
