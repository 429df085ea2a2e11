package match

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/alexis-project/alexis"
	"github.com/tidwall/gjson"
)

// Entity is an impacted entity as expressions see it: `entities[0].name`,
// `filter(entities, .type == "HOST")`.
type Entity struct {
	Name string `expr:"name"`
	ID   string `expr:"id"`
	Type string `expr:"type"`
}

// scope is the per-event evaluation state built once by Prepare and shared
// by every rule's expressions. Its env map is what the compiled programs
// read; the helpers in it are bound to this scope.
type scope struct {
	ev  *alexis.Event
	env map[string]any
	// tagSet is built only for events with many tags.
	tagSet map[string]struct{}

	// tagValues holds the tag values boxed once, so that tag() does
	// not allocate.
	tagValues map[string]any

	mu    sync.Mutex // guards the lazy fields below
	raw   string     // ev.Raw as a string, made on the first json() call
	isRaw bool
	// json() and json_list() results, boxed once.
	jsonCache, listCache map[string]any
}

// emptyString is "" as an interface value, shared.
var emptyString any = ""

// manyTags is the tag count above which has_tag uses a set instead of a scan.
const manyTags = 16

// Prepare builds the Scope of one event: it is done once per event, and
// every rule's Condition and Targets then read it without parsing the
// payload again. Use it as alexis.RuleSet.Prepare. A Scope may be used by
// several goroutines.
func Prepare(ev *alexis.Event) alexis.Scope {
	if ev == nil {
		ev = &alexis.Event{}
	}
	s := &scope{ev: ev}
	tv := ev.TagValues
	if tv == nil && len(ev.Tags) > 0 {
		tv = alexis.ParseTags(ev.Tags)
	}
	if tv == nil {
		tv = map[string]string{}
	}
	s.tagValues = make(map[string]any, len(tv))
	for k, v := range tv {
		s.tagValues[k] = v
	}
	details := ev.Details
	if details == nil {
		details = map[string]string{}
	}
	tags := ev.Tags
	if tags == nil {
		tags = []string{}
	}
	if len(tags) > manyTags {
		s.tagSet = make(map[string]struct{}, len(tags))
		for _, t := range tags {
			s.tagSet[t] = struct{}{}
		}
	}
	ents := make([]Entity, len(ev.Entities))
	for i, e := range ev.Entities {
		ents[i] = Entity(e)
	}
	s.env = map[string]any{
		"source":      string(ev.Source),
		"id":          ev.ID,
		"short_id":    ev.ShortID,
		"alias":       ev.Alias,
		"action":      ev.Action,
		"message":     ev.Message,
		"description": ev.Description,
		"priority":    ev.Priority,
		"tags":        tags,
		"tag_values":  tv,
		"details":     details,
		"entities":    ents,
		"has_tag":     s.hasTag,
		"all_tags":    s.allTags,
		"any_tag":     s.anyTag,
		"tag":         s.tag,
		"json":        s.json,
		"json_list":   s.jsonList,
		"icontains":   icontains,
	}
	return s
}

// compileEnv has the same names and types as a prepared scope's env; the
// checker uses it to type expressions and to reject unknown names.
func compileEnv() map[string]any {
	return map[string]any{
		"source":      "",
		"id":          "",
		"short_id":    "",
		"alias":       "",
		"action":      "",
		"message":     "",
		"description": "",
		"priority":    "",
		"tags":        []string{},
		"tag_values":  map[string]string{},
		"details":     map[string]string{},
		"entities":    []Entity{},
		"has_tag":     func(string) bool { return false },
		"all_tags":    func(...string) bool { return false },
		"any_tag":     func(...string) bool { return false },
		"tag":         func(any) any { return "" },
		"json":        func(any) any { return "" },
		"json_list":   func(any) any { return []string{} },
		"icontains":   icontains,
	}
}

// reserved are the names an expression may not redeclare with let: the
// static analysis relies on them meaning the event's fields.
func reserved(name string) bool {
	_, ok := envTypes[name]
	return ok
}

// envTypes is compileEnv made once.
var envTypes = compileEnv()

func (s *scope) hasTag(t string) bool {
	if s.tagSet != nil {
		_, ok := s.tagSet[t]
		return ok
	}
	for _, x := range s.ev.Tags {
		if x == t {
			return true
		}
	}
	return false
}

func (s *scope) allTags(ts ...string) bool {
	for _, t := range ts {
		if !s.hasTag(t) {
			return false
		}
	}
	return true
}

