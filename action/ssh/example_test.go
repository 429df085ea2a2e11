package ssh_test

import (
	"fmt"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/ssh"
)

// A task's command is a template whose values are quoted for the shell:
// the hostile part of the alert stays one argument. New reads no file, so
// this works without a key (as a dry run does).
func ExampleKind_New() {
	kind := ssh.New(ssh.Config{User: "alexis", KeyFile: "/run/secrets/alexis_ed25519"})
	task, err := kind.New(alexis.Params{"command": "sudo systemctl restart {{ .Details.service }}"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := &alexis.Event{Details: map[string]string{"service": "nginx; rm -rf /"}}
	cmd, _ := task.Render(ev, "web-01")
	fmt.Println(cmd)

	_, err = kind.New(alexis.Params{"command": "echo {{ .Mesage }}", "port": 0})
	fmt.Println(err)
	// Output:
	// sudo systemctl restart 'nginx; rm -rf /'
	// command: template: command:1:8: unknown field .Mesage (known: .Target .Source .ID .ShortID .Alias .Action .Message .Description .Priority .Tags .TagValues .Details .Entities)
	// port: must be from 1 to 65535, not 0
}

func ExampleKind_Spec() {
	for _, p := range ssh.New(ssh.Config{}).Spec().Params {
		fmt.Printf("%s (%s) default %q\n", p.Name, p.Type, p.Default)
	}
	// Output:
	// command (template) default ""
	// user (string) default "the engine's ssh user"
	// port (int) default "22"
	// max_output (int) default "65536"
	// pty (bool) default "true"
}
