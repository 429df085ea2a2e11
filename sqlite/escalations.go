package sqlite

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alexis-project/alexis"
)

// Escalation is a delayed escalation (a rule's escalate_after) waiting for
// its time. The server stores each one from when it is set until it has
// run, so that a crash does not lose it.
type Escalation struct {
	AlertID string
	IDType  string // what AlertID is (OpsGenie's identifierType); empty: an id
	Rule    string
	Name    string // the escalation to escalate the alert to
	Due     time.Time
}

// escalationRow is the stored form of an Escalation: one row of the meta
// table per escalation, keyed by alert and rule, the value in JSON. Its
// encoding is deterministic, which DeleteEscalation relies on.
type escalationRow struct {
	AlertID string `json:"alert_id"`
	IDType  string `json:"id_type,omitempty"`
	Rule    string `json:"rule"`
	Name    string `json:"escalation"`
	Due     int64  `json:"due_ns"`
}

// escalationPrefix starts the meta keys of escalations; escalationEnd is
// the first key after them ('0' follows '/').
const (
	escalationPrefix = "escalation/"
	escalationEnd    = "escalation0"
)

func escalationKV(e Escalation) (k, v string, err error) {
	var missing []string
	if e.AlertID == "" {
		missing = append(missing, "alert id")
	}
	if e.Rule == "" {
		missing = append(missing, "rule")
	}
	if e.Name == "" {
		missing = append(missing, "escalation name")
	}
	if e.Due.IsZero() {
		missing = append(missing, "due time")
	}
	if len(missing) > 0 {
		return "", "", alexis.Errorf(alexis.EINVALID, "escalation of alert %q by rule %q: no %s", e.AlertID, e.Rule, strings.Join(missing, ", "))
	}
	kb, err := json.Marshal([]string{e.IDType, e.AlertID, e.Rule})
	if err != nil {
		return "", "", internal("encode escalation", err)
	}
	vb, err := json.Marshal(escalationRow{AlertID: e.AlertID, IDType: e.IDType, Rule: e.Rule, Name: e.Name, Due: e.Due.UnixNano()})
	if err != nil {
		return "", "", internal("encode escalation", err)
	}
	return escalationPrefix + string(kb), string(vb), nil
}

// SaveEscalation stores e durably (synchronous=FULL, through the group
// committer), replacing a stored escalation of the same alert (IDType and
// AlertID) and rule.
func (db *DB) SaveEscalation(ctx context.Context, e Escalation) error {
	k, v, err := escalationKV(e)
	if err != nil {
		return err
	}
	_, err = db.exec(ctx, "save escalation", `INSERT INTO meta(k, v) VALUES(?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`, k, v)
	return err
}

// DeleteEscalation removes e once it has run. Only e itself is removed:
// when a later escalation of the same alert and rule (another Name or Due)
// replaced it meanwhile, that one stays. It reports whether e was stored.
func (db *DB) DeleteEscalation(ctx context.Context, e Escalation) (bool, error) {
	k, v, err := escalationKV(e)
	if err != nil {
		return false, err
	}
	n, err := db.exec(ctx, "delete escalation", `DELETE FROM meta WHERE k = ? AND v = ?`, k, v)
	return n > 0, err
}

// Escalations returns the stored escalations, soonest first. A row that
// cannot be decoded is left out and named in the error, the others are
// returned.
func (db *DB) Escalations(ctx context.Context) ([]Escalation, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT k, v FROM meta WHERE k >= ? AND k < ?`, escalationPrefix, escalationEnd)
	if err != nil {
		return nil, internal("read escalations", err)
	}
	defer rows.Close()
	var (
		out  []Escalation
		errs []error
	)
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, internal("read escalations", err)
		}
		var r escalationRow
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			errs = append(errs, fmt.Errorf("meta row %q: %w", k, err))
			continue
		}
		out = append(out, Escalation{AlertID: r.AlertID, IDType: r.IDType, Rule: r.Rule, Name: r.Name, Due: fromNS(r.Due)})
	}
	if err := rows.Err(); err != nil {
		return nil, internal("read escalations", err)
	}
	slices.SortFunc(out, func(a, b Escalation) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.AlertID, b.AlertID))
	})
	if len(errs) > 0 {
		return out, internal("undecodable stored escalations", errors.Join(errs...))
	}
	return out, nil
}
