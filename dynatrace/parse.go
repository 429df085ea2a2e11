package dynatrace

import (
	"strings"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload"
)

// TestTitle is the ProblemTitle of the notification Dynatrace sends when
// an operator presses "Send test notification".
const TestTitle = "Dynatrace problem notification test run"

// TestIgnore is the Ignore reason Parse sets on a test notification.
const TestIgnore = "Dynatrace test notification"

// The problem states Parse returns as Action. Dynatrace's {State} says
// RESOLVED where the Problems API v1 status says CLOSED; Parse turns CLOSED
// into RESOLVED so rules see one word.
const (
	StateOpen     = "OPEN"
	StateResolved = "RESOLVED"
)

// stringFields are the flat placeholders of the default template and the
// ones operators commonly add. Parse type-checks them; every other
// top-level string also goes into Details.
var stringFields = []string{
	"PID", "ProblemID", "State", "ProblemTitle", "ProblemImpact", "ProblemSeverity",
	"ImpactedEntity", "ImpactedEntityNames", "Tags", "ProblemURL", "Problem URL",
	"ProblemDetailsHTML", "ProblemDetailsText", "ProblemDetailsMarkdown",
}

// renderings are long renderings of the problem left out of Details (they
// stay in Raw).
var renderings = map[string]bool{
	"ProblemDetailsHTML": true, "ProblemDetailsText": true, "ProblemDetailsMarkdown": true,
}

// detailKeys are the keys that may hold the expanded {ProblemDetailsJSON}
// (Problems API v1 object) or {ProblemDetailsJSONv2} (API v2 object). Either
// shape is read under either key: the v1 and v2 field names do not clash.
var detailKeys = []string{"ProblemDetailsJSON", "ProblemDetailsJSONv2"}

// Parse reads the body of a Dynatrace problem notification (a custom
// integration webhook using the default payload template, optionally
// extended with {ProblemSeverity}, {ImpactedEntityNames} and
// {ProblemDetailsJSONv2}) into an Event:
//
//   - ID = PID, ShortID = ProblemID (the display ID, P-240517133),
//     Message = ProblemTitle, Description = ImpactedEntity,
//     Priority = ProblemSeverity, else the problem's severityLevel;
//   - Action = State: OPEN or RESOLVED (CLOSED is read as RESOLVED). With
//     event merges enabled Dynatrace repeats OPEN for one problem; those
//     repeats share Event.Key (source, PID, state), which is what
//     idempotency is keyed on;
//   - Tags from the Tags string ("key:value, key, [AWS]Name:web-01") and
//     from the problem's entity tags (v1 tagsOfAffectedEntities, v2
//     entityTags[].stringRepresentation), merged in that order without
//     duplicates; TagValues by alexis.ParseTags;
//   - Entities from ImpactedEntities ({type, name, entity}) and v2
//     impactedEntities ({entityId{id,type}, name}), merged by entity ID;
//   - Details: every top-level string field (PID, ProblemID, State,
//     ProblemTitle, ProblemImpact, ProblemSeverity, ProblemURL,
//     ImpactedEntity, ImpactedEntityNames, Tags and any the operator
//     added) except the HTML, text and Markdown renderings; "Problem URL"
//     (the default template's key) is stored as "ProblemURL".
//
// PID and State are required; when the template omits them they are taken
// from the problem details JSON (v1 id/status, v2 problemId/status). A
// field whose value is its own unexpanded placeholder ("{Tags}") counts as
// absent.
//
// The "Send test notification" body (ProblemTitle TestTitle, PID 99999 or
// 999999, ProblemID TESTID, or ProblemID 999 without a real PID, or PID,
// ProblemID, State or ProblemTitle left as a placeholder) is never an
// error: it returns an Event with Ignore = TestIgnore. See IsTest.
//
// Errors are *alexis.Error with code EINVALID naming the field, or
// ETOOLARGE for a body over 1 MiB. Received is left zero.
func Parse(body []byte) (*alexis.Event, error) {
	top, err := payload.Parse(body)
	if err != nil {
		return nil, err
	}
	defer top.Doc.Release()
	test := isTest(top)
	ev := parse(top)
	if test {
		ev.Ignore = TestIgnore
	} else if err := top.Doc.Err(); err != nil {
		return nil, err
	}
	ev.Raw = body
	return ev, nil
}

