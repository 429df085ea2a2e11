package sqlite_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/sqlite"
	"github.com/google/go-cmp/cmp"
)

func richEvent(id string) *alexis.Event {
	return &alexis.Event{Source: alexis.SourceOpsGenie, ID: id, ShortID: "42", Alias: "disk-" + id, Action: "Create",
		Message: "disk full", Description: "90% used", Tags: []string{"app:duplicator", "env:prod"},
		TagValues: map[string]string{"app": "duplicator", "env": "prod"}, Details: map[string]string{"host_regex": "web-0[1-3]"},
		Entities: []alexis.Entity{{Type: "host", Name: "web-01"}}, Priority: "P2",
		Received: time.Date(2026, 11, 29, 10, 0, 0, 123, time.UTC), Raw: []byte(`{"alert": {"alertId": "` + id + `"}}`)}
}

// An event claimed in the process that queued it comes from memory (the
// hand-off), requeued it goes back there, and it equals what Claim decodes
// from the store after a restart.
func TestHandOffEqualsStored(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	ev := richEvent("a")
	if _, err := db.Enqueue(ctx, []*alexis.Event{ev}); err != nil {
		t.Fatal(err)
	}
	ev.Message = "changed by the caller after Enqueue"
	qs, err := db.Claim(ctx, 1)
	if err != nil || len(qs) != 1 || qs[0].Attempts != 1 {
		t.Fatalf("claim: %v %v", qs, err)
	}
	handed := qs[0].Event
	if handed.Message != "disk full" {
		t.Errorf("hand-off message = %q, want the one enqueued", handed.Message)
	}
	if w, b := db.Waiting(); w != 0 || b != 0 {
		t.Errorf("claimed: %d events (%d bytes) wait in memory", w, b)
	}
	if err := db.Requeue(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if w, b := db.Waiting(); w != 1 || b == 0 {
		t.Errorf("requeued: %d events (%d bytes) wait in memory, want 1", w, b)
	}
	if at, ok := db.OldestWaiting(); !ok || !at.Equal(ev.Received) {
		t.Errorf("oldest waiting received at %v, %v; want %v", at, ok, ev.Received)
	}
	qs, err = db.Claim(ctx, 1)
	if err != nil || len(qs) != 1 || qs[0].Event != handed || qs[0].Attempts != 2 {
		t.Fatalf("claim after requeue: %+v %v", qs, err)
	}
	if err := db.Requeue(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // moves it to the database, queued
		t.Fatal(err)
	}
	if w, b := db.Waiting(); w != 0 || b != 0 {
		t.Errorf("closed: %d events (%d bytes) wait in memory", w, b)
	}
	db2, err := reopen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	qs, err = db2.Claim(ctx, 1)
	if err != nil || len(qs) != 1 {
		t.Fatalf("claim after reopen: %v %v", qs, err)
	}
	if d := cmp.Diff(qs[0].Event, handed); d != "" {
		t.Errorf("hand-off differs from the stored event (-stored +handed):\n%s", d)
	}
	if qs[0].Event == handed {
		t.Error("the claim after reopen returned the hand-off")
	}
}

// A claim in a new process (after a crash) decodes the event from the store.
func TestHandOffNotAfterReopen(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	if _, err := db.Enqueue(ctx, []*alexis.Event{richEvent("a")}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := reopen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	qs, err := db2.Claim(ctx, 1)
	if err != nil || len(qs) != 1 {
		t.Fatalf("claim: %v %v", qs, err)
	}
	if d := cmp.Diff(richEvent("a"), qs[0].Event); d != "" {
		t.Errorf("decoded event (-want +got):\n%s", d)
	}
}

func mustJSON(t *testing.T, ev *alexis.Event) string {
	t.Helper()
	c := *ev
	c.Raw = nil
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func reopen(path string) (*sqlite.DB, error) { return sqlite.Open(path) }
