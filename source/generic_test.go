package source_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest"
	"github.com/alexis-project/alexis/source"
)

func TestParseGeneric(t *testing.T) {
	tests := []struct {
		file string
		raw  string // "" for the whole body
		want alexis.Event
	}{
		{file: "generic_backup.json", want: alexis.Event{
			Source: alexis.SourceGeneric, ID: "backup-db-01-20241129", ShortID: "42", Action: "failed",
			Message: "nightly backup failed on db-01", Description: "pg_dump exited 1: no space left on device",
			Priority:  "P2",
			Tags:      []string{"team:dba", "backup", "[AWS]Name:db-01"},
			TagValues: map[string]string{"team": "dba", "[AWS]Name": "db-01", "Name": "db-01"},
			Details:   map[string]string{"host": "db-01", "job": "pg_dump"},
			Entities:  []alexis.Entity{{Name: "db-01", Type: "HOST"}, {ID: "db-01:/var/backups", Type: "FILESYSTEM"}},
		}},
		{file: "generic_with_raw.json",
			raw: `{"job": {"name": "rotate-logs", "host": "web-01", "last_run": "2024-11-28T03:00:00Z"}}`,
			want: alexis.Event{
				Source: alexis.SourceGeneric, ID: "cron-7731", Message: "cron job rotate-logs missed its schedule",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := payloadtest.Read(t, tt.file)
			got, err := source.ParseGeneric(body)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Raw = body
			if tt.raw != "" {
				want.Raw = json.RawMessage(tt.raw)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("ParseGeneric mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// An Event marshalled by Alexis parses back to itself (less the fields
// ParseGeneric recomputes or clears).
func TestParseGenericRoundTrip(t *testing.T) {
	in := alexis.Event{
		Source: alexis.SourceGeneric, ID: "x-1", ShortID: "1", Alias: "x", Action: "fired", Message: "m",
		Description: "d", Tags: []string{"a:b"}, TagValues: map[string]string{"a": "b"},
		Details: map[string]string{"k": "v"}, Entities: []alexis.Entity{{Name: "n", ID: "i", Type: "t"}},
		Priority: "P1", Ignore: "maintenance window", Raw: json.RawMessage(`{"orig":true}`),
	}
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := source.ParseGeneric(body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&in, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestParseGenericErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"array", `[{"id":"a","message":"m"}]`, `body: want a JSON object, got array`},
		{"no id", `{"message":"m"}`, `id: required`},
		{"no message", `{"id":"a"}`, `message: required`},
		{"empty message", `{"id":"a","message":""}`, `message: required, got ""`},
		{"typo", `{"id":"a","mesage":"m"}`, `mesage: unknown field`},
		{"other source", `{"source":"opsgenie","id":"a","message":"m"}`, `source: want "generic" or nothing, got "opsgenie" (post it to the opsgenie webhook instead)`},
		{"tags string", `{"id":"a","message":"m","tags":"a,b"}`, `tags: want array of strings, got "a,b"`},
		{"details number", `{"id":"a","message":"m","details":{"n":1}}`, `details.n: want string, got 1`},
		{"entity unknown", `{"id":"a","message":"m","entities":[{"host":"h"}]}`, `entities[0].host: unknown field`},
		{"entity string", `{"id":"a","message":"m","entities":["h"]}`, `entities[0]: want object, got "h"`},
		{"received", `{"id":"a","message":"m","received":"now"}`, `received: want RFC 3339 time, got "now"`},
		{"priority number", `{"id":"a","message":"m","priority":1}`, `priority: want string, got 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := source.ParseGeneric([]byte(tt.body))
			if err == nil {
				t.Fatalf("ParseGeneric succeeded: %+v", ev)
			}
			payloadtest.CheckError(t, err, alexis.EINVALID, tt.want)
		})
	}
}
