package httpx

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkDo compares one JSON POST through Client.Do (URL building, JSON
// encoding, per-attempt timeout, body read) with the same request made
// directly with net/http, against one loopback server.
func BenchmarkDo(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"result":"Request will be processed","took":0.3,"requestId":"43a29c5c"}`)
	}))
	defer srv.Close()
	base, _ := ParseBase(srv.URL)
	body := map[string]string{"note": "restarted duplicator", "user": "alexis", "source": "alexis"}
	const raw = `{"note":"restarted duplicator","source":"alexis","user":"alexis"}`
	b.Run("baseline-net-http", func(b *testing.B) {
		for b.Loop() {
			req, _ := http.NewRequest("POST", srv.URL+"/v2/alerts/a1/notes?identifierType=id", strings.NewReader(raw))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "GenieKey k")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.ReadAll(res.Body)
			res.Body.Close()
		}
	})
	c := &Client{Base: base, Auth: "GenieKey k"}
	b.Run("client-do", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Do(context.Background(), Request{Method: "POST", Path: "/v2/alerts/a1/notes",
				Query: map[string][]string{"identifierType": {"id"}}, Body: body}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
