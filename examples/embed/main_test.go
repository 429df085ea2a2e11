package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexis-project/alexis/config"
)

// TestEmbedded runs the program's server with a fake ITSM API on loopback
// and checks that an alert posted to the mounted handler reaches the
// custom action.
func TestEmbedded(t *testing.T) {
	var (
		mu   sync.Mutex
		got  []map[string]string
		done = make(chan struct{}, 1)
	)
	itsm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/reboot" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		done <- struct{}{}
	}))
	defer itsm.Close()

	rules := t.TempDir()
	b, err := os.ReadFile("rules/reboot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rule := strings.ReplaceAll(string(b), "http://127.0.0.1:8091", itsm.URL)
	if err := os.WriteFile(filepath.Join(rules, "reboot.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default(rules)
	cfg.DataDir = t.TempDir()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, cfg, ln, slog.New(slog.DiscardHandler)) }()

	alert := `{"action":"Create","alert":{"alertId":"a-1","message":"web-07 stopped answering; $(reboot)",
	  "tags":["host-hung"],"details":{"host":"web-07.example.com"}},"source":{"name":"","type":"API"}}`
	resp, err := http.Post("http://"+ln.Addr().String()+"/alexis/v1/opsgenie", "application/json", strings.NewReader(alert))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /alexis/v1/opsgenie = %d, want 202", resp.StatusCode)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the custom action did not call the ITSM API")
	}
	mu.Lock()
	want := map[string]string{"host": "web-07.example.com", "reason": "web-07 stopped answering; $(reboot)", "alert": "a-1"}
	if len(got) != 1 || !equal(got[0], want) {
		t.Errorf("ITSM got %v, want one %v", got, want)
	}
	mu.Unlock()

	// Our own endpoint still answers next to Alexis.
	resp, err = http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte("our ops tool")) {
		t.Errorf("GET / = %q", body)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("run: %v", err)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
