package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/alexis-project/alexis/opsgenie"
)

// metaStore is the part of a Store that keeps small values across
// restarts; *sqlite.DB has it. Stores without it keep escalations in
// memory only.
type metaStore interface {
	SetMeta(ctx context.Context, k, v string) error
	Meta(ctx context.Context, k string) (string, bool, error)
}

// pendingKey is where the OpsGenie escalations still to run are kept
// between a graceful stop and the next start.
const pendingKey = "opsgenie.pending_escalations"

// restoreEscalations schedules the escalate_after escalations that the
// previous process saved when it stopped. One whose time has passed runs
// at once (the notifier still checks that the alert is open).
func (s *Server) restoreEscalations() {
	ms, ok := s.store.(metaStore)
	if s.ogNotifier == nil || !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, found, err := ms.Meta(ctx, pendingKey)
	if err != nil || !found {
		if err != nil {
			s.log.Error("cannot read the saved escalations", "err", err)
		}
		return
	}
	var pending []opsgenie.PendingEscalation
	if err := json.Unmarshal([]byte(v), &pending); err != nil {
		s.log.Error("cannot decode the saved escalations", "err", err)
		return
	}
	for _, p := range pending {
		s.ogNotifier.Schedule(p)
	}
	if len(pending) > 0 {
		s.log.Info("escalations restored", "count", len(pending))
	}
	if err := ms.SetMeta(ctx, pendingKey, "[]"); err != nil {
		s.log.Error("cannot clear the saved escalations", "err", err)
	}
}

// saveEscalations stores the escalations not yet due, before the
// notifier's timers are cancelled by Close. A crash loses them: they are
// saved on a graceful stop only.
func (s *Server) saveEscalations() error {
	ms, ok := s.store.(metaStore)
	if s.ogNotifier == nil || !ok {
		return nil
	}
	pending := s.ogNotifier.Pending()
	b, err := json.Marshal(pending)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ms.SetMeta(ctx, pendingKey, string(b)); err != nil {
		return errors.Join(errors.New("server: saving pending escalations"), err)
	}
	if len(pending) > 0 {
		s.log.Info("escalations saved for the next start", "count", len(pending))
	}
	return nil
}
