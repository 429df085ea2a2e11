package match_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/alexis-project/alexis"
)

// opsgenieEvent is a minimal local decode of an OpsGenie Create webhook,
// enough for matching tests and benchmarks; package opsgenie owns the real
// parser.
func opsgenieEvent(tb testing.TB, body []byte) *alexis.Event {
	tb.Helper()
	ev, err := decodeOpsGenie(body)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

func decodeOpsGenie(body []byte) (*alexis.Event, error) {
	var w struct {
		Action string `json:"action"`
		Alert  struct {
			AlertID     string            `json:"alertId"`
			Message     string            `json:"message"`
			Tags        []string          `json:"tags"`
			TinyID      string            `json:"tinyId"`
			Entity      string            `json:"entity"`
			Alias       string            `json:"alias"`
			Priority    string            `json:"priority"`
			Description string            `json:"description"`
			Details     map[string]string `json:"details"`
		} `json:"alert"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	a := w.Alert
	ev := &alexis.Event{
		Source: alexis.SourceOpsGenie, ID: a.AlertID, ShortID: a.TinyID, Alias: a.Alias,
		Action: w.Action, Message: a.Message, Description: a.Description, Tags: a.Tags,
		TagValues: alexis.ParseTags(a.Tags), Details: a.Details, Priority: a.Priority, Raw: body,
	}
	if a.Entity != "" {
		ev.Entities = []alexis.Entity{{Name: a.Entity}}
	}
	return ev, nil
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func fixtureEvent(tb testing.TB) *alexis.Event {
	return opsgenieEvent(tb, readFile(tb, "opsgenie_create_from_dynatrace.json"))
}
