package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/server"
)

// Mount the server's endpoints in your own HTTP server, and ask what the
// rules would do with an alert.
func ExampleServer_Handler() {
	dir, _ := os.MkdirTemp("", "alexis-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "gc.yaml"), []byte(`rules:
  - name: duplicator-gc
    when: has_tag("app:duplicator")
    targets_from: details.host_regex
    tasks:
      - action: ssh
        reason: restart-gc
        command: sudo systemctl restart duplicator
`), 0o644)
	cfg := config.Default(dir)
	cfg.DataDir = dir
	cfg.DryRun = true
	srv, err := server.New(cfg, server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Work(ctx)

	body, _ := os.ReadFile("testdata/opsgenie_create_duplicator_gc.json")
	resp, err := http.Post(ts.URL+"/v1/plan?source=opsgenie", "application/json", strings.NewReader(string(body)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var out struct{ Plans []alexis.Plan }
	json.NewDecoder(resp.Body).Decode(&out)
	fmt.Println(resp.StatusCode, out.Plans[0].Event)
	for _, m := range out.Plans[0].Matches {
		for _, t := range m.Tasks {
			fmt.Printf("%s on %s (dry run %v): %s\n", m.Rule, t.Target, m.DryRun, t.Command)
		}
	}
	// Output:
	// 200 opsgenie/2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412/Create/1732876500488013000
	// duplicator-gc on wayvsymdup01.dev.example.com (dry run true): sudo systemctl restart duplicator
}
