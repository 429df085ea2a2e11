package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/alexis-project/alexis"
)

// MaxHandOff and MaxHandOffBytes bound the events waiting for a worker
// that the store keeps in memory, from the intake log: their number, and
// the bytes of their stored form (event JSON and request body; the heap
// they take is about 1.6 times that). Past either bound (a backlog), the
// oldest are moved to the database as queued until half of each bound is
// left, and Claim decodes them from there. The bounds let a burst of a
// few thousand alerts wait for the workers in memory (see the server's
// intake_priority) without a database write per alert.
const (
	MaxHandOff      = 16384
	MaxHandOffBytes = 32 << 20
)

// pstate is where an event of the intake log is on its way to SQLite.
type pstate uint8

const (
	pQueued   pstate = iota // waiting in pendQ for a worker
	pClaiming               // taken by Claim: a worker handles it; its row is written with the first journal entry or the outcome
	pSpilling               // being inserted as queued (memory bound, Close)
	pIgnored                // ignored: its row is being inserted
)

// pending is an event that is in the intake log and not yet in SQLite.
type pending struct {
	id       int64
	key      string
	source   string
	ignore   string
	received int64
	event    []byte        // JSON of the event, Raw left out (the events.event column)
	body     []byte        // the request body (events.body)
	ev       *alexis.Event // the event, for Claim: no decoding
	seg      *segment
	state    pstate
	attempts int  // claims so far (while it is only in the log)
	moved    bool // its row committed in SQLite (guarded by pendMu)
	sz       int  // size(), once computed
}

// size is what p counts for MaxHandOffBytes: set when it is first
// queued, so that a move that drops its bytes cannot unbalance pendBytes.
func (p *pending) size() int {
	if p.sz == 0 {
		p.sz = len(p.event) + len(p.body)
	}
	return p.sz
}

// OldestWaiting returns when the event the next Claim would take from the
// intake log was received, and false when the database may hold queued
// events (they come first, and are older) or none is waiting in the log.
func (db *DB) OldestWaiting() (time.Time, bool) {
	if db.sqlQueued.Load() {
		return time.Time{}, false
	}
	db.pendMu.Lock()
	defer db.pendMu.Unlock()
	if len(db.pendQ) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, db.pendQ[0].received), true
}

