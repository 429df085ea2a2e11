package alexis

import (
	"slices"
	"sort"
)

// index selects the rules that may match an event, in rule-set order,
// without looking at the rules that cannot.
//
// Every enabled rule is filed under the sources it can match (its Sources,
// narrowed by a required `source == "x"`) and, within each, under one of
// its requirements, the rarest among the rule set: a required tag, a
// required tag value or a required field value. Rules without requirements
// are filed under "always". For an event, the index merges the lists of the
// event's source found under the event's tags, tag values and field values
// with the "always" list, in rule order, and checks every other
// requirement of each rule before handing it on. Requirements are
// necessary conditions of the rules' expressions, so no rule that could
// match is ever skipped.
type index struct {
	rules    []*Rule
	checks   []ruleCheck // by rule position
	bySource map[Source]*sourceIndex
	// other serves events from a source that no rule names: only rules
	// without sources apply.
	other *sourceIndex
}

// sourceIndex files the rules that may match one source.
type sourceIndex struct {
	always    []int32
	tags      map[string][]int32
	tagValues map[string]map[string][]int32 // key → value → rules
	equals    []fieldIndex
}

// fieldIndex files rules by the required value of one event field.
type fieldIndex struct {
	field  string
	values map[string][]int32
}

// ruleCheck is a rule's requirements in the form the index checks them.
type ruleCheck struct {
	tags      []string
	equals    [][2]string // field, value; known fields only
	tagValues [][2]string // key, value
}

// indexKey is one requirement a rule can be filed under.
type indexKey struct {
	kind byte // 't' tag, 'v' tag value, 'e' field equality
	a, b string
}

func buildIndex(rules []*Rule) *index {
	ix := &index{rules: rules, checks: make([]ruleCheck, len(rules)), bySource: map[Source]*sourceIndex{}, other: &sourceIndex{}}
	for _, s := range Sources {
		ix.bySource[s] = &sourceIndex{}
	}
	keys := make([][]indexKey, len(rules))
	freq := map[indexKey]int{}
	for i, r := range rules {
		if !r.Enabled {
			continue
		}
		ix.checks[i] = newRuleCheck(r.Requires)
		keys[i] = ruleKeys(r.Requires)
		for _, k := range keys[i] {
			freq[k]++
		}
		for _, s := range r.Sources {
			if ix.bySource[s] == nil {
				ix.bySource[s] = &sourceIndex{}
			}
		}
		if s, ok := r.Requires.Equals["source"]; ok && ix.bySource[Source(s)] == nil {
			ix.bySource[Source(s)] = &sourceIndex{}
		}
	}
	for i, r := range rules {
		if !r.Enabled {
			continue
		}
		k := rarest(keys[i], freq)
		srcs, all := ruleSources(r)
		if all {
			ix.other.add(k, int32(i))
			for _, si := range ix.bySource {
				si.add(k, int32(i))
			}
			continue
		}
		for _, s := range srcs {
			ix.bySource[s].add(k, int32(i))
		}
	}
	return ix
}

// ruleSources returns the sources a rule can match, or all=true when it
// can match any source. A required `source == "x"` narrows the rule's
// Sources; one outside them leaves no source at all.
func ruleSources(r *Rule) (srcs []Source, all bool) {
	req, ok := r.Requires.Equals["source"]
	switch {
	case ok && (len(r.Sources) == 0 || hasSource(r.Sources, Source(req))):
		return []Source{Source(req)}, false
	case ok:
		return nil, false
	case len(r.Sources) == 0:
		return nil, true
	}
	var out []Source
	for _, s := range r.Sources {
		if !hasSource(out, s) {
			out = append(out, s)
		}
	}
	return out, false
}

func newRuleCheck(req Requirements) ruleCheck {
	c := ruleCheck{tags: req.Tags}
	for _, f := range sortedKeys(req.Equals) {
		if isField(f) && f != "source" {
			c.equals = append(c.equals, [2]string{f, req.Equals[f]})
		}
	}
	for _, k := range sortedKeys(req.TagValues) {
		c.tagValues = append(c.tagValues, [2]string{k, req.TagValues[k]})
	}
	return c
}

// ruleKeys lists the requirements a rule can be filed under, in a stable
// order. A tag value of "" is left out: it also holds when the key is
// missing, which the index cannot look up.
func ruleKeys(req Requirements) []indexKey {
	var out []indexKey
	for _, t := range req.Tags {
		out = append(out, indexKey{kind: 't', a: t})
	}
	for _, k := range sortedKeys(req.TagValues) {
		if v := req.TagValues[k]; v != "" {
			out = append(out, indexKey{kind: 'v', a: k, b: v})
		}
	}
	for _, f := range sortedKeys(req.Equals) {
		if isField(f) && f != "source" {
			out = append(out, indexKey{kind: 'e', a: f, b: req.Equals[f]})
		}
	}
	return out
}

// rarest returns the key shared by the fewest rules (the first on a tie),
// or the zero key when there is none.
func rarest(keys []indexKey, freq map[indexKey]int) indexKey {
	var best indexKey
	n := -1
	for _, k := range keys {
		if f := freq[k]; n < 0 || f < n {
			best, n = k, f
		}
	}
	return best
}

