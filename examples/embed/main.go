// Command embed is a program of your own that embeds Alexis: it adds a
// custom action type (the seed's servicenow_reboot_server) to the built-in
// ones, builds the Alexis server with it, and mounts the server's handler
// under /alexis/ in its own net/http mux, next to its own endpoints.
//
//	go run ./examples/embed --rules examples/embed/rules
//	curl -s -H 'Content-Type: application/json' --data-binary @payload.json \
//	  http://127.0.0.1:8090/alexis/v1/opsgenie
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/config"
	"github.com/alexis-project/alexis/server"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "listen address")
	rules := flag.String("rules", "examples/embed/rules", "rules directory")
	data := flag.String("data-dir", "data-embed", "data directory")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	cfg := config.Default(*rules)
	cfg.DataDir = *data
	if err := run(ctx, cfg, ln, log); err != nil {
		log.Error("stopped", "err", err)
		os.Exit(1)
	}
}

// registry is the built-in action types plus our own.
func registry() *alexis.Registry {
	reg := builtin.Registry(builtin.Config{})
	if err := reg.Register(serviceNowReboot()); err != nil {
		panic(err) // a duplicate name is a programming error
	}
	return reg
}

// serviceNowReboot is a custom action type: a reboot request to an ITSM
// tool's API. Its parameters are decoded and checked when rules load.
func serviceNowReboot() alexis.Kind {
	type params struct {
		Instance string `json:"instance"` // the ITSM base URL
	}
	spec := alexis.ActionSpec{
		Name:        "servicenow_reboot_server",
		Summary:     "Ask the ITSM tool to reboot the target.",
		NeedsTarget: true,
		Params:      []alexis.ParamSpec{{Name: "instance", Type: "string", Required: true, Doc: "The ITSM base URL."}},
		Example:     "action: servicenow_reboot_server\ninstance: https://itsm.example.com\n",
	}
	return action.Define(spec, func(p params) (alexis.Action, error) {
		u, err := url.Parse(p.Instance)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, &alexis.ParamError{Param: "instance", Err: errors.New("must be an http(s) URL")}
		}
		endpoint := u.JoinPath("api", "reboot").String()
		return action.Func("POST "+endpoint+" reboot {{ .Target }}", func(ctx context.Context, inv alexis.Invocation) alexis.Result {
			// json.Marshal quotes the alert's text: nothing from it is interpreted.
			body, _ := json.Marshal(map[string]string{"host": inv.Target, "reason": inv.Event.Message, "alert": inv.Event.ID})
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
			if err != nil {
				return alexis.Result{Status: alexis.StatusFailure, Error: err.Error()}
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return alexis.Result{Status: alexis.StatusFailure, Error: err.Error(), Retryable: true}
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode/100 != 2 {
				return alexis.Result{Status: alexis.StatusFailure, ExitCode: resp.StatusCode, Output: string(out),
					Error: resp.Status, Retryable: resp.StatusCode >= 500}
			}
			return alexis.Result{Status: alexis.StatusSuccess, ExitCode: resp.StatusCode, Output: string(out)}
		})
	})
}

// run serves our own mux on ln until ctx is done: our endpoints, and
// Alexis under /alexis/ with its workers.
func run(ctx context.Context, cfg *config.Config, ln net.Listener, log *slog.Logger) error {
	srv, err := server.New(cfg, server.WithRegistry(registry()), server.WithLogger(log))
	if err != nil {
		return err
	}
	defer srv.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "our ops tool; Alexis is under /alexis/")
	})
	mux.Handle("/alexis/", http.StripPrefix("/alexis", srv.Handler()))

	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	workDone := make(chan error, 1)
	go func() { workDone <- srv.Work(ctx) }() // the workers that run the accepted alerts
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-workDone
}
