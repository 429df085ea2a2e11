package match_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/match"
	"github.com/google/go-cmp/cmp"
)

var (
	genTags    = []string{"t0", "t1", "t2", "app:a0", "app:a1", "[AWS]Name:w0", "Name:w1", "env:prod"}
	genActions = []string{"Create", "Close", "AddNote"}
	genPrios   = []string{"P1", "P2", "P3"}
	genSources = []alexis.Source{alexis.SourceOpsGenie, alexis.SourceDynatrace, alexis.SourceAlertmanager, "custom"}
	genKeys    = []string{"app", "Name", "[AWS]Name", "env", "missing"}
	genValues  = []string{"a0", "a1", "w0", "w1", "prod", "x"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func genAtom(r *rand.Rand) string {
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	switch r.IntN(16) {
	case 0:
		return "has_tag(" + q(pick(r, genTags)) + ")"
	case 1:
		return "all_tags(" + q(pick(r, genTags)) + ", " + q(pick(r, genTags)) + ")"
	case 2:
		return "any_tag(" + q(pick(r, genTags)) + ", " + q(pick(r, genTags)) + ")"
	case 3:
		return q(pick(r, genTags)) + " in tags"
	case 4:
		return q(pick(r, genTags)) + " not in tags"
	case 5:
		return "action == " + q(pick(r, genActions))
	case 6:
		return q(pick(r, genPrios)) + " == priority"
	case 7:
		return "source == " + q(string(pick(r, genSources)))
	case 8:
		return "tag(" + q(pick(r, genKeys)) + ") == " + q(pick(r, genValues))
	case 9:
		return "tag_values." + pick(r, []string{"app", "env", "Name"}) + " == " + q(pick(r, genValues))
	case 10:
		return "tag_values[" + q(pick(r, genKeys)) + "] == " + q(pick(r, genValues))
	case 11:
		return "message matches " + q(pick(r, []string{"^GC", "(?i)gc time", "heap|disk", "a0$"}))
	case 12:
		return "icontains(description, " + q(pick(r, []string{"disk", "GC", "w0"})) + ")"
	case 13:
		return "details.host == " + q(pick(r, genValues))
	case 14:
		return "json(\"alert.priority\") == " + q(pick(r, genPrios))
	default:
		return "alias == " + q(pick(r, genPrios))
	}
}

func genExpr(r *rand.Rand, depth int) string {
	if depth > 2 {
		return genAtom(r)
	}
	switch r.IntN(8) {
	case 0:
		return "(" + genExpr(r, depth+1) + " || " + genExpr(r, depth+1) + ")"
	case 1:
		return "!(" + genExpr(r, depth+1) + ")"
	case 2:
		return "(" + genAtom(r) + " ? " + genExpr(r, depth+1) + " : " + genExpr(r, depth+1) + ")"
	case 3:
		v := fmt.Sprintf("v%d", r.Uint32())
		return "(let " + v + " = " + genAtom(r) + "; " + v + " && " + genExpr(r, depth+1) + ")"
	default:
		parts := []string{genAtom(r)}
		for n := r.IntN(3); n > 0; n-- {
			parts = append(parts, genExpr(r, depth+1))
		}
		return strings.Join(parts, pick(r, []string{" && ", " and "}))
	}
}

func genEvent(r *rand.Rand) *alexis.Event {
	ev := &alexis.Event{Source: pick(r, genSources), Action: pick(r, genActions), Priority: pick(r, genPrios),
		Alias: pick(r, genPrios), Message: pick(r, []string{"GC time high", "Long gc TIME", "disk full a0", "heap"}),
		Description: pick(r, []string{"Disk", "gc", "host w0", ""}), Details: map[string]string{}}
	for n := r.IntN(5); n > 0; n-- {
		ev.Tags = append(ev.Tags, pick(r, genTags))
	}
	ev.TagValues = alexis.ParseTags(ev.Tags)
	if r.IntN(2) == 0 {
		ev.Details["host"] = pick(r, genValues)
	}
	raw, _ := json.Marshal(map[string]any{"alert": map[string]any{"priority": pick(r, genPrios)}})
	ev.Raw = raw
	return ev
}

// TestEngineMatchEqualsFullScan compiles random rules, lets the Engine
// match random events through its index (fed by the rules' computed
// Requirements) and compares with evaluating every rule.
func TestEngineMatchEqualsFullScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2026))
	cases, indexed, matched := 0, 0, 0
	for set := 0; set < 100; set++ {
		rs := &alexis.RuleSet{Prepare: match.Prepare}
		for i := 1 + r.IntN(40); i > 0; i-- {
			src := genExpr(r, 0)
			c, err := match.CompileCondition(src)
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			rule := &alexis.Rule{Name: fmt.Sprintf("r%d", len(rs.Rules)), Enabled: r.IntN(10) > 0, When: c, WhenText: src, Requires: c.Requirements()}
			if r.IntN(4) == 0 {
				rule.Sources = []alexis.Source{pick(r, genSources)}
			}
			if req := rule.Requires; len(req.Tags)+len(req.Equals)+len(req.TagValues) > 0 {
				indexed++
			}
			rs.Rules = append(rs.Rules, rule)
		}
		eng, err := alexis.New(rs, alexis.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		if err != nil {
			t.Fatal(err)
		}
		for e := 0; e < 30; e++ {
			ev := genEvent(r)
			var got, want []string
			for _, rule := range eng.Match(ev) {
				got = append(got, rule.Name)
			}
			sc := match.Prepare(ev)
			for _, rule := range rs.Rules {
				if !rule.Enabled || (len(rule.Sources) > 0 && rule.Sources[0] != ev.Source) {
					continue
				}
				ok, err := rule.When.Eval(sc)
				if err != nil {
					t.Fatalf("%s: %v", rule.WhenText, err)
				}
				if ok {
					want = append(want, rule.Name)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				for _, rule := range rs.Rules {
					t.Logf("%s: %s %+v", rule.Name, rule.WhenText, rule.Requires)
				}
				t.Fatalf("event %+v (-full scan +engine):\n%s", ev, diff)
			}
			cases++
			matched += len(want)
		}
	}
	if indexed == 0 {
		t.Fatal("no generated rule had requirements: the index was not exercised")
	}
	if matched == 0 {
		t.Fatal("no rule ever matched")
	}
	t.Logf("%d cases, %d rules with requirements, %d matches", cases, indexed, matched)
}
