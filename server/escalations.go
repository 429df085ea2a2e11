package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/alexis-project/alexis/opsgenie"
	"github.com/alexis-project/alexis/sqlite"
)

// escalationStore is the part of a Store that keeps the escalate_after
// escalations from when they are scheduled until they ran; *sqlite.DB has
// it. With a store without it, pending escalations live in memory only and
// a restart loses them.
type escalationStore interface {
	SaveEscalation(ctx context.Context, e sqlite.Escalation) error
	DeleteEscalation(ctx context.Context, e sqlite.Escalation) (bool, error)
	Escalations(ctx context.Context) ([]sqlite.Escalation, error)
}

var _ escalationStore = (*sqlite.DB)(nil)

// storedEscalations is the OpsGenie notifier's EscalationStore: the
// server's store, looked up at each call (the notifier is built before the
// store is opened).
type storedEscalations struct{ s *Server }

func (d storedEscalations) SaveEscalation(ctx context.Context, p opsgenie.PendingEscalation) error {
	st, ok := d.s.store.(escalationStore)
	if !ok {
		return nil
	}
	return st.SaveEscalation(ctx, toStored(p))
}

func (d storedEscalations) DeleteEscalation(ctx context.Context, p opsgenie.PendingEscalation) error {
	st, ok := d.s.store.(escalationStore)
	if !ok {
		return nil
	}
	_, err := st.DeleteEscalation(ctx, toStored(p))
	return err
}

func toStored(p opsgenie.PendingEscalation) sqlite.Escalation {
	return sqlite.Escalation{AlertID: p.AlertID, IDType: string(p.IDType), Rule: p.Rule, Name: p.Escalation, Due: p.Due}
}

func fromStored(e sqlite.Escalation) opsgenie.PendingEscalation {
	return opsgenie.PendingEscalation{AlertID: e.AlertID, IDType: opsgenie.IDType(e.IDType), Rule: e.Rule, Escalation: e.Name, Due: e.Due}
}

// restoreEscalations schedules again the escalate_after escalations the
// store holds: those a previous process scheduled and that had not run
// when it stopped, gracefully or not. One whose time has passed runs at
// once (the notifier still checks that the alert is open).
func (s *Server) restoreEscalations() {
	if s.ogNotifier == nil {
		return
	}
	st, ok := s.store.(escalationStore)
	if !ok {
		s.log.Warn("the store does not keep escalations; a restart loses those pending")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.migrateLegacyEscalations(ctx, st)
	stored, err := st.Escalations(ctx)
	if err != nil {
		s.log.Error("cannot read all the stored escalations", "err", err)
	}
	for _, e := range stored {
		s.ogNotifier.Schedule(fromStored(e))
	}
	if len(stored) > 0 {
		s.log.Info("escalations restored", "count", len(stored))
	}
}

// legacyKey is where versions that saved the pending escalations only on a
// graceful stop kept them, as one JSON list.
const legacyKey = "opsgenie.pending_escalations"

// migrateLegacyEscalations stores the escalations such a version saved,
// one row each, for restoreEscalations to schedule, then empties its list.
func (s *Server) migrateLegacyEscalations(ctx context.Context, st escalationStore) {
	ms, ok := s.store.(interface {
		SetMeta(ctx context.Context, k, v string) error
		Meta(ctx context.Context, k string) (string, bool, error)
	})
	if !ok {
		return
	}
	v, found, err := ms.Meta(ctx, legacyKey)
	if err != nil {
		s.log.Error("cannot read the escalations saved by an earlier version", "err", err)
		return
	}
	if !found || v == "[]" {
		return
	}
	var pending []opsgenie.PendingEscalation
	if err := json.Unmarshal([]byte(v), &pending); err != nil {
		s.log.Error("cannot decode the escalations saved by an earlier version", "err", err)
		return
	}
	for _, p := range pending {
		if err := st.SaveEscalation(ctx, toStored(p)); err != nil {
			s.log.Error("cannot store an escalation saved by an earlier version", "alert", p.AlertID, "rule", p.Rule, "err", err)
			return
		}
	}
	if err := ms.SetMeta(ctx, legacyKey, "[]"); err != nil {
		s.log.Error("cannot clear the escalations saved by an earlier version", "err", err)
	}
}
