package alexis

import (
	"encoding/json"
	"strings"
	"time"
)

// Source names the tool an event came from.
type Source string

// The sources Alexis understands. SourceGeneric is for events posted in
// Alexis' own normalized JSON by any other tool.
const (
	SourceOpsGenie     Source = "opsgenie"
	SourceDynatrace    Source = "dynatrace"
	SourceAlertmanager Source = "alertmanager"
	SourceGeneric      Source = "generic"
)

// Sources lists every known source, in a stable order.
var Sources = []Source{SourceOpsGenie, SourceDynatrace, SourceAlertmanager, SourceGeneric}

// Valid reports whether s is one of the known sources.
func (s Source) Valid() bool {
	for _, k := range Sources {
		if s == k {
			return true
		}
	}
	return false
}

// Entity is something an alert concerns: a host, a service, a process.
type Entity struct {
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
	Type string `json:"type,omitempty"`
}

// Event is the normalized alert that every source parser produces. Rules are
// evaluated against it; its Raw body stays reachable by gjson path.
type Event struct {
	// Source is the tool that sent the event.
	Source Source `json:"source"`
	// ID is the source's stable identifier: the OpsGenie alertId, the
	// Dynatrace PID, the Alertmanager fingerprint.
	ID string `json:"id"`
	// ShortID is the human short number where the source has one: the
	// OpsGenie tinyId or the Dynatrace display ID (P-240517133).
	ShortID string `json:"short_id,omitempty"`
	// Alias is the source's deduplication key where it has one (the OpsGenie
	// alias, which for Dynatrace-raised alerts is usually the Dynatrace PID).
	Alias string `json:"alias,omitempty"`
	// Action is the source's action or state: Create, Close, AddNote (OpsGenie),
	// OPEN, RESOLVED (Dynatrace), firing, resolved (Alertmanager).
	Action string `json:"action,omitempty"`
	// Occurrence tells apart two events that share source, ID and action
	// but are not the same delivery: the OpsGenie alert's updatedAt (a
	// second AddNote on one alert), the Alertmanager alert's startsAt (the
	// same label set firing again after it resolved). Empty where ID and
	// action are enough (Dynatrace: PID and State). See Key.
	Occurrence string `json:"occurrence,omitempty"`
	// Message is the alert's title.
	Message string `json:"message,omitempty"`
	// Description is the alert's longer text, when the source sends one.
	Description string `json:"description,omitempty"`
	// Tags are the tags as the source gave them.
	Tags []string `json:"tags,omitempty"`
	// TagValues maps the key of every "key:value" tag to its value (see
	// ParseTags for the exact rules).
	TagValues map[string]string `json:"tag_values,omitempty"`
	// Details is the source's string map of extra properties (OpsGenie
	// details, Alertmanager labels and annotations).
	Details map[string]string `json:"details,omitempty"`
	// Entities are the impacted entities.
	Entities []Entity `json:"entities,omitempty"`
	// Priority is the priority or severity as the source states it (P1..P5,
	// ERROR, critical).
	Priority string `json:"priority,omitempty"`
	// Received is when Alexis received the event.
	Received time.Time `json:"received"`
	// Ignore, when not empty, says why this event must be acknowledged and
	// not acted on: a Dynatrace test notification, an echo of Alexis' own
	// write-back. Engines never run rules for such events.
	Ignore string `json:"ignore,omitempty"`
	// Raw is the body exactly as received. Rules reach any field of it by
	// gjson path.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// Key is the idempotency key of the event: source/ID/action, and
// "/occurrence" when Occurrence is set. A second delivery with the same key
// is the same event (senders deliver at least once) and is never run twice.
func (e *Event) Key() string {
	k := string(e.Source) + "/" + e.ID + "/" + e.Action
	if e.Occurrence != "" {
		k += "/" + e.Occurrence
	}
	return k
}

// HasTag reports whether the event carries tag t exactly.
func (e *Event) HasTag(t string) bool {
	for _, x := range e.Tags {
		if x == t {
			return true
		}
	}
	return false
}

// ParseTags derives the key→value map of "key:value" tags. The key is what
// stands before the first colon; a tag without a colon has no value and is
// left out. Dynatrace's context form "[AWS]Name:web-01" is stored under its
// full key "[AWS]Name" and also under "Name" unless a tag without context
// already gives "Name" a value. When a key repeats, the first value wins.
func ParseTags(tags []string) map[string]string {
	var m map[string]string
	set := func(k, v string) {
		if m == nil {
			m = make(map[string]string)
		}
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		i := strings.IndexByte(t, ':')
		if i <= 0 {
			continue
		}
		k, v := t[:i], t[i+1:]
		if !strings.HasPrefix(k, "[") {
			set(k, v)
		}
	}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		i := strings.IndexByte(t, ':')
		if i <= 0 || !strings.HasPrefix(t, "[") {
			continue
		}
		k, v := t[:i], t[i+1:]
		set(k, v)
		if j := strings.IndexByte(k, ']'); j > 0 && j+1 < len(k) {
			set(k[j+1:], v)
		}
	}
	return m
}
