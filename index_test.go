package alexis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pred is a hand-built Condition over the event itself (the test's Scope).
type pred struct {
	f    func(*Event) bool
	text string
}

func (p pred) Eval(s Scope) (bool, error) { return p.f(s.(*Event)), nil }

var (
	propTags    = []string{"t0", "t1", "t2", "t3", "app:a0", "app:a1", "app:a2", "[AWS]Name:w0", "Name:w1", "env:prod", ""}
	propActions = []string{"Create", "Close", "AddNote", ""}
	propPrios   = []string{"P1", "P2", "P3"}
	propSources = []Source{SourceOpsGenie, SourceDynatrace, SourceAlertmanager, SourceGeneric, "custom", ""}
	propKeys    = []string{"app", "Name", "[AWS]Name", "env", "missing"}
	propValues  = []string{"a0", "a1", "w0", "w1", "prod", ""}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// atom is one test with the requirement it implies.
type atom struct {
	p   pred
	req func(*Requirements)
}

func randAtom(r *rand.Rand) atom {
	switch r.IntN(5) {
	case 0, 1:
		t := pick(r, propTags)
		return atom{pred{func(e *Event) bool { return e.HasTag(t) }, fmt.Sprintf("has_tag(%q)", t)},
			func(q *Requirements) { q.Tags = append(q.Tags, t) }}
	case 2:
		f := pick(r, []string{"action", "priority", "message", "alias", "source", "description", "id", "short_id"})
		v := pick(r, append(append(append([]string{}, propActions...), propPrios...), "opsgenie", "dynatrace", "custom"))
		return atom{pred{func(e *Event) bool { x, _ := eventField(e, f); return x == v }, fmt.Sprintf("%s == %q", f, v)},
			func(q *Requirements) { q.Equals = setKey(q.Equals, f, v) }}
	case 3:
		k, v := pick(r, propKeys), pick(r, propValues)
		return atom{pred{func(e *Event) bool { return tagValuesOf(e)[k] == v }, fmt.Sprintf("tag(%q) == %q", k, v)},
			func(q *Requirements) { q.TagValues = setKey(q.TagValues, k, v) }}
	default:
		// An unknown field name in Equals must be ignored by the index.
		return atom{pred{func(*Event) bool { return true }, "true"},
			func(q *Requirements) { q.Equals = setKey(q.Equals, "nosuchfield", "x") }}
	}
}

func setKey(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	if _, ok := m[k]; !ok {
		m[k] = v
	}
	return m
}

func tagValuesOf(e *Event) map[string]string {
	if e.TagValues != nil {
		return e.TagValues
	}
	return ParseTags(e.Tags)
}

// randRule builds a rule whose Requires are a random subset of the
// necessary conditions of its When: a conjunction of atoms, sometimes
// or-ed with another conjunction (then nothing is necessary) or with a
// negated atom added (which implies no requirement).
func randRule(r *rand.Rand, i int) *Rule {
	var atoms []atom
	for n := r.IntN(4); n > 0; n-- {
		atoms = append(atoms, randAtom(r))
	}
	var req Requirements
	for _, a := range atoms {
		if r.IntN(4) > 0 {
			a.req(&req)
		}
	}
	and := func(as []atom) pred {
		var texts []string
		for _, a := range as {
			texts = append(texts, a.p.text)
		}
		return pred{func(e *Event) bool {
			for _, a := range as {
				if !a.p.f(e) {
					return false
				}
			}
			return true
		}, strings.Join(texts, " && ")}
	}
	when := and(atoms)
	switch r.IntN(6) {
	case 0:
		other := and([]atom{randAtom(r), randAtom(r)})
		w := when
		when = pred{func(e *Event) bool { return w.f(e) || other.f(e) }, "(" + w.text + ") || (" + other.text + ")"}
		req = Requirements{}
	case 1:
		neg, w := randAtom(r), when
		when = pred{func(e *Event) bool { return w.f(e) && !neg.p.f(e) }, w.text + " && !" + neg.p.text}
	}
	rule := &Rule{Name: fmt.Sprintf("r%d", i), Enabled: r.IntN(10) > 0, When: when, WhenText: when.text, Requires: req}
	if r.IntN(3) == 0 {
		rule.When = nil // matches every event of its sources
		rule.Requires = Requirements{}
	}
	for n := r.IntN(3); n > 0 && r.IntN(2) == 0; n-- {
		rule.Sources = append(rule.Sources, pick(r, propSources))
	}
	return rule
}

func randEvent(r *rand.Rand) *Event {
	ev := &Event{Source: pick(r, propSources), Action: pick(r, propActions), Priority: pick(r, propPrios),
		Message: pick(r, propActions), Alias: pick(r, propPrios)}
	for n := r.IntN(6); n > 0; n-- {
		ev.Tags = append(ev.Tags, pick(r, propTags))
	}
	if r.IntN(2) == 0 {
		ev.TagValues = ParseTags(ev.Tags)
	}
	return ev
}

// fullScan is the reference: every enabled rule of the event's source
// whose When holds, in order.
func fullScan(rules []*Rule, ev *Event) []string {
	var out []string
	for _, r := range rules {
		if !r.Enabled || (len(r.Sources) > 0 && !hasSource(r.Sources, ev.Source)) {
			continue
		}
		if r.When == nil {
			out = append(out, r.Name)
			continue
		}
		if ok, _ := r.When.Eval(ev); ok {
			out = append(out, r.Name)
		}
	}
	return out
}

func TestIndexEqualsFullScan(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 7))
	cases := 0
	for set := 0; set < 300; set++ {
		rules := make([]*Rule, 1+r.IntN(60))
		for i := range rules {
			rules[i] = randRule(r, i)
		}
		ix := buildIndex(rules)
		for e := 0; e < 20; e++ {
			ev := randEvent(r)
			want := fullScan(rules, ev)
			var got []string
			var pos []int
			ix.candidates(ev, func(rule *Rule) {
				pos = append(pos, slices.Index(rules, rule))
				if rule.When == nil {
					got = append(got, rule.Name)
					return
				}
				if ok, _ := rule.When.Eval(ev); ok {
					got = append(got, rule.Name)
				}
			})
			if !slices.IsSorted(pos) || len(slices.Compact(slices.Clone(pos))) != len(pos) {
				t.Fatalf("candidates out of order or repeated: %v", pos)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				for _, rule := range rules {
					t.Logf("%s enabled=%v sources=%v when=%s requires=%+v", rule.Name, rule.Enabled, rule.Sources, rule.WhenText, rule.Requires)
				}
				t.Fatalf("event %+v: index differs from full scan (-want +got):\n%s", ev, diff)
			}
			cases++
		}
	}
	t.Logf("%d cases", cases)
}

