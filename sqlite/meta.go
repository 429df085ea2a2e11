package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// SetMeta stores v under k in the store's key-value table, replacing any
// earlier value (the server keeps its pending escalations there across a
// restart).
func (db *DB) SetMeta(ctx context.Context, k, v string) error {
	_, err := db.exec(ctx, "set meta", `INSERT INTO meta(k, v) VALUES(?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`, k, v)
	return err
}

// Meta returns the value stored under k, and whether there is one.
func (db *DB) Meta(ctx context.Context, k string) (string, bool, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = ?`, k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, internal("read meta", err)
	}
	return v, true, nil
}
