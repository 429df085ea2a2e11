package sqlite

import (
	"fmt"
	"testing"
)

func TestKeyFilterNoFalseNegatives(t *testing.T) {
	f := newKeyFilter(0) // sized for a million keys
	const n = 200_000
	for i := range n {
		f.add(fmt.Sprintf("opsgenie/alert-%d/Create", i))
	}
	for i := range n {
		if k := fmt.Sprintf("opsgenie/alert-%d/Create", i); !f.mayHave(k) {
			t.Fatalf("%s added but not found", k)
		}
	}
	fp := 0
	for i := range n {
		if f.mayHave(fmt.Sprintf("opsgenie/other-%d/Create", i)) {
			fp++
		}
	}
	// At a fifth of its capacity the false positive rate is far below 0.1%.
	if rate := float64(fp) / n; rate > 0.001 {
		t.Errorf("false positive rate %.4f", rate)
	}
}

// Keys logged while the filter is built are added when the log writer
// takes it; a failed build means every key is looked up, and no backlog
// is kept.
func TestKeyFilterBacklog(t *testing.T) {
	db := &DB{filterReady: make(chan *keyFilter, 1)}
	db.noteKey("a")
	if !db.mayBeStored("never-seen") {
		t.Error("without a filter every key may be stored")
	}
	db.filterReady <- newKeyFilter(0)
	db.noteKey("b") // before the writer takes the filter: backlog
	db.takeKeyFilter()
	db.noteKey("c")
	for _, k := range []string{"a", "b", "c"} {
		if !db.mayBeStored(k) {
			t.Errorf("%s not in the filter", k)
		}
	}
	if db.mayBeStored("d") {
		t.Error("d may be stored")
	}

	db = &DB{filterReady: make(chan *keyFilter, 1)}
	db.noteKey("a")
	db.filterReady <- nil
	db.takeKeyFilter()
	db.noteKey("b")
	if !db.filterGone || db.filterBacklog != nil || !db.mayBeStored("x") {
		t.Errorf("after a failed build: gone %v, backlog %v", db.filterGone, db.filterBacklog)
	}
}
