package fakedynatrace

import (
	"testing"

	"github.com/alexis-project/alexis/internal/fakeapi"
)

// TestRejectsContractViolations proves the fake can fail a client.
func TestRejectsContractViolations(t *testing.T) {
	const pid = "-1_1V2"
	s := New(t, "tok")
	s.AddProblem(Problem{ID: pid})
	tests := []struct {
		name, method, path, ctype, auth, body string
		want                                  int
	}{
		{"good comment", "POST", "/api/v2/problems/" + pid + "/comments", "application/json", "Api-Token tok", `{"message":"m","context":"Alexis"}`, 201},
		{"bad token", "POST", "/api/v2/problems/" + pid + "/comments", "application/json", "Api-Token nope", `{"message":"m"}`, 401},
		{"bearer", "POST", "/api/v2/problems/" + pid + "/comments", "application/json", "Bearer tok", `{"message":"m"}`, 401},
		{"no message", "POST", "/api/v2/problems/" + pid + "/comments", "application/json", "Api-Token tok", `{"context":"x"}`, 400},
		{"unknown field", "POST", "/api/v2/problems/" + pid + "/comments", "application/json", "Api-Token tok", `{"message":"m","author":"x"}`, 400},
		{"text body", "POST", "/api/v2/problems/" + pid + "/close", "text/plain", "Api-Token tok", `{"message":"m"}`, 415},
		{"opening event", "POST", "/api/v2/events/ingest", "application/json", "Api-Token tok", `{"eventType":"ERROR_EVENT","title":"t"}`, 400},
		{"no title", "POST", "/api/v2/events/ingest", "application/json", "Api-Token tok", `{"eventType":"CUSTOM_INFO"}`, 400},
		{"loose selector", "POST", "/api/v2/events/ingest", "application/json", "Api-Token tok", `{"eventType":"CUSTOM_INFO","title":"t","entitySelector":"type(HOST)"}`, 400},
		{"page key with more", "GET", "/api/v2/problems/" + pid + "/comments?nextPageKey=" + pid + "@2&pageSize=2", "", "Api-Token tok", ``, 400},
		{"unknown fields", "GET", "/api/v2/problems/" + pid + "?fields=everything", "", "Api-Token tok", ``, 400},
		{"good event", "POST", "/api/v2/events/ingest", "application/json", "Api-Token tok", `{"eventType":"CUSTOM_INFO","title":"t","entitySelector":"entityId(\"HOST-5D7E9A1B3C2F4E68\")"}`, 201},
	}
	for _, tt := range tests {
		status, b := fakeapi.Send(t, tt.method, s.URL+tt.path, tt.ctype, tt.auth, tt.body)
		if status != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, status, b, tt.want)
		}
	}
	if n := len(s.Problems()); n != 8 {
		t.Errorf("%d violations recorded, want 8", n)
	}
	if p, _ := s.Problem(pid); len(p.Comments) != 1 || p.Status != "OPEN" || len(s.Events()) != 1 {
		t.Errorf("rejected requests changed state: %+v, %d events", p, len(s.Events()))
	}
}