// recordLen is the length of p's log record, header left out.
func (p *pending) recordLen() int {
	n := recFixed
	for _, l := range []int{len(p.key), len(p.source), len(p.ignore), len(p.event), len(p.body)} {
		n += uvarintLen(uint64(l)) + l
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// status is what a duplicate delivery of p is told.
func (p *pending) status() string {
	switch p.state {
	case pClaiming:
		return alexis.EventRunning
	case pIgnored:
		return alexis.EventIgnored
	}
	return alexis.EventQueued
}

// intakeReq is one Enqueue call waiting for the log writer.
type intakeReq struct {
	rows []*pending
	out  []alexis.Receipt
	err  error
	done chan struct{}
}

// Enqueue writes events durably and returns one receipt per event, in
// order. It returns only after the intake log holding them was written and
// fdatasync'ed (package comment of intakelog.go), so a caller may
// acknowledge the events as soon as it returns. An event whose Key is
// already known (in the log or in SQLite) is not stored again: its receipt
// carries the first delivery's ID and current status, and Duplicate.
// Events with Ignore set are stored as ignored and never claimed.
//
// Concurrent calls share one write and one fdatasync (group commit): one
// goroutine takes every waiting call, up to the batch size.
//
// The events are kept in memory (a shallow copy) until a worker claims
// them, so that Claim hands them over without decoding them; do not modify
// their maps and slices after Enqueue.
func (db *DB) Enqueue(ctx context.Context, evs []*alexis.Event) ([]alexis.Receipt, error) {
	req := &intakeReq{rows: make([]*pending, len(evs)), done: make(chan struct{})}
	for i, ev := range evs {
		p, err := db.pendingOf(ev)
		if err != nil {
			return nil, err
		}
		req.rows[i] = p
		if n := p.recordLen(); n > maxRecord {
			return nil, alexis.Errorf(alexis.ETOOLARGE, "event %s too large to store: %d bytes", p.key, n)
		}
	}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return nil, db.closedErr()
	}
	select {
	case db.intakeIn <- req:
		db.mu.RUnlock()
	case <-ctx.Done():
		db.mu.RUnlock()
		return nil, ctx.Err()
	}
	// Once handed over, the request is waited for even if ctx ends, so a
	// caller never reports a failure for events that were in fact stored.
	<-req.done
	if req.err != nil {
		return nil, req.err
	}
	return req.out, nil
}

func (db *DB) pendingOf(ev *alexis.Event) (*pending, error) {
	if ev.ID == "" {
		return nil, alexis.Errorf(alexis.EINVALID, "event has no id")
	}
	c := *ev
	c.Raw = nil
	if c.Received.IsZero() {
		c.Received = db.now()
	}
	b := appendEventJSON(make([]byte, 0, 1024), &c)
	// The copy Claim hands over: as it would decode it from the store (no
	// monotonic clock reading), with the body.
	c.Received, c.Raw = c.Received.Round(0), ev.Raw
	return &pending{key: ev.Key(), source: string(ev.Source), ignore: ev.Ignore,
		received: c.Received.UnixNano(), event: b, body: ev.Raw, ev: &c}, nil
}

// intakeLoop is the log writer: it takes every waiting Enqueue call,
// answers duplicates, appends the new events to the log with one write and
// one fdatasync, and only then makes them claimable and answers.
func (db *DB) intakeLoop() {
	defer close(db.intakeDone)
	busy := false
	for {
		var batch []*intakeReq
		select {
		case r := <-db.intakeIn:
			batch = append(batch, r)
		case <-db.intakeStop:
			for {
				select {
				case r := <-db.intakeIn:
					db.intakeBatch([]*intakeReq{r})
				default:
					return
				}
			}
		}
		batch = db.collectIntake(batch, busy)
		busy = len(batch) > 1
		db.intakeBatch(batch)
	}
}

// intakeTarget is the batch size past which the log writer stops waiting
// for more calls. An fdatasync costs about 0.2 ms of CPU and 0.3-2 ms of
// wall time on the machine measured (README, Performance): shared by 16
// events, that is little; with 32 clients, 16 measured best of 8 to 64.
const intakeTarget = 16

// collectIntake adds to batch what is already waiting and, under load
// (busy: the previous batch held several calls), what arrives within the
// window while the batch is smaller than intakeTarget; at most maxBatch
// events.
func (db *DB) collectIntake(batch []*intakeReq, busy bool) []*intakeReq {
	return collectBatch(db.intakeIn, batch, func(r *intakeReq) int { return len(r.rows) }, busy, db.window, intakeTarget, db.maxBatch)
}

// intakeBatch stores one batch of Enqueue calls and answers them.
func (db *DB) intakeBatch(batch []*intakeReq) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	db.pendMu.Lock()
	// Forget the keys of events now in SQLite. This happens here, in the
	// one goroutine that decides duplicates, and before the lookups below:
	// a key that is neither pending nor found in SQLite was never seen.
	for _, k := range db.moved {
		delete(db.pendKeys, k)
	}
	db.moved = db.moved[:0]
	db.pendMu.Unlock()
	db.takeKeyFilter()

	// Duplicates of pending events, and the keys to look up in SQLite.
	fresh := map[string]*pending{} // new in this batch
	var lookup []string
	db.pendMu.Lock()
	for _, r := range batch {
		r.out = make([]alexis.Receipt, len(r.rows))
		for i, p := range r.rows {
			if q := db.pendKeys[p.key]; q != nil {
				r.out[i] = alexis.Receipt{ID: q.id, Key: q.key, Status: q.status(), Duplicate: true, Ignored: q.ignore}
				r.rows[i] = nil
				continue
			}
			if _, ok := fresh[p.key]; !ok {
				fresh[p.key] = nil
				if db.mayBeStored(p.key) {
					lookup = append(lookup, p.key)
				}
			}
		}
	}
	db.pendMu.Unlock()
	known, err := db.lookupKeys(lookup)
	if err != nil {
		for _, r := range batch {
			r.err = err
		}
		return
	}
	// Assign IDs in order and build the write.
	buf := db.logBuf[:0]
	var added []*pending
	written := make([]bool, len(batch)) // the call's answer depends on the write
	for ri, r := range batch {
		for i, p := range r.rows {
			if p == nil {
				continue
			}
			if rc, ok := known[p.key]; ok {
				rc.Duplicate = true
				r.out[i] = rc
				r.rows[i] = nil
				continue
			}
			written[ri] = true
			if q := fresh[p.key]; q != nil { // twice in this batch
				r.out[i] = alexis.Receipt{ID: q.id, Key: q.key, Status: q.status(), Duplicate: true, Ignored: q.ignore}
				r.rows[i] = nil
				continue
			}
			p.id = db.nextID
			db.nextID++
			db.noteKey(p.key)
			if p.ignore != "" {
				p.state = pIgnored
			}
			fresh[p.key] = p
			start := len(buf)
			buf = appendRecord(buf, p.key, p.source, p.ignore, p.received, p.event, p.body)
			sealRecord(buf[start:], p.id)
			r.out[i] = alexis.Receipt{ID: p.id, Key: p.key, Status: p.status(), Ignored: p.ignore}
			added = append(added, p)
		}
	}
	if len(added) > 0 {
		if err := db.appendLog(buf); err != nil {
			// The IDs are not reused: a record may have reached the disk.
			db.log.Error("intake log write failed", "events", len(added), "err", err)
			for ri, r := range batch {
				if written[ri] {
					r.err = internal("store write failed", err)
				}
			}
			return
		}
	}
	if cap(buf) <= 4<<20 {
		db.logBuf = buf[:0]
	}
	db.addPending(added)
}