func (s *scope) anyTag(ts ...string) bool {
	for _, t := range ts {
		if s.hasTag(t) {
			return true
		}
	}
	return false
}

// tag returns the value of the "key:value" tag with this key, "" when
// there is none.
func (s *scope) tag(key any) any {
	k, _ := key.(string)
	if v, ok := s.tagValues[k]; ok {
		return v
	}
	return emptyString
}

// json returns the value at a gjson path of the raw body as a string:
// strings unquoted, numbers and booleans as written, objects and arrays as
// their JSON text, "" when the path is missing or null. Results are cached
// per event, boxed, so that repeated calls by many rules cost a map lookup.
// The result is typed any for the checker only; it is always a string.
func (s *scope) json(path any) any {
	p, _ := path.(string)
	return s.cached(&s.jsonCache, p, func(raw string) any {
		return resultString(gjson.Get(raw, p))
	})
}

// jsonList returns the value at a gjson path as a list of strings: each
// element of an array (as json() would render it), a one-element list for
// any other present value, an empty list when missing or null. It is
// always a []string.
func (s *scope) jsonList(path any) any {
	p, _ := path.(string)
	return s.cached(&s.listCache, p, func(raw string) any {
		r := gjson.Get(raw, p)
		out := []string{}
		switch {
		case r.IsArray():
			r.ForEach(func(_, v gjson.Result) bool {
				out = append(out, resultString(v))
				return true
			})
		case r.Exists() && r.Type != gjson.Null:
			out = append(out, resultString(r))
		}
		return out
	})
}

// cached returns (*cache)[key], computing and storing it on first use.
func (s *scope) cached(cache *map[string]any, key string, get func(raw string) any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := (*cache)[key]; ok {
		return v
	}
	v := get(s.rawLocked())
	if *cache == nil {
		*cache = make(map[string]any, 4)
	}
	(*cache)[key] = v
	return v
}

func (s *scope) rawLocked() string {
	if !s.isRaw {
		s.raw, s.isRaw = string(s.ev.Raw), true
	}
	return s.raw
}

func resultString(r gjson.Result) string {
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Number, gjson.JSON:
		return r.Raw
	case gjson.True:
		return "true"
	case gjson.False:
		return "false"
	}
	return ""
}

// icontains reports whether sub is within s, ignoring case (Unicode simple
// case folding, as strings.EqualFold). It does not allocate.
func icontains(s, sub string) bool {
	if sub == "" {
		return true
	}
	c := sub[0]
	// Only U+017F (ſ) and U+212A (K) fold to ASCII letters (s and k):
	// for any other ASCII first byte, a match starts at that byte in
	// either case, which IndexByte finds quickly.
	if c >= utf8.RuneSelf || lower(c) == 'k' || lower(c) == 's' {
		return icontainsScan(s, sub)
	}
	lo, up := lower(c), upper(c)
	nextLo, nextUp := -1, -1
	for i := 0; i < len(s); {
		if nextLo < i {
			nextLo = indexFrom(s, i, lo)
		}
		if nextUp < i {
			nextUp = indexFrom(s, i, up)
		}
		j := min(nextLo, nextUp)
		if j >= len(s) {
			return false
		}
		if hasFoldPrefix(s[j:], sub) {
			return true
		}
		i = j + 1
	}
	return false
}

// indexFrom returns the index of the first c in s at or after i, or len(s).
func indexFrom(s string, i int, c byte) int {
	if j := strings.IndexByte(s[i:], c); j >= 0 {
		return i + j
	}
	return len(s)
}

// icontainsScan tries every rune position of s.
func icontainsScan(s, sub string) bool {
	for i := 0; i < len(s); {
		if hasFoldPrefix(s[i:], sub) {
			return true
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return false
}

// hasFoldPrefix reports whether s starts with prefix under simple case folding.
func hasFoldPrefix(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		// ASCII fast path.
		if a, b := s[0], prefix[0]; a < utf8.RuneSelf && b < utf8.RuneSelf {
			if lower(a) != lower(b) {
				return false
			}
			s, prefix = s[1:], prefix[1:]
			continue
		}
		r1, n1 := utf8.DecodeRuneInString(s)
		r2, n2 := utf8.DecodeRuneInString(prefix)
		if !strings.EqualFold(s[:n1], prefix[:n2]) && r1 != r2 {
			return false
		}
		s, prefix = s[n1:], prefix[n2:]
	}
	return true
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