// TestIndexSkips checks that the index really leaves out the rules that
// cannot match, rather than merely agreeing with a full scan.
func TestIndexSkips(t *testing.T) {
	yes := pred{func(*Event) bool { return true }, "true"}
	rules := []*Rule{
		{Name: "tag-a", Enabled: true, When: yes, Requires: Requirements{Tags: []string{"common", "a"}}},
		{Name: "tag-b", Enabled: true, When: yes, Requires: Requirements{Tags: []string{"b"}}},
		{Name: "close", Enabled: true, When: yes, Requires: Requirements{Equals: map[string]string{"action": "Close"}}},
		{Name: "dyn", Enabled: true, When: yes, Sources: []Source{SourceDynatrace}},
		{Name: "dyn-by-req", Enabled: true, When: yes, Requires: Requirements{Equals: map[string]string{"source": "dynatrace"}}},
		{Name: "never", Enabled: true, When: yes, Sources: []Source{SourceOpsGenie}, Requires: Requirements{Equals: map[string]string{"source": "dynatrace"}}},
		{Name: "app", Enabled: true, When: yes, Requires: Requirements{TagValues: map[string]string{"app": "dup"}}},
		{Name: "off", Enabled: false, When: yes},
		{Name: "all", Enabled: true},
	}
	ix := buildIndex(rules)
	names := func(ev *Event) []string {
		var out []string
		ix.candidates(ev, func(r *Rule) { out = append(out, r.Name) })
		return out
	}
	tests := []struct {
		ev   *Event
		want []string
	}{
		{&Event{Source: SourceOpsGenie, Action: "Create"}, []string{"all"}},
		{&Event{Source: SourceOpsGenie, Action: "Create", Tags: []string{"a", "b", "a"}}, []string{"tag-b", "all"}},
		{&Event{Source: SourceOpsGenie, Action: "Create", Tags: []string{"a", "common"}}, []string{"tag-a", "all"}},
		{&Event{Source: SourceOpsGenie, Action: "Close", Tags: []string{"app:dup"}}, []string{"close", "app", "all"}},
		{&Event{Source: SourceDynatrace}, []string{"dyn", "dyn-by-req", "all"}},
		{&Event{Source: "other", Tags: []string{"b"}}, []string{"tag-b", "all"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, names(tt.ev)); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tt.ev, diff)
		}
	}
}

func TestMergeManyLists(t *testing.T) {
	var lists [][]int32
	var want []int32
	for i := int32(0); i < 40; i++ {
		lists = append(lists, []int32{i, i + 100})
		want = append(want, i)
	}
	lists = append(lists, lists[3]) // a repeated list
	for i := int32(0); i < 40; i++ {
		want = append(want, i+100)
	}
	var got []int32
	merge(lists, func(i int32) { got = append(got, i) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

// BenchmarkBuildIndex indexes 10,000 rules (what Engine.Swap does on a
// rule reload).
func BenchmarkBuildIndex(b *testing.B) {
	rules := make([]*Rule, 10000)
	for i := range rules {
		rules[i] = &Rule{Name: fmt.Sprint(i), Enabled: true, Requires: Requirements{
			Tags: []string{"Environment:Prod", fmt.Sprintf("app:svc%d", i/5)}, Equals: map[string]string{"action": "Create"}}}
		if i%3 == 0 {
			rules[i].Sources = []Source{SourceOpsGenie}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		buildIndex(rules)
	}
}
