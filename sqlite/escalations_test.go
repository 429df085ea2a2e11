package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
	"github.com/google/go-cmp/cmp"
)

// crashImage copies the store's files (the database and its write-ahead
// log) while it is open, as a crash would leave them, into a new
// directory, and returns the copy's path. No write may be in flight.
func crashImage(t testing.TB, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(path))
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestEscalationsSurviveACrash(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	due := time.Date(2026, 11, 29, 10, 15, 0, 123456789, time.UTC)
	gc := sqlite.Escalation{AlertID: "2c9d41f0", Rule: "duplicator-gc", Name: "ops-escalation", Due: due.Add(time.Minute)}
	disk := sqlite.Escalation{AlertID: "P-1234", IDType: "alias", Rule: "disk-full", Name: "storage", Due: due}
	// Same alert, another rule: a timer of its own.
	gc2 := sqlite.Escalation{AlertID: "2c9d41f0", Rule: "duplicator-restart", Name: "ops-escalation", Due: due.Add(2 * time.Minute)}
	for _, e := range []sqlite.Escalation{gc, disk, gc2} {
		if err := db.SaveEscalation(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Scheduled again (the alert was remediated again): replaces the first.
	gcAgain := gc
	gcAgain.Due = due.Add(30 * time.Minute)
	if err := db.SaveEscalation(ctx, gcAgain); err != nil {
		t.Fatal(err)
	}
	// Other meta rows are not escalations.
	if err := db.SetMeta(ctx, "opsgenie.pending_escalations", "[]"); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	crashed, err := sqlite.Open(crashImage(t, path))
	if err != nil {
		t.Fatal(err)
	}
	defer crashed.Close()
	got, err := crashed.Escalations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]sqlite.Escalation{disk, gc2, gcAgain}, got); d != "" {
		t.Errorf("escalations after a crash (-want +got):\n%s", d)
	}

	// The replaced escalation ran late (its timer was not stopped in
	// time): deleting it leaves the one that replaced it.
	if ok, err := crashed.DeleteEscalation(ctx, gc); ok || err != nil {
		t.Errorf("delete of a replaced escalation = %v, %v; want false, nil", ok, err)
	}
	for _, e := range []sqlite.Escalation{gcAgain, disk} {
		if ok, err := crashed.DeleteEscalation(ctx, e); !ok || err != nil {
			t.Errorf("delete %s/%s = %v, %v; want true, nil", e.AlertID, e.Rule, ok, err)
		}
	}
	if ok, err := crashed.DeleteEscalation(ctx, disk); ok || err != nil {
		t.Errorf("second delete = %v, %v; want false, nil", ok, err)
	}
	got, err = crashed.Escalations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]sqlite.Escalation{gc2}, got); d != "" {
		t.Errorf("escalations after deletes (-want +got):\n%s", d)
	}
	// The original store is untouched by what the copy did.
	if got, _ := db.Escalations(ctx); len(got) != 3 {
		t.Errorf("original store holds %d escalations, want 3", len(got))
	}
}

func TestEscalationInvalid(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	due := time.Date(2026, 11, 29, 10, 15, 0, 0, time.UTC)
	tests := []struct {
		e    sqlite.Escalation
		want string
	}{
		{sqlite.Escalation{Rule: "gc", Name: "ops", Due: due}, `escalation of alert "" by rule "gc": no alert id`},
		{sqlite.Escalation{AlertID: "a1", Name: "ops", Due: due}, `escalation of alert "a1" by rule "": no rule`},
		{sqlite.Escalation{AlertID: "a1", Rule: "gc"}, `escalation of alert "a1" by rule "gc": no escalation name, due time`},
	}
	for _, tt := range tests {
		err := db.SaveEscalation(ctx, tt.e)
		if err == nil || err.Error() != tt.want || alexis.ErrorCode(err) != alexis.EINVALID {
			t.Errorf("SaveEscalation(%+v) = %v; want %s (invalid)", tt.e, err, tt.want)
		}
		if _, err := db.DeleteEscalation(ctx, tt.e); err == nil || err.Error() != tt.want {
			t.Errorf("DeleteEscalation(%+v) = %v; want %s", tt.e, err, tt.want)
		}
	}
	if got, err := db.Escalations(ctx); len(got) != 0 || err != nil {
		t.Errorf("escalations = %v, %v; want none", got, err)
	}
}

// A row that does not decode is named; the others are still returned.
func TestEscalationsUndecodableRow(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	good := sqlite.Escalation{AlertID: "a1", Rule: "gc", Name: "ops", Due: time.Date(2026, 11, 29, 10, 15, 0, 0, time.UTC)}
	if err := db.SaveEscalation(ctx, good); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMeta(ctx, `escalation/["","a2","gc"]`, "{not json"); err != nil {
		t.Fatal(err)
	}
	got, err := db.Escalations(ctx)
	if err == nil || !strings.Contains(err.Error(), `meta row "escalation/[\"\",\"a2\",\"gc\"]"`) {
		t.Errorf("error = %v; want one naming the bad row", err)
	}
	if d := cmp.Diff([]sqlite.Escalation{good}, got); d != "" {
		t.Errorf("escalations (-want +got):\n%s", d)
	}
}
