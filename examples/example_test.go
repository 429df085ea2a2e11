package examples_test

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/source"
)

// TestDuplicatorRules is what a team writes to test its own rules with
// `go test`: load the directory, build an engine, plan an event from a
// recorded payload, compare with go-cmp. Planning runs nothing.
func TestDuplicatorRules(t *testing.T) {
	rs, err := rule.LoadDir("rules", builtin.Registry(builtin.Config{}))
	if err != nil {
		t.Fatal(err) // every problem, each as file:line:col
	}
	eng, err := alexis.New(rs)
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("rules/testdata/opsgenie_create_duplicator_gc.json")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := source.Parse(alexis.SourceOpsGenie, body)
	if err != nil {
		t.Fatal(err)
	}

	got := eng.Plan(evs[0])

	want := alexis.Plan{
		Event: "opsgenie/2c9d41f0-6a3b-4d8e-b7f1-93e0a5c2d418-1732876500412/Create/1732876500488013000",
		Matches: []alexis.Match{{
			Rule:    "duplicator-gc-day",
			Targets: []string{"wayvsymdup01.dev.example.com"},
			Tasks: []alexis.PlannedTask{
				{Target: "wayvsymdup01.dev.example.com", Action: "ssh", Reason: "restart-duplicator",
					Command: "sudo systemctl restart duplicator", Timeout: 2 * time.Minute},
				{Target: "wayvsymdup01.dev.example.com", Action: "ssh", Reason: "check-duplicator",
					Command: `systemctl is-active duplicator && logger -t alexis "duplicator restarted for alert 5120 on wayvsymdup01.dev.example.com"`,
					Timeout: 2 * time.Minute},
			},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan mismatch (-want +got):\n%s", diff)
	}
}
