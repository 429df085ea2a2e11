package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/alexis-project/alexis"
)

// intakeReq is one caller's events waiting for the group committer.
type intakeReq struct {
	rows  []intakeRow
	reply chan intakeResp
}

type intakeRow struct {
	key, source, ignore string
	received            int64
	event               []byte
	body                []byte
}

type intakeResp struct {
	receipts []alexis.Receipt
	err      error
}

// Enqueue writes events durably and returns one receipt per event, in
// order. It returns only after the transaction holding them committed with
// synchronous=FULL, so a caller may acknowledge the events as soon as it
// returns. An event whose Key is already stored is not stored again: its
// receipt carries the first delivery's ID and Duplicate. Events with Ignore
// set are stored as ignored and never claimed.
//
// Concurrent calls share transactions (group commit): one goroutine takes
// every waiting request, up to the batch size, and commits them together.
func (db *DB) Enqueue(ctx context.Context, evs []*alexis.Event) ([]alexis.Receipt, error) {
	req := &intakeReq{rows: make([]intakeRow, len(evs)), reply: make(chan intakeResp, 1)}
	for i, ev := range evs {
		row, err := db.row(ev)
		if err != nil {
			return nil, err
		}
		req.rows[i] = row
	}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return nil, internal("store closed", nil)
	}
	select {
	case db.in <- req:
		db.mu.RUnlock()
	case <-ctx.Done():
		db.mu.RUnlock()
		return nil, ctx.Err()
	}
	// Once handed over, the request will be committed or failed; wait for
	// the answer even if ctx ends, so the caller never reports a failure
	// for an event that was in fact stored.
	resp := <-req.reply
	return resp.receipts, resp.err
}

func (db *DB) row(ev *alexis.Event) (intakeRow, error) {
	if ev.ID == "" {
		return intakeRow{}, alexis.Errorf(alexis.EINVALID, "event has no id")
	}
	c := *ev
	c.Raw = nil
	if c.Received.IsZero() {
		c.Received = db.now()
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return intakeRow{}, internal("encode event", err)
	}
	return intakeRow{key: ev.Key(), source: string(ev.Source), ignore: ev.Ignore,
		received: c.Received.UnixNano(), event: b, body: ev.Raw}, nil
}

// commitLoop is the single intake writer.
func (db *DB) commitLoop() {
	defer close(db.done)
	for {
		var batch []*intakeReq
		select {
		case r := <-db.in:
			batch = append(batch, r)
		case <-db.stop:
			db.drain()
			return
		}
		batch = db.collect(batch)
		db.commit(batch)
	}
}

// collect adds to batch what is already waiting and, with a window, what
// arrives within it, up to maxBatch events.
func (db *DB) collect(batch []*intakeReq) []*intakeReq {
	n := len(batch[0].rows)
	var timer <-chan time.Time
	if db.window > 0 {
		t := time.NewTimer(db.window)
		defer t.Stop()
		timer = t.C
	}
	for n < db.maxBatch {
		if timer == nil {
			select {
			case r := <-db.in:
				batch = append(batch, r)
				n += len(r.rows)
				continue
			default:
				return batch
			}
		}
		select {
		case r := <-db.in:
			batch = append(batch, r)
			n += len(r.rows)
		case <-timer:
			return batch
		}
	}
	return batch
}

// drain commits what is waiting when the store closes.
func (db *DB) drain() {
	for {
		select {
		case r := <-db.in:
			db.commit([]*intakeReq{r})
		default:
			return
		}
	}
}

func (db *DB) commit(batch []*intakeReq) {
	out, err := db.commitTx(batch)
	if err != nil {
		db.log.Error("intake commit failed", "events", len(batch), "err", err)
		err = internal("store write failed", err)
	}
	queued := false
	for i, r := range batch {
		if err != nil {
			r.reply <- intakeResp{err: err}
			continue
		}
		for _, rc := range out[i] {
			queued = queued || (rc.Status == alexis.EventQueued && !rc.Duplicate)
		}
		r.reply <- intakeResp{receipts: out[i]}
	}
	if queued {
		db.signal()
	}
}

func (db *DB) commitTx(batch []*intakeReq) ([][]alexis.Receipt, error) {
	ctx := context.Background()
	tx, err := db.intake.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO events(key, source, received, status, ignore, event, body)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING RETURNING id`)
	if err != nil {
		return nil, err
	}
	defer ins.Close()
	sel, err := tx.PrepareContext(ctx, `SELECT id, status, ignore FROM events WHERE key = ?`)
	if err != nil {
		return nil, err
	}
	defer sel.Close()
	out := make([][]alexis.Receipt, len(batch))
	for i, r := range batch {
		for _, row := range r.rows {
			status := alexis.EventQueued
			if row.ignore != "" {
				status = alexis.EventIgnored
			}
			rc := alexis.Receipt{Key: row.key, Status: status, Ignored: row.ignore}
			err := ins.QueryRowContext(ctx, row.key, row.source, row.received, status, row.ignore, row.event, row.body).Scan(&rc.ID)
			if errors.Is(err, sql.ErrNoRows) {
				rc.Duplicate = true
				err = sel.QueryRowContext(ctx, row.key).Scan(&rc.ID, &rc.Status, &rc.Ignored)
			}
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], rc)
		}
	}
	return out, tx.Commit()
}
