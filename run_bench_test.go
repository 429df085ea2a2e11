package alexis_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/alexis-project/alexis"
)

// nop is an Action that succeeds at once.
type nop struct{}

func (nop) Render(ev *alexis.Event, target string) (string, error) { return "nop " + target, nil }
func (nop) Run(context.Context, alexis.Invocation) alexis.Result {
	return alexis.Result{Status: alexis.StatusSuccess}
}

// BenchmarkHandle measures the Engine's own cost of running one rule's two
// tasks on ten targets (plan, fan-out, logging to a discarding handler,
// report), against the baseline of rendering and running the same twenty
// tasks in a plain loop.
func BenchmarkHandle(b *testing.B) {
	var targets []string
	for i := 0; i < 10; i++ {
		targets = append(targets, fmt.Sprintf("web-%02d", i))
	}
	tasks := []alexis.Task{{Action: "nop", Run: nop{}}, {Action: "nop", Run: nop{}}}
	r := &alexis.Rule{Name: "r", Enabled: true, Targets: alexis.StaticTargets(targets), Tasks: tasks}
	ev := &alexis.Event{Source: alexis.SourceGeneric, ID: "1", Action: "Create"}
	b.Run("engine", func(b *testing.B) {
		e, err := alexis.New(&alexis.RuleSet{Rules: []*alexis.Rule{r}}, alexis.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := e.Handle(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-loop", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for _, t := range targets {
				if err := alexis.ValidTarget(t); err != nil {
					b.Fatal(err)
				}
				for _, task := range tasks {
					cmd, _ := task.Run.Render(ev, t)
					task.Run.Run(context.Background(), alexis.Invocation{Event: ev, Target: t, Rendered: cmd})
				}
			}
		}
	})
}
