package sqlite

import "github.com/alexis-project/alexis"

// MaxHandOff is how many newly queued events the store keeps in memory for
// Claim. Past it (a backlog), Claim decodes the others from the store.
const MaxHandOff = 4096

// handEntry is an event just queued as id.
type handEntry struct {
	id int64
	ev *alexis.Event
}

// handOff keeps events whose transaction committed, for Claim. Events are
// never deleted from the store, so a committed ID is never reused and an
// entry can only ever be claimed as its own event.
func (db *DB) handOff(es []handEntry) {
	if len(es) == 0 {
		return
	}
	db.handMu.Lock()
	defer db.handMu.Unlock()
	for _, e := range es {
		if len(db.hand) >= MaxHandOff {
			return
		}
		db.hand[e.id] = e.ev
	}
}

// takeHandOff returns the event kept for id, if any, and forgets it.
func (db *DB) takeHandOff(id int64) *alexis.Event {
	db.handMu.Lock()
	defer db.handMu.Unlock()
	ev, ok := db.hand[id]
	if ok {
		delete(db.hand, id)
	}
	return ev
}
