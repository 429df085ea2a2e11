package builtin_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/action/ssh"
)

func TestRegistry(t *testing.T) {
	reg := builtin.Registry(builtin.Config{})
	var names []string
	for _, s := range reg.Specs() {
		names = append(names, s.Name)
		if s.Summary == "" || s.Example == "" || len(s.Params) == 0 {
			t.Errorf("%s: incomplete spec %+v", s.Name, s)
		}
	}
	if got := strings.Join(names, " "); got != "exec http ssh" {
		t.Errorf("kinds %q, want exec http ssh", got)
	}
	// Two registries do not share kinds.
	a, _ := builtin.Registry(builtin.Config{}).Lookup("exec")
	b, _ := reg.Lookup("exec")
	if a == b {
		t.Error("two registries share one exec kind")
	}
}

// A dry run needs no credentials: tasks prepare and render without a key,
// and Check reports what is missing.
func TestDryRunNeedsNoCredentials(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-key")
	reg := builtin.Registry(builtin.Config{SSH: ssh.Config{User: "alexis", KeyFile: missing, KnownHostsFile: missing + ".known"}})
	k, _ := reg.Lookup("ssh")
	a, err := k.New(alexis.Params{"command": "systemctl restart {{ .Details.service }}"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	rule := &alexis.Rule{Name: "restart", Enabled: true, Targets: alexis.StaticTargets{"web-01"},
		Tasks: []alexis.Task{{Action: "ssh", Run: a}}}
	eng, err := alexis.New(&alexis.RuleSet{Rules: []*alexis.Rule{rule}}, alexis.WithDryRun(true), alexis.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.Handle(context.Background(), &alexis.Event{Source: alexis.SourceGeneric, ID: "1", Details: map[string]string{"service": "duplicator"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Runs[0]; got.Status != alexis.StatusDryRun || got.Command != "systemctl restart 'duplicator'" {
		t.Errorf("run %+v", got)
	}
	err = builtin.Check(reg)
	if err == nil || !strings.HasPrefix(err.Error(), "action ssh: ") || !strings.Contains(err.Error(), "no-such-key") {
		t.Errorf("Check: %v, want an ssh error naming the key file", err)
	}
}

func ExampleRegistry() {
	reg := builtin.Registry(builtin.Config{SSH: ssh.Config{User: "alexis", KeyFile: "/etc/alexis/id_ed25519"}})
	for _, s := range reg.Specs() {
		fmt.Println(s.Name, s.NeedsTarget)
	}
	// Output:
	// exec false
	// http false
	// ssh true
}

// CheckUsed checks only the action types the rules use: exec-only rules
// need no SSH key, ssh rules do.
func TestCheckUsed(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-key")
	reg := builtin.Registry(builtin.Config{SSH: ssh.Config{User: "alexis", KeyFile: missing, KnownHostsFile: missing + ".known"}})
	set := func(kinds ...string) *alexis.RuleSet {
		r := &alexis.Rule{Name: "r", Enabled: true}
		for _, k := range kinds {
			r.Tasks = append(r.Tasks, alexis.Task{Action: k})
		}
		return &alexis.RuleSet{Rules: []*alexis.Rule{r}}
	}
	if err := builtin.CheckUsed(reg, set("exec", "http")); err != nil {
		t.Errorf("exec and http rules: %v, want no error", err)
	}
	if err := builtin.CheckUsed(reg, set("exec", "ssh")); err == nil || !strings.Contains(err.Error(), "no-such-key") {
		t.Errorf("ssh rule with a missing key: %v", err)
	}
}
