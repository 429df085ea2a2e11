package action_test

import (
	"context"
	"fmt"
	"log/slog"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action"
	"github.com/alexis-project/alexis/rule"
)

func ExampleParseTemplate() {
	ev := &alexis.Event{Message: "x'; touch /tmp/pwned #", Details: map[string]string{"service": "duplicator"}}

	sh, _ := action.ParseTemplate("command", `systemctl restart {{ .Details.service }} && logger "alexis: {{ .Message }}"`, action.Shell)
	cmd, _ := sh.Render(ev, "web-01")
	fmt.Println(cmd)

	u, _ := action.ParseTemplate("url", `https://itsm.example.com/api/hosts/{{ .Target }}/notes?text={{ .Message }}`, action.URL)
	s, _ := u.Render(ev, "web-01")
	fmt.Println(s)

	j, _ := action.ParseTemplate("body", `{"host": {{ .Target }}, "note": "alert: {{ .Message }}"}`, action.JSON)
	s, _ = j.Render(ev, "web-01")
	fmt.Println(s)

	_, err := action.ParseTemplate("command", `echo {{ .Mesage }}`, action.Shell)
	fmt.Println(err)
	// Output:
	// systemctl restart 'duplicator' && logger "alexis: x'; touch /tmp/pwned #"
	// https://itsm.example.com/api/hosts/web-01/notes?text=x%27%3B+touch+%2Ftmp%2Fpwned+%23
	// {"host": "web-01", "note": "alert: x'; touch /tmp/pwned #"}
	// template: command:1:8: unknown field .Mesage (known: .Target .Source .ID .ShortID .Alias .Action .Message .Description .Priority .Tags .TagValues .Details .Entities)
}

// The seed's call_ansible_playbook as a custom action type: a Kind that
// prepares an exec action, registered next to the built-ins and used by a
// rule file.
func ExampleDefine() {
	exec := &action.Exec{}
	ansible := action.Define(alexis.ActionSpec{Name: "call_ansible_playbook", Summary: "Run a playbook against the target.", NeedsTarget: true},
		func(p struct {
			Playbook string `json:"playbook"`
		}) (alexis.Action, error) {
			return exec.New(alexis.Params{"program": "ansible-playbook", "args": []any{"--limit", "{{ .Target }}", p.Playbook}})
		})
	reg := alexis.NewRegistry(exec, ansible)

	rs, err := rule.Parse("rules.yaml", []byte(`
rules:
  - name: duplicator-gc
    when: message contains "Long GC time"
    targets: [web-01, web-02]
    tasks:
      - action: call_ansible_playbook
        playbook: restart-duplicator.yml
`), reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	eng, _ := alexis.New(rs, alexis.WithDryRun(true), alexis.WithLogger(slog.New(slog.DiscardHandler)))
	rep, _ := eng.Handle(context.Background(), &alexis.Event{Source: alexis.SourceOpsGenie, ID: "1", Message: "Long GC time on duplicator"})
	for _, run := range rep.Runs {
		fmt.Println(run.Status, run.Command)
	}
	// Output:
	// dry-run ansible-playbook --limit web-01 restart-duplicator.yml
	// dry-run ansible-playbook --limit web-02 restart-duplicator.yml
}

// A custom action as a Go function: what the seed would call
// servicenow_reboot_server, here printing instead of calling an API.
func ExampleFunc() {
	reboot := action.Define(alexis.ActionSpec{Name: "servicenow_reboot_server", NeedsTarget: true},
		func(p struct {
			Group string `json:"assignment_group"`
		}) (alexis.Action, error) {
			return action.Func("reboot {{ .Target }} via "+p.Group, func(ctx context.Context, inv alexis.Invocation) alexis.Result {
				fmt.Printf("ticket for %s: %s (alert %s)\n", p.Group, inv.Rendered, inv.Event.ShortID)
				return alexis.Result{Status: alexis.StatusSuccess}
			})
		})
	a, err := reboot.New(alexis.Params{"assignment_group": "unix-ops"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := &alexis.Rule{Name: "reboot", Enabled: true, Targets: alexis.StaticTargets{"db-7"},
		Tasks: []alexis.Task{{Action: "servicenow_reboot_server", Run: a}}}
	eng, _ := alexis.New(&alexis.RuleSet{Rules: []*alexis.Rule{r}}, alexis.WithLogger(slog.New(slog.DiscardHandler)))
	rep, _ := eng.Handle(context.Background(), &alexis.Event{Source: alexis.SourceGeneric, ID: "9", ShortID: "1842"})
	fmt.Println(rep.RuleStatus("reboot"))

	_, err = reboot.New(alexis.Params{"assignment_grp": "x"})
	fmt.Println(err)
	// Output:
	// ticket for unix-ops: reboot db-7 via unix-ops (alert 1842)
	// success
	// assignment_grp: unknown parameter
}
