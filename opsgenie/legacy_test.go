package opsgenie

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/internal/payload/payloadtest/legacy"
)

// legacyParse is Parse as it was before package payload became a one-pass
// scanner (commit cf97486), on the decoder of that time: the oracle of
// FuzzParseLegacy. Only the names differ.
func legacyParse(body []byte, opts ...ParseOption) (*alexis.Event, error) {
	cfg := parseConfig{self: DefaultUser}
	for _, o := range opts {
		o(&cfg)
	}
	top, err := legacy.Parse(body)
	if err != nil {
		return nil, err
	}
	var ev *alexis.Event
	if !top.Has("action") && (top.Has("data") || top.Has("id") && top.Has("tinyId")) {
		ev = legacyReplay(top)
	} else {
		ev = legacyWebhook(top, cfg)
	}
	if err := top.Doc.Err(); err != nil {
		return nil, err
	}
	ev.Raw = body
	return ev, nil
}

func legacyWebhook(top legacy.Object, cfg parseConfig) *alexis.Event {
	action := top.ReqStr("action")
	alert, ok := top.Obj("alert")
	if !ok {
		top.Doc.Fail("alert", "required")
		return &alexis.Event{}
	}
	ev := legacyAlertEvent(alert, alert.ReqStr("alertId"))
	ev.Action = action
	for _, k := range []string{"createdAt", "updatedAt", "insertedAt"} {
		alert.Int64(k)
	}
	// Two deliveries of one action on one alert differ by updatedAt (a
	// second AddNote); Escalate carries escalationTime instead.
	if n, ok := alert.Int64("updatedAt"); ok && n != 0 {
		ev.Occurrence = strconv.FormatInt(n, 10)
	} else if n, ok := top.Int64("escalationTime"); ok && n != 0 {
		ev.Occurrence = strconv.FormatInt(n, 10)
	}
	legacyAddEscalation(top, ev)

	user := alert.Str("username")
	var srcName string
	if src, ok := top.Obj("source"); ok {
		srcName = src.Str("name")
	}
	switch {
	case cfg.self == "":
	case strings.EqualFold(user, cfg.self):
		ev.Ignore = "echo of Alexis' own " + action + " (alert.username " + strconv.Quote(user) + ")"
	case strings.EqualFold(srcName, cfg.self):
		ev.Ignore = "echo of Alexis' own " + action + " (source.name " + strconv.Quote(srcName) + ")"
	}
	return ev
}

func legacyReplay(top legacy.Object) *alexis.Event {
	a := top
	if top.Has("data") {
		var ok bool
		if a, ok = top.Obj("data"); !ok {
			return &alexis.Event{}
		}
	}
	ev := legacyAlertEvent(a, a.ReqStr("id"))
	ev.Action = ActionReplay
	ev.Occurrence = a.Str("updatedAt")
	for _, k := range []string{"createdAt", "updatedAt", "lastOccurredAt"} {
		if s := a.Str(k); s != "" {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				a.Doc.Fail(a.Field(k), "want RFC 3339 time, got %q", s)
			}
		}
	}
	return ev
}

// alertEvent maps the fields the webhook's alert object and the Alert API's
// alert share.
func legacyAlertEvent(a legacy.Object, id string) *alexis.Event {
	ev := &alexis.Event{
		Source:      alexis.SourceOpsGenie,
		ID:          id,
		ShortID:     a.Str("tinyId"),
		Alias:       a.Str("alias"),
		Message:     a.Str("message"),
		Description: a.Str("description"),
		Tags:        legacyNonEmpty(a.Strs("tags")),
		Details:     a.StrMap("details"),
		Priority:    legacyPriority(a, "priority"),
	}
	if len(ev.Details) == 0 {
		ev.Details = nil
	}
	ev.TagValues = alexis.ParseTags(ev.Tags)
	if e := a.Str("entity"); e != "" {
		ev.Entities = []alexis.Entity{{Name: e}}
	}
	return ev
}

