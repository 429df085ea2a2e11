package sqlite

import (
	"context"
	"hash/maphash"
	"math/bits"
)

// keyFilter is a Bloom filter of event keys: the log writer asks it
// whether a key may be in the database before it looks the key up, so a
// new event (the usual case) costs no query. It has no false negatives:
// every key in the database was either there when the filter was built
// (the builder scanned it) or went through the intake log since, where the
// log writer added it.
//
// It is sized for twice the keys stored at start plus a million, at 16
// bits a key (about 0.05% false positives, each costing one lookup); past
// that capacity false positives grow slowly, and the next start sizes it
// again.
type keyFilter struct {
	words []uint64
	mask  uint64 // number of bits - 1 (a power of two)
	n     int
}

const filterHashes = 8

var filterSeed = maphash.MakeSeed()

func newKeyFilter(keys int) *keyFilter {
	want := uint64(16 * (2*keys + 1<<20))
	size := uint64(1) << bits.Len64(want-1) // a power of two ≥ want
	return &keyFilter{words: make([]uint64, size/64), mask: size - 1}
}

// positions calls fn with the filter bits of key (double hashing).
func (f *keyFilter) positions(key string, fn func(bit uint64) bool) bool {
	h := maphash.String(filterSeed, key)
	h1, h2 := h, h>>32|h<<32|1
	for i := uint64(0); i < filterHashes; i++ {
		if !fn((h1 + i*h2) & f.mask) {
			return false
		}
	}
	return true
}

func (f *keyFilter) add(key string) {
	f.n++
	f.positions(key, func(b uint64) bool {
		f.words[b/64] |= 1 << (b % 64)
		return true
	})
}

// mayHave reports whether key may have been added: false is certain.
func (f *keyFilter) mayHave(key string) bool {
	return f.positions(key, func(b uint64) bool { return f.words[b/64]&(1<<(b%64)) != 0 })
}

// buildKeyFilter scans the keys stored in the database into a new filter
// and hands it to the log writer. It runs in the background from Open;
// until it is done, the log writer looks every key up and remembers the
// keys it logs meanwhile, which it adds when it takes the filter.
func (db *DB) buildKeyFilter(ctx context.Context) {
	defer close(db.filterDone)
	f, err := db.scanKeys(ctx)
	if err != nil {
		if ctx.Err() == nil {
			db.log.Warn("building the filter of stored event keys failed; every new key is looked up in the database", "err", err)
		}
		f = nil
	}
	db.filterReady <- f
}

func (db *DB) scanKeys(ctx context.Context) (*keyFilter, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return nil, err
	}
	f := newKeyFilter(n)
	rows, err := db.read.QueryContext(ctx, `SELECT key FROM events`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var key string
	for rows.Next() {
		if err := rows.Scan(&key); err != nil {
			return nil, err
		}
		f.add(key)
	}
	return f, rows.Err()
}

// takeKeyFilter installs a filter the builder finished, with the keys
// logged since it started. The log writer calls it before each batch.
func (db *DB) takeKeyFilter() {
	select {
	case f := <-db.filterReady:
		if f == nil { // the build failed: look every key up
			db.filterGone, db.filterBacklog = true, nil
			return
		}
		for _, k := range db.filterBacklog {
			f.add(k)
		}
		db.filter, db.filterBacklog = f, nil
		db.filterOn.Store(true)
	default:
	}
}

// noteKey records a key the log writer logged: in the filter, or, while
// the filter is being built, in the backlog the filter takes later.
func (db *DB) noteKey(key string) {
	switch {
	case db.filter != nil:
		db.filter.add(key)
	case !db.filterGone:
		db.filterBacklog = append(db.filterBacklog, key)
	}
}

// mayBeStored reports whether key may be in the database (always true
// until the filter is built).
func (db *DB) mayBeStored(key string) bool {
	return db.filter == nil || db.filter.mayHave(key)
}