// lookupKeys returns the receipts of the keys already in SQLite.
func (db *DB) lookupKeys(keys []string) (map[string]alexis.Receipt, error) {
	out := map[string]alexis.Receipt{}
	db.lookups.Add(int64(len(keys)))
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), 256)]
		keys = keys[len(chunk):]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		q := `SELECT id, key, status, ignore FROM events WHERE key IN (?` + strings.Repeat(", ?", len(chunk)-1) + `)`
		rows, err := db.read.Query(q, args...)
		if err != nil {
			return nil, internal("look up event keys", err)
		}
		for rows.Next() {
			var rc alexis.Receipt
			if err := rows.Scan(&rc.ID, &rc.Key, &rc.Status, &rc.Ignored); err != nil {
				rows.Close()
				return nil, internal("look up event keys", err)
			}
			out[rc.Key] = rc
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, internal("look up event keys", err)
		}
	}
	return out, nil
}

// appendLog writes b to the current segment, starting a new one first when
// it is full, and makes it durable. After a failed write the segment is
// sealed: what it holds is replayed at the next start (duplicates of
// events that were retried are then skipped by key).
func (db *DB) appendLog(b []byte) error {
	if db.seg == nil || db.seg.size > 0 && db.seg.size+int64(len(b)) > db.seg.alloc {
		if err := db.rotate(); err != nil {
			return err
		}
	}
	err := db.failAppend
	if err == nil {
		t0 := time.Now()
		err = db.seg.append(b, !db.noSync)
		db.logWriteTime.Add(int64(time.Since(t0)))
	}
	if err != nil {
		db.seal(db.seg)
		db.seg = nil
		return err
	}
	db.logWrites.Add(1)
	if db.seg.size > db.seg.alloc/2 {
		select { // half full: have the next one prepared
		case db.prepWant <- struct{}{}:
		default:
		}
	}
	return nil
}

// rotate seals the current segment and starts the next one.
func (db *DB) rotate() error {
	var s *segment
	select {
	case s = <-db.prepared: // made ready in the background (prepareSegments)
	default:
		var err error
		// A new name even when creating it fails: the next try takes another.
		if s, err = createSegment(db.logDir, db.nextSeg.Add(1)-1, segMinSize); err != nil {
			return fmt.Errorf("intake log: %w", err)
		}
	}
	if db.seg != nil {
		db.seal(db.seg)
	}
	db.seg = s
	return nil
}

