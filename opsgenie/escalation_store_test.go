package opsgenie_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/opsgenie"
	"github.com/google/go-cmp/cmp"
)

// memStore is an EscalationStore in memory that records what it was asked
// (the SQLite one is tested in package sqlite and, end to end, in server).
type memStore struct {
	mu      sync.Mutex
	rows    map[string]opsgenie.PendingEscalation
	log     []string
	saveErr error
}

func newMemStore() *memStore { return &memStore{rows: map[string]opsgenie.PendingEscalation{}} }

func storeKey(p opsgenie.PendingEscalation) string {
	return string(p.IDType) + ":" + p.AlertID + "/" + p.Rule
}

func (m *memStore) SaveEscalation(_ context.Context, p opsgenie.PendingEscalation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, "save "+p.Rule)
	if m.saveErr != nil {
		return m.saveErr
	}
	m.rows[storeKey(p)] = p
	return nil
}

func (m *memStore) DeleteEscalation(_ context.Context, p opsgenie.PendingEscalation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, "delete "+p.Rule)
	if cur, ok := m.rows[storeKey(p)]; ok && cur.Due.Equal(p.Due) && cur.Escalation == p.Escalation {
		delete(m.rows, storeKey(p))
	}
	return nil
}

func (m *memStore) state() ([]string, []opsgenie.PendingEscalation) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var rows []opsgenie.PendingEscalation
	for _, p := range m.rows {
		rows = append(rows, p)
	}
	return append([]string(nil), m.log...), rows
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEscalationStore(t *testing.T) {
	tests := []struct {
		name      string
		after     time.Duration
		closeNow  bool
		status    string
		wantLog   []string
		wantRows  int
		wantEscal []string
	}{
		{"runs: saved then deleted", 50 * time.Millisecond, false, "open", []string{"save gc", "delete gc"}, 0, []string{"ops_escalation"}},
		{"not needed: deleted too", 50 * time.Millisecond, false, "closed", []string{"save gc", "delete gc"}, 0, nil},
		{"closed before due: kept for the next start", time.Hour, true, "open", []string{"save gc"}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			n, og := newNotifier(t, opsgenie.WithDefaultEscalation("ops_escalation"), opsgenie.WithEscalationStore(st))
			og.SetStatus(alertID, tt.status)
			rule := &alexis.Rule{Name: "gc", EscalateAfter: tt.after}
			if err := n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess}})); err != nil {
				t.Fatal(err)
			}
			// Saved before Notify returned.
			if log, rows := st.state(); len(rows) != 1 || rows[0].AlertID != alertID || log[0] != "save gc" {
				t.Fatalf("after Notify: log %v rows %+v", log, rows)
			}
			if tt.closeNow {
				n.Close()
			} else {
				waitUntil(t, "the escalation to run", func() bool { log, _ := st.state(); return len(log) == 2 })
			}
			time.Sleep(100 * time.Millisecond) // nothing more must happen
			n.Close()
			log, rows := st.state()
			if d := cmp.Diff(tt.wantLog, log); d != "" {
				t.Errorf("store calls (-want +got):\n%s", d)
			}
			if len(rows) != tt.wantRows {
				t.Errorf("stored = %+v, want %d", rows, tt.wantRows)
			}
			if a, _ := og.Alert(alertID); !cmp.Equal(a.Escalations, tt.wantEscal) {
				t.Errorf("escalations = %v, want %v", a.Escalations, tt.wantEscal)
			}
		})
	}
}

// A store that fails: Notify says so, and the escalation still runs from
// memory.
func TestEscalationStoreFailure(t *testing.T) {
	st := newMemStore()
	st.saveErr = errors.New("disk full")
	n, og := newNotifier(t, opsgenie.WithDefaultEscalation("ops_escalation"), opsgenie.WithEscalationStore(st))
	rule := &alexis.Rule{Name: "gc", EscalateAfter: 20 * time.Millisecond}
	err := n.Notify(context.Background(), report("Create", map[*alexis.Rule][]alexis.Status{rule: {alexis.StatusSuccess}}))
	if err == nil || !strings.Contains(err.Error(), "rule gc: save escalation: disk full") {
		t.Errorf("Notify = %v; want the save failure", err)
	}
	waitUntil(t, "the escalation to run", func() bool { a, _ := og.Alert(alertID); return len(a.Escalations) == 1 })
}

// An escalation scheduled again replaces the stored one; the replaced
// timer never runs, so nothing deletes the new row but its own run.
func TestEscalationStoreReplaced(t *testing.T) {
	st := newMemStore()
	n, og := newNotifier(t, opsgenie.WithDefaultEscalation("ops_escalation"), opsgenie.WithEscalationStore(st))
	p := opsgenie.PendingEscalation{AlertID: alertID, Rule: "gc", Escalation: "first", Due: time.Now().Add(time.Hour)}
	n.Schedule(p)
	p.Escalation, p.Due = "second", time.Now().Add(30*time.Millisecond)
	n.Schedule(p)
	waitUntil(t, "the escalation to run", func() bool { log, _ := st.state(); return len(log) == 3 })
	log, rows := st.state()
	if d := cmp.Diff([]string{"save gc", "save gc", "delete gc"}, log); d != "" || len(rows) != 0 {
		t.Errorf("store calls (-want +got):\n%s\nrows %+v", d, rows)
	}
	if a, _ := og.Alert(alertID); !cmp.Equal(a.Escalations, []string{"second"}) {
		t.Errorf("escalations = %v", a.Escalations)
	}
}
