package opsgenie

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/alexis-project/alexis"
)

// memWriter is an AlertWriter that only counts notes.
type memWriter struct {
	mu    sync.Mutex
	notes []string
}

func (m *memWriter) AddNote(_ context.Context, _ Ref, note string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notes = append(m.notes, note)
	return "r", nil
}
func (m *memWriter) AddTeam(context.Context, Ref, Team, string) (string, error)     { return "r", nil }
func (m *memWriter) AddTags(context.Context, Ref, []string, string) (string, error) { return "r", nil }
func (m *memWriter) Escalate(context.Context, Ref, Escalation, string) (string, error) {
	return "r", nil
}
func (m *memWriter) Acknowledge(context.Context, Ref, string) (string, error) { return "r", nil }
func (m *memWriter) Close(context.Context, Ref, string) (string, error)       { return "r", nil }
func (m *memWriter) Get(context.Context, Ref) (*Alert, error)                 { return &Alert{}, nil }
func (m *memWriter) Confirm(context.Context, string) (*RequestStatus, error) {
	return &RequestStatus{}, nil
}

func oneRun(id string, rule *alexis.Rule) *alexis.Report {
	return &alexis.Report{Event: &alexis.Event{Source: alexis.SourceOpsGenie, ID: id, Action: "Create"}, Rules: []*alexis.Rule{rule},
		Plan: alexis.Plan{Matches: []alexis.Match{{Rule: rule.Name}}},
		Runs: []alexis.TaskRun{{Rule: rule.Name, Result: alexis.Result{Status: alexis.StatusSuccess}}}}
}

func TestAttemptCountsStayBounded(t *testing.T) {
	w := &memWriter{}
	n := NewNotifier(w)
	defer n.Close()
	rule := &alexis.Rule{Name: "gc"}
	for i := range maxAttemptKeys + 500 {
		if err := n.Notify(context.Background(), oneRun(fmt.Sprint("alert-", i), rule)); err != nil {
			t.Fatal(err)
		}
	}
	n.mu.Lock()
	size := len(n.attempts)
	_, newest := n.attempts[fmt.Sprint("alert-", maxAttemptKeys+499)+"\x00gc"]
	n.mu.Unlock()
	if size > maxAttemptKeys || !newest {
		t.Errorf("%d counts kept (cap %d), newest kept: %v", size, maxAttemptKeys, newest)
	}
}

func TestAttemptCounterOption(t *testing.T) {
	w := &memWriter{}
	var asked []string
	n := NewNotifier(w, WithAttemptCounter(func(_ context.Context, ev *alexis.Event, rule string) (int, error) {
		asked = append(asked, ev.ID+"/"+rule)
		return 6, nil
	}))
	defer n.Close()
	if err := n.Notify(context.Background(), oneRun("a1", &alexis.Rule{Name: "gc"})); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0] != "a1/gc" || len(w.notes) != 1 {
		t.Fatalf("asked %v, notes %v", asked, w.notes)
	}
	if want := `attempt 7`; !contains(w.notes[0], want) {
		t.Errorf("note %q lacks %q", w.notes[0], want)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
