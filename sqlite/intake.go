package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/alexis-project/alexis"
)

type intakeRow struct {
	key, source, ignore string
	received            int64
	event               []byte
	body                []byte
	parsed              *alexis.Event // a copy of the event, for the hand-off
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
//
// The events newly queued are also kept in memory (a shallow copy, up to
// MaxHandOff of them) until claimed, so that Claim hands them to a worker
// without decoding them again; do not modify their maps and slices after
// Enqueue. After a restart, Claim decodes them from the store.
func (db *DB) Enqueue(ctx context.Context, evs []*alexis.Event) ([]alexis.Receipt, error) {
	rows := make([]intakeRow, len(evs))
	for i, ev := range evs {
		row, err := db.row(ev)
		if err != nil {
			return nil, err
		}
		rows[i] = row
	}
	out := make([]alexis.Receipt, 0, len(rows))
	err := db.write(ctx, len(rows), func(w *wtx, o *op) error {
		out = out[:0]
		for _, row := range rows {
			status := alexis.EventQueued
			if row.ignore != "" {
				status = alexis.EventIgnored
			}
			rc := alexis.Receipt{Key: row.key, Status: status, Ignored: row.ignore}
			err := w.queryRow(insertEvent, row.key, row.source, row.received, status, row.ignore, row.event, row.body).Scan(&rc.ID)
			if errors.Is(err, sql.ErrNoRows) {
				rc.Duplicate = true
				err = w.queryRow(selectEventByKey, row.key).Scan(&rc.ID, &rc.Status, &rc.Ignored)
			}
			if err != nil {
				return internal("store event", err)
			}
			if rc.Status == alexis.EventQueued && !rc.Duplicate {
				o.wake = true
				o.hand = append(o.hand, handEntry{rc.ID, row.parsed})
			}
			out = append(out, rc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const selectEventByKey = `SELECT id, status, ignore FROM events WHERE key = ?`

const insertEvent = `INSERT INTO events(key, source, received, status, ignore, event, body)
	VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING RETURNING id`

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
	// The hand-off copy: as Claim would decode it (no monotonic clock
	// reading), with the body.
	c.Received, c.Raw = c.Received.Round(0), ev.Raw
	return intakeRow{key: ev.Key(), source: string(ev.Source), ignore: ev.Ignore,
		received: c.Received.UnixNano(), event: b, body: ev.Raw, parsed: &c}, nil
}