func (si *sourceIndex) add(k indexKey, i int32) {
	switch k.kind {
	case 't':
		if si.tags == nil {
			si.tags = map[string][]int32{}
		}
		si.tags[k.a] = append(si.tags[k.a], i)
	case 'v':
		if si.tagValues == nil {
			si.tagValues = map[string]map[string][]int32{}
		}
		m := si.tagValues[k.a]
		if m == nil {
			m = map[string][]int32{}
			si.tagValues[k.a] = m
		}
		m[k.b] = append(m[k.b], i)
	case 'e':
		for j := range si.equals {
			if si.equals[j].field == k.a {
				si.equals[j].values[k.b] = append(si.equals[j].values[k.b], i)
				return
			}
		}
		si.equals = append(si.equals, fieldIndex{field: k.a, values: map[string][]int32{k.b: {i}}})
	default:
		si.always = append(si.always, i)
	}
}

// maxMerge is the most lists merged in place; more are sorted together.
const maxMerge = 16

// candidates calls f for every rule that may match ev, in rule-set order.
func (ix *index) candidates(ev *Event, f func(*Rule)) {
	si := ix.bySource[ev.Source]
	if si == nil {
		si = ix.other
	}
	tv := lazyTagValues{ev: ev}
	var buf [maxMerge][]int32
	lists := buf[:0]
	if len(si.always) > 0 {
		lists = append(lists, si.always)
	}
	if len(si.tags) > 0 {
		for _, t := range ev.Tags {
			if l := si.tags[t]; len(l) > 0 {
				lists = append(lists, l)
			}
		}
	}
	if len(si.tagValues) > 0 {
		for k, v := range tv.get() {
			if l := si.tagValues[k][v]; len(l) > 0 {
				lists = append(lists, l)
			}
		}
	}
	for _, fi := range si.equals {
		v, _ := eventField(ev, fi.field)
		if l := fi.values[v]; len(l) > 0 {
			lists = append(lists, l)
		}
	}
	merge(lists, func(i int32) {
		if ix.checks[i].admits(ev, &tv) {
			f(ix.rules[i])
		}
	})
}

// admits reports whether ev meets every requirement of the rule.
func (c *ruleCheck) admits(ev *Event, tv *lazyTagValues) bool {
	for _, t := range c.tags {
		if !ev.HasTag(t) {
			return false
		}
	}
	for _, e := range c.equals {
		if v, _ := eventField(ev, e[0]); v != e[1] {
			return false
		}
	}
	if len(c.tagValues) > 0 {
		m := tv.get()
		for _, e := range c.tagValues {
			if m[e[0]] != e[1] {
				return false
			}
		}
	}
	return true
}

// merge calls emit for every value of the sorted lists, in increasing
// order, once each (a list may be given twice, for a repeated tag).
func merge(lists [][]int32, emit func(int32)) {
	switch {
	case len(lists) == 0:
		return
	case len(lists) == 1:
		for _, i := range lists[0] {
			emit(i)
		}
		return
	case len(lists) > maxMerge:
		var all []int32
		for _, l := range lists {
			all = append(all, l...)
		}
		slices.Sort(all)
		emitUnique(all, emit)
		return
	}
	var pos [maxMerge]int
	last := int32(-1)
	for {
		best, bv := -1, int32(0)
		for j, l := range lists {
			if pos[j] < len(l) && (best < 0 || l[pos[j]] < bv) {
				best, bv = j, l[pos[j]]
			}
		}
		if best < 0 {
			return
		}
		pos[best]++
		if bv != last {
			emit(bv)
			last = bv
		}
	}
}

func emitUnique(sorted []int32, emit func(int32)) {
	last := int32(-1)
	for _, i := range sorted {
		if i != last {
			emit(i)
			last = i
		}
	}
}

// lazyTagValues computes an event's tag values at most once: the event's
// own TagValues, or ParseTags of its tags when those are nil (as package
// match does for expressions).
type lazyTagValues struct {
	ev   *Event
	m    map[string]string
	done bool
}

func (l *lazyTagValues) get() map[string]string {
	if !l.done {
		l.m, l.done = l.ev.TagValues, true
		if l.m == nil {
			l.m = ParseTags(l.ev.Tags)
		}
	}
	return l.m
}

// isField reports whether name is a field that eventField knows.
func isField(name string) bool {
	var zero Event
	_, ok := eventField(&zero, name)
	return ok
}

// eventField returns the normalized field that requirements name, and
// whether the name is one.
func eventField(ev *Event, name string) (string, bool) {
	switch name {
	case "source":
		return string(ev.Source), true
	case "id":
		return ev.ID, true
	case "short_id":
		return ev.ShortID, true
	case "alias":
		return ev.Alias, true
	case "action":
		return ev.Action, true
	case "message":
		return ev.Message, true
	case "description":
		return ev.Description, true
	case "priority":
		return ev.Priority, true
	}
	return "", false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hasSource(ss []Source, s Source) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
