package sqlite

import (
	"slices"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/jsonw"
)

// appendEventJSON appends the JSON of ev without its Raw body: what
// json.Marshal gives (the same fields, names and omissions; map keys
// sorted; invalid UTF-8 as U+FFFD), so that json.Unmarshal decodes it to
// the same event, in under half the time (no reflection; BenchmarkEventJSON). The intake log
// writes it for every accepted event. TestEventJSONMatchesMarshal fills
// every field of alexis.Event by reflection, so a field added there and
// not here fails the test.
func appendEventJSON(b []byte, ev *alexis.Event) []byte {
	b = append(b, `{"source":`...)
	b = jsonw.AppendString(b, string(ev.Source))
	b = append(b, `,"id":`...)
	b = jsonw.AppendString(b, ev.ID)
	b = appendField(b, "short_id", ev.ShortID)
	b = appendField(b, "alias", ev.Alias)
	b = appendField(b, "action", ev.Action)
	b = appendField(b, "occurrence", ev.Occurrence)
	b = appendField(b, "message", ev.Message)
	b = appendField(b, "description", ev.Description)
	if len(ev.Tags) > 0 {
		b = append(b, `,"tags":[`...)
		for i, t := range ev.Tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, t)
		}
		b = append(b, ']')
	}
	b = appendMap(b, "tag_values", ev.TagValues)
	b = appendMap(b, "details", ev.Details)
	if len(ev.Entities) > 0 {
		b = append(b, `,"entities":[`...)
		for i, e := range ev.Entities {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			n := len(b)
			b = appendField(b, "name", e.Name)
			b = appendField(b, "id", e.ID)
			b = appendField(b, "type", e.Type)
			if len(b) > n {
				b = append(b[:n], b[n+1:]...) // the first field's comma
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendField(b, "priority", ev.Priority)
	b = append(b, `,"received":"`...)
	b = ev.Received.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendField(b, "ignore", ev.Ignore)
	return append(b, '}')
}

// appendField appends ,"name":"value" unless value is empty (omitempty).
func appendField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return jsonw.AppendString(b, value)
}

func appendMap(b []byte, name string, m map[string]string) []byte {
	if len(m) == 0 {
		return b
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, `":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, k)
		b = append(b, ':')
		b = jsonw.AppendString(b, m[k])
	}
	return append(b, '}')
}