// prepareSegments makes the next segment, created and preallocated, when
// the current one is half full, so that a rotation does not make a batch
// wait for 16 MiB of zeros (a store that never fills its first, small
// segment never gets one). It runs from Open until ctx ends; a segment it
// made and nobody took is removed.
func (db *DB) prepareSegments(ctx context.Context) {
	defer close(db.prepDone)
	for {
		select {
		case <-db.prepWant:
		case <-ctx.Done():
			return
		}
		s, err := createSegment(db.logDir, db.nextSeg.Add(1)-1, segMaxSize)
		if err != nil {
			db.log.Warn("intake log: preparing the next segment failed; the log writer will create it", "err", err)
			continue
		}
		select {
		case db.prepared <- s:
		case <-ctx.Done():
			s.f.Close()
			removeFile(s.path)
		}
	}
}

// dropPrepared removes a prepared segment nobody took (at Close).
func (db *DB) dropPrepared() {
	select {
	case s := <-db.prepared:
		s.f.Close()
		removeFile(s.path)
	default:
	}
}

// seal closes a segment that is no longer written; it is deleted once its
// last event is in SQLite.
func (db *DB) seal(s *segment) {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	db.pendMu.Lock()
	s.sealed = true
	gone := s.live == 0
	db.pendMu.Unlock()
	if gone {
		db.removeSegment(s)
	}
}

func (db *DB) removeSegment(s *segment) {
	if err := removeFile(s.path); err != nil {
		db.log.Warn("intake log: removing a segment whose events are all in the database failed", "file", s.path, "err", err)
	}
}

// addPending makes newly logged events known and claimable, and moves
// ignored events (and, past MaxHandOff waiting in memory, the oldest) on
// to SQLite.
func (db *DB) addPending(added []*pending) {
	if len(added) == 0 {
		return
	}
	var ignored, spill []*pending
	db.pendMu.Lock()
	for _, p := range added {
		p.seg = db.seg
		p.seg.live++
		db.pendKeys[p.key] = p
		db.pendByID[p.id] = p
		if p.state == pIgnored {
			ignored = append(ignored, p)
			continue
		}
		db.pendQ = append(db.pendQ, p)
		db.pendBytes += p.size()
		db.pendLive++
	}
	if len(db.pendQ) > db.maxHandOff || db.pendBytes > db.maxHandOffBytes {
		// The oldest go, until at most half of each bound is left.
		n, b := 0, db.pendBytes
		for n < len(db.pendQ) && (len(db.pendQ)-n > db.maxHandOff/2 || b > db.maxHandOffBytes/2) {
			b -= db.pendQ[n].size()
			n++
		}
		spill = db.popPending(n, pSpilling)
	}
	db.pendMu.Unlock()
	db.signal()
	if len(ignored) > 0 {
		db.moveAsync(ignored, alexis.EventIgnored)
	}
	if len(spill) > 0 {
		db.moveAsync(spill, alexis.EventQueued)
	}
}

// popPending takes up to n events from the head of pendQ and puts them in
// state st. Call with pendMu held.
func (db *DB) popPending(n int, st pstate) []*pending {
	n = min(n, len(db.pendQ))
	out := make([]*pending, 0, n)
	for _, p := range db.pendQ[:n] {
		if !p.moved { // (never, by construction; a safety net)
			out = append(out, p)
		}
	}
	for _, p := range db.pendQ[:n] {
		db.pendBytes -= p.size()
	}
	clear(db.pendQ[:n])
	db.pendQ = db.pendQ[n:]
	if len(db.pendQ) == 0 {
		db.pendQ = nil // let the backing array go
	}
	for _, p := range out {
		p.state = st
	}
	return out
}

// unpop puts events taken by popPending back at the head of pendQ, after a
// failed move.
func (db *DB) unpop(ps []*pending) {
	db.pendMu.Lock()
	defer db.pendMu.Unlock()
	var q []*pending
	for _, p := range ps {
		if p.moved || p.state == pIgnored {
			continue // in the database already; ignored events wait for the next start
		}
		p.state = pQueued
		db.pendBytes += p.size()
		q = append(q, p)
	}
	db.pendQ = append(q, db.pendQ...)
}