// addEscalation copies Escalate's top-level fields into Details. A key
// alert.details already has keeps its value.
func legacyAddEscalation(top legacy.Object, ev *alexis.Event) {
	set := func(k, v string) {
		if v == "" {
			return
		}
		if ev.Details == nil {
			ev.Details = map[string]string{}
		}
		if _, ok := ev.Details[k]; !ok {
			ev.Details[k] = v
		}
	}
	set("escalationId", top.Str("escalationId"))
	set("escalationName", top.Str("escalationName"))
	for _, k := range []string{"escalationTime", "repeatCount"} {
		if n, ok := top.Int64(k); ok {
			set(k, strconv.FormatInt(n, 10))
		}
	}
	if n, ok := top.Obj("escalationNotify"); ok {
		for _, k := range []string{"id", "name", "type", "entity"} {
			set("escalationNotify."+k, n.Str(k))
		}
	}
}

// priority reads "P1".."P5" (any case) or 1..5 and returns "P1".."P5".
func legacyPriority(o legacy.Object, key string) string {
	v := o.Raw(key)
	if v == nil {
		return ""
	}
	s := strings.TrimSpace(string(v))
	if strings.HasPrefix(s, `"`) {
		s = o.Str(key)
		if s == "" {
			return ""
		}
		if len(s) == 2 && (s[0] == 'P' || s[0] == 'p') && s[1] >= '1' && s[1] <= '5' {
			return "P" + s[1:]
		}
	} else if len(s) == 1 && s[0] >= '1' && s[0] <= '5' {
		return "P" + s
	}
	o.Doc.Fail(o.Field(key), `want "P1".."P5" or 1..5, got %s`, legacy.Describe(v))
	return ""
}

func legacyNonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// FuzzParseLegacy checks that Parse returns exactly what legacyParse
// returns (the same Event, or an error of the same code and message) for
// every body, with the default echo check, without one, and with one for
// the fixtures' user "System".
func FuzzParseLegacy(f *testing.F) {
	payloadtest.Seeds(f,
		``, `{}`, `[]`, `{"action":"Create","alert":{"alertId":"a","priority":true}}`,
		`{"action":"Escalate","alert":{"alertId":"a"},"escalationNotify":{"name":1}}`,
		`{"data":{"id":"x","createdAt":"2024-01-01T00:00:00Z"}}`, "{\"action\":\"\xff\"}",
		`{"action":"Create","alert":{"alert\u0049d":"x\u00e9"}}`,
		`{"action":"Create","alert":{"alertId":"a","alertId":"b"}}`,
		`{"action":"Create","action":"Close","alert":{"alertId":"a"}}`,
		`{"action":"Create","alert":{"alertId":"a","details":{"k":"v","\u006b":"w"}}}`,
		`{"action":"Create","alert":{"alertId":"a","priority":"p5","tags":["a:b",1],"username":"ALEXIS"}}`,
		`{"action":"Create","alert":{"alertId":"a","priority":3,"updatedAt":1.5},"source":{"name":"Alexis"}}`,
		`{"action":"Create","alert":{"alertId":"a","priority":1}}`, `{"action":"Create","alert":{"alertId":"a","priority":"P1"}}`,
		`{"action":"Create","alert":{"alertId":"a","priority":"","createdAt":"1","tags":[],"details":{}}}`,
		`{"action":"AddNote","alert":{"alertId":"a","username":"sys\u0074em","entity":"e\"\\"}}`,
		`{"id":"x","tinyId":"1","updatedAt":"2024-01-01T00:00:00.5Z","lastOccurredAt":"yesterday"}`,
		`{"action":"Escalate","alert":{"alertId":"a","details":{"escalationId":"keep"}},"escalationId":"e",`+
			`"escalationName":"n","escalationTime":17,"repeatCount":0,"escalationNotify":{"id":"i","type":"user"}}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, opts := range [][]ParseOption{nil, {WithSelf("")}, {WithSelf("system")}} {
			got, gotErr := Parse(body, opts...)
			want, wantErr := legacyParse(body, opts...)
			payloadtest.Same(t, got, gotErr, want, wantErr)
		}
	})
}
