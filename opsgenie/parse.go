package opsgenie

import (
	"bytes"
	"strconv"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload"
)

// DefaultUser is the user name Alexis writes back to OpsGenie as, and so
// the name that marks a webhook as the echo of its own call.
const DefaultUser = "alexis"

// ActionReplay is the Action of an event parsed from an alert as the Alert
// API returns it (GET /v2/alerts/{id}) rather than from a webhook.
const ActionReplay = "Replay"

// ParseOption configures Parse.
type ParseOption func(*parseConfig)

type parseConfig struct {
	self string
}

// WithSelf sets the OpsGenie user (and API source name) Alexis acts as,
// DefaultUser unless set. A webhook caused by that user comes back with
// Ignore set. WithSelf("") turns the echo check off.
func WithSelf(user string) ParseOption {
	return func(c *parseConfig) { c.self = user }
}

// Parse reads an OpsGenie outgoing-webhook body into an Event.
//
// The body is one of three shapes:
//
//   - the webhook envelope {"action": ..., "alert": {...}, "source": {...}}
//     of every action: Create, Acknowledge, UnAcknowledge, AddNote, AddTags,
//     RemoveTags, AddTeam, AddRecipient, AssignOwnership, TakeOwnership,
//     Close, Delete, and custom actions, which keep their own name;
//   - Escalate's envelope, whose alert object holds only alertId; its
//     top-level escalationId, escalationName, escalationTime, repeatCount
//     and escalationNotify.{id,name,type,entity} go into Details;
//   - an alert as the Alert API returns it, {"data": {"id": ...}} or the
//     inner object (recognized by having no "action" but either "data" or
//     both "id" and "tinyId"). Its Action is ActionReplay, so rules opt in to replays and a
//     replay never collides with the original delivery's Event.Key.
//
// The envelope requires action, alert and alert.alertId; a replay requires
// id. The Event gets ID = alertId, ShortID = tinyId, Alias, Action,
// Message, Description (optional in OpsGenie), Tags and TagValues
// (alexis.ParseTags), Details (alert.details, optional), Priority and one
// Entity named after alert.entity when it is not empty. Priority arrives as
// "P1".."P5" or as 1..5 and is always returned as "P1".."P5". createdAt
// (epoch ms) and updatedAt and insertedAt (epoch ns) must be integers that
// fit in int64; a replay's timestamps are RFC 3339 strings. The fields
// Parse maps are type-checked; the others are left alone and, like all of
// the body, stay reachable by gjson path in Raw (alert.note,
// alert.addedTags, integrationName ...).
//
// An event whose alert.username or top-level source.name equals the
// WithSelf user (case-insensitively) is returned with Ignore set: it is the
// echo of Alexis' own write-back.
//
// Errors are *alexis.Error with code EINVALID naming the field, or
// ETOOLARGE for a body over 1 MiB. Received is left zero.
func Parse(body []byte, opts ...ParseOption) (*alexis.Event, error) {
	cfg := parseConfig{self: DefaultUser}
	for _, o := range opts {
		o(&cfg)
	}
	top, err := payload.Parse(body)
	if err != nil {
		return nil, err
	}
	defer top.Doc.Release()
	var ev *alexis.Event
	if !top.Has("action") && (top.Has("data") || top.Has("id") && top.Has("tinyId")) {
		ev = parseReplay(top)
	} else {
		ev = parseWebhook(top, cfg)
	}
	if err := top.Doc.Err(); err != nil {
		return nil, err
	}
	ev.Raw = body
	return ev, nil
}

func parseWebhook(top payload.Object, cfg parseConfig) *alexis.Event {
	action := top.ReqStr("action")
	alert, ok := top.Obj("alert")
	if !ok {
		top.Doc.Fail("alert", "required")
		return &alexis.Event{}
	}
	ev := alertEvent(alert, alert.ReqStr("alertId"))
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
	addEscalation(top, ev)

	user := alert.View("username")
	var srcName []byte
	if src, ok := top.Obj("source"); ok {
		srcName = src.View("name")
	}
	switch {
	case cfg.self == "":
	case bytes.EqualFold(user, []byte(cfg.self)):
		ev.Ignore = "echo of Alexis' own " + action + " (alert.username " + strconv.Quote(string(user)) + ")"
	case bytes.EqualFold(srcName, []byte(cfg.self)):
		ev.Ignore = "echo of Alexis' own " + action + " (source.name " + strconv.Quote(string(srcName)) + ")"
	}
	return ev
}

func parseReplay(top payload.Object) *alexis.Event {
	a := top
	if top.Has("data") {
		var ok bool
		if a, ok = top.Obj("data"); !ok {
			return &alexis.Event{}
		}
	}
	ev := alertEvent(a, a.ReqStr("id"))
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
func alertEvent(a payload.Object, id string) *alexis.Event {
	ev := &alexis.Event{
		Source:      alexis.SourceOpsGenie,
		ID:          id,
		ShortID:     a.Str("tinyId"),
		Alias:       a.Str("alias"),
		Message:     a.Str("message"),
		Description: a.Str("description"),
		Tags:        nonEmpty(a.Strs("tags")),
		Details:     a.StrMap("details"),
		Priority:    priority(a, "priority"),
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
func addEscalation(top payload.Object, ev *alexis.Event) {
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
func priority(o payload.Object, key string) string {
	v := o.Raw(key)
	if v == nil {
		return ""
	}
	s := []byte(v)
	if v[0] == '"' {
		if s = o.View(key); len(s) == 0 {
			return ""
		}
		if len(s) == 2 && (s[0] == 'P' || s[0] == 'p') && s[1] >= '1' && s[1] <= '5' {
			return priorities[s[1]-'1']
		}
	} else if len(s) == 1 && s[0] >= '1' && s[0] <= '5' {
		return priorities[s[0]-'1']
	}
	o.Doc.Fail(o.Field(key), `want "P1".."P5" or 1..5, got %s`, payload.Describe(v))
	return ""
}

var priorities = [...]string{"P1", "P2", "P3", "P4", "P5"}

func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