// IsTest reports whether body is Dynatrace's "Send test notification"
// payload (see Parse for the signs it looks for).
func IsTest(body []byte) bool {
	top, err := payload.Parse(body)
	if err != nil {
		return false
	}
	defer top.Doc.Release()
	return isTest(top)
}

func isTest(top payload.Object) bool {
	for _, k := range []string{"PID", "ProblemID", "State", "ProblemTitle"} {
		if top.Is(k, "{"+k+"}") {
			return true
		}
	}
	return top.Is("ProblemTitle", TestTitle) ||
		top.Is("PID", "99999") || top.Is("PID", "999999") ||
		top.Is("ProblemID", "TESTID") ||
		top.Is("ProblemID", "999") && !strings.Contains(top.Peek("PID"), "_") // real PIDs are <n>_<startMs>[V2]
}

// placeholder reports whether val is key's own unexpanded placeholder
// ("{Tags}"; the default template's "Problem URL" has "{ProblemURL}").
func placeholder(key, val []byte) bool {
	n := len(val)
	return n == len(key)+2 && val[0] == '{' && val[n-1] == '}' && string(val[1:n-1]) == string(key) ||
		string(key) == "Problem URL" && string(val) == "{ProblemURL}"
}

func parse(top payload.Object) *alexis.Event {
	ev := &alexis.Event{Source: alexis.SourceDynatrace}
	for _, k := range stringFields {
		top.View(k) // type-check
	}
	pd := problemDetails(top)
	// Details holds every flat field the event takes, when set and expanded.
	ev.Details = details(top)
	flat := ev.Details

	ev.ID = first(flat["PID"], pd.id)
	ev.ShortID = first(flat["ProblemID"], pd.displayID)
	ev.Message = first(flat["ProblemTitle"], pd.title)
	ev.Description = flat["ImpactedEntity"]
	ev.Priority = first(flat["ProblemSeverity"], pd.severity)
	ev.Action = first(flat["State"], pd.status)
	if ev.Action == "CLOSED" {
		ev.Action = StateResolved
	}
	if ev.ID == "" {
		top.Doc.Fail("PID", "required")
	}
	if ev.Action == "" {
		top.Doc.Fail("State", "required")
	}

	ev.Tags = mergeTags(splitTags(flat["Tags"]), pd.tags)
	ev.TagValues = alexis.ParseTags(ev.Tags)
	ev.Entities = mergeEntities(impactedEntities(top), pd.entities)
	return ev
}

// details collects the top-level string fields that are set and expanded,
// but the renderings.
func details(top payload.Object) map[string]string {
	hasURL := top.Has("ProblemURL")
	m := top.StrFields(func(key, val []byte) bool {
		if renderings[string(key)] || hasURL && string(key) == "Problem URL" {
			return false
		}
		return len(val) > 0 && !placeholder(key, val)
	})
	if u, ok := m["Problem URL"]; ok {
		delete(m, "Problem URL")
		m["ProblemURL"] = u
	}
	return m
}

// splitTags splits the {Tags} placeholder's "a:b, c, [AWS]Name:web-01".
func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func mergeTags(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, t := range l {
			if t != "" && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// impactedEntities reads the {ImpactedEntities} placeholder:
// [{"type":"HOST","name":"web-01","entity":"HOST-5D7E9A1B3C2F4E68"}].
func impactedEntities(top payload.Object) []alexis.Entity {
	var out []alexis.Entity
	for _, o := range top.Objs("ImpactedEntities") {
		out = append(out, alexis.Entity{Name: o.Str("name"), ID: o.Str("entity"), Type: o.Str("type")})
	}
	return out
}

func mergeEntities(lists ...[]alexis.Entity) []alexis.Entity {
	var out []alexis.Entity
	seen := map[alexis.Entity]bool{}
	seenID := map[string]bool{}
	for _, l := range lists {
		for _, e := range l {
			if e == (alexis.Entity{}) || seen[e] || e.ID != "" && seenID[e.ID] {
				continue
			}
			seen[e] = true
			if e.ID != "" {
				seenID[e.ID] = true
			}
			out = append(out, e)
		}
	}
	return out
}

func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
