package fakeopsgenie

import (
	"testing"

	"github.com/alexis-project/alexis/internal/fakeapi"
)

// TestRejectsContractViolations proves the fake can fail a client: each
// request below breaks the documented contract in one way.
func TestRejectsContractViolations(t *testing.T) {
	s := New(t, "k")
	s.AddAlert(Alert{ID: "a1"})
	tests := []struct {
		name, method, path, ctype, auth, body string
		want                                  int
	}{
		{"good note", "POST", "/v2/alerts/a1/notes?identifierType=id", "application/json", "GenieKey k", `{"note":"n","user":"alexis","source":"alexis"}`, 202},
		{"bad key", "POST", "/v2/alerts/a1/notes", "application/json", "GenieKey x", `{"note":"n","user":"u","source":"s"}`, 401},
		{"bearer scheme", "POST", "/v2/alerts/a1/notes", "application/json", "Bearer k", `{"note":"n","user":"u","source":"s"}`, 401},
		{"unknown field", "POST", "/v2/alerts/a1/notes", "application/json", "GenieKey k", `{"note":"n","user":"u","source":"s","color":"red"}`, 422},
		{"missing note", "POST", "/v2/alerts/a1/notes", "application/json", "GenieKey k", `{"user":"u","source":"s"}`, 422},
		{"missing user", "POST", "/v2/alerts/a1/close", "application/json", "GenieKey k", `{"source":"s"}`, 422},
		{"wrong content type", "POST", "/v2/alerts/a1/close", "text/plain", "GenieKey k", `{"user":"u","source":"s"}`, 415},
		{"bad identifierType", "POST", "/v2/alerts/a1/close?identifierType=name", "application/json", "GenieKey k", `{"user":"u","source":"s"}`, 422},
		{"extra query", "POST", "/v2/alerts/a1/close?identifierType=id&x=1", "application/json", "GenieKey k", `{"user":"u","source":"s"}`, 422},
		{"GET on a write", "GET", "/v2/alerts/a1/close", "", "GenieKey k", ``, 405},
		{"21 tags", "POST", "/v2/alerts/a1/tags", "application/json", "GenieKey k", `{"tags":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21"],"user":"u","source":"s"}`, 422},
		{"team without name", "POST", "/v2/alerts/a1/teams", "application/json", "GenieKey k", `{"team":{},"user":"u","source":"s"}`, 422},
		{"unknown op", "POST", "/v2/alerts/a1/paint", "application/json", "GenieKey k", `{"user":"u","source":"s"}`, 404},
	}
	for _, tt := range tests {
		status, b := fakeapi.Send(t, tt.method, s.URL+tt.path, tt.ctype, tt.auth, tt.body)
		if status != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, status, b, tt.want)
		}
	}
	// 401s are answers, not violations; the 422/415/405/404 cases are.
	if n := len(s.Problems()); n != 10 {
		t.Errorf("%d problems recorded, want 10", n)
	}
	if a, _ := s.Alert("a1"); len(a.Notes) != 1 || a.Status != "open" {
		t.Errorf("rejected requests changed the alert: %+v", a)
	}
}