// moved records, once their rows committed, that events left the log:
// their segments may go, and their keys are forgotten by the log writer
// (which then finds them in SQLite).
func (db *DB) movedToSQLite(ps []*pending) {
	var gone []*segment
	db.pendMu.Lock()
	for _, p := range ps {
		if p.moved {
			continue // two writes of one event (BeginTask of two targets)
		}
		p.moved = true
		db.moved = append(db.moved, p.key)
		delete(db.pendByID, p.id)
		if p.state != pIgnored {
			db.pendLive--
		}
		p.seg.live--
		if p.seg.live == 0 && p.seg.sealed {
			gone = append(gone, p.seg)
		}
		p.event, p.body, p.ev = nil, nil, nil
	}
	db.pendMu.Unlock()
	for _, s := range gone {
		db.removeSegment(s)
	}
}

const insertPending = `INSERT INTO events(id, key, source, received, status, ignore, attempts, claimed, event, body)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertClaimed writes the row of an event a worker claimed from the log
// (running, or done by Finish), unless another write of the same event did
// already.
const insertClaimed = `INSERT INTO events(id, key, source, received, status, ignore, attempts, claimed, finished, error, event, body)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`

// insertRows inserts pending events as rows with the given status.
func (w *wtx) insertRows(ps []*pending, status string, claimed int64) error {
	for _, p := range ps {
		if _, err := w.exec(insertPending, p.id, p.key, p.source, p.received, status, p.ignore, p.attempts, claimed,
			string(p.event), p.body); err != nil {
			return internal("store event", err)
		}
	}
	return nil
}

// claimedInLog returns the pending event id if a worker claimed it from
// the intake log and its row is not yet in SQLite.
func (db *DB) claimedInLog(id int64) *pending {
	db.pendMu.Lock()
	defer db.pendMu.Unlock()
	if p := db.pendByID[id]; p != nil && p.state == pClaiming && !p.moved {
		return p
	}
	return nil
}

// writeClaimed writes, in the transaction of w, the running row of an
// event claimed from the log (p, from claimedInLog; nil: nothing to do),
// and once that committed, lets the log forget it.
func (db *DB) writeClaimed(w *wtx, o *op, p *pending) error {
	_, err := db.writeClaimedAs(w, o, p, alexis.EventRunning, 0, "")
	return err
}

// writeClaimedAs is writeClaimed with the row's status, finish time and
// error: Finish writes an event that is still only in the log as done in
// one statement. It reports whether this statement wrote the row (false:
// another write of the same event did, and the row may have another
// status).
func (db *DB) writeClaimedAs(w *wtx, o *op, p *pending, status string, finished int64, errMsg string) (bool, error) {
	if p == nil {
		return false, nil
	}
	res, err := w.exec(insertClaimed, p.id, p.key, p.source, p.received, status, p.ignore, p.attempts,
		db.now().UnixNano(), finished, errMsg, string(p.event), p.body)
	if err != nil {
		return false, internal("store event", err)
	}
	o.onCommit = func() { db.movedToSQLite([]*pending{p}) }
	if n, _ := res.RowsAffected(); n > 0 {
		return true, nil
	}
	// Written by another write of the same event; make sure it is.
	var key string
	if err := w.queryRow(`SELECT key FROM events WHERE id = ?`, p.id).Scan(&key); err != nil || key != p.key {
		return false, internal("store event", fmt.Errorf("event %d is stored as %q, not %q (%v)", p.id, key, p.key, err))
	}
	return false, nil
}

// moveAsync inserts events into SQLite with status (queued or ignored)
// through the group committer, without waiting.
func (db *DB) moveAsync(ps []*pending, status string) {
	o := &op{n: len(ps), done: make(chan error, 1)}
	o.fn = func(w *wtx, o *op) error {
		if err := w.insertRows(ps, status, 0); err != nil {
			return err
		}
		o.onCommit = func() {
			db.movedToSQLite(ps)
			if status == alexis.EventQueued {
				db.sqlQueued.Store(true)
				db.signal()
			}
		}
		return nil
	}
	o.onFail = func(err error) {
		db.log.Error("moving events from the intake log to the database failed; they stay in the log", "events", len(ps), "err", err)
		db.unpop(ps)
	}
	db.in <- o
}
