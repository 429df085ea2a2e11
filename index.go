package alexis

// index selects the rules that may match an event, in rule-set order.
// This first version only filters by source and enabled; see issue #2 for
// the selective index.
type index struct {
	rules []*Rule
}

func buildIndex(rules []*Rule) *index { return &index{rules: rules} }

// candidates calls f for every rule that may match ev, in rule-set order.
func (ix *index) candidates(ev *Event, f func(*Rule)) {
	for _, r := range ix.rules {
		if !r.Enabled {
			continue
		}
		if len(r.Sources) > 0 && !hasSource(r.Sources, ev.Source) {
			continue
		}
		f(r)
	}
}

func hasSource(ss []Source, s Source) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
