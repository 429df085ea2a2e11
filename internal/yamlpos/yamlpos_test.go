package yamlpos_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/alexis-project/alexis/internal/yamlpos"
)

func TestDidYouMean(t *testing.T) {
	known := []string{"name", "description", "when", "targets", "targets_from", "on_success", "limits"}
	tests := []struct{ word, want string }{
		{"descripton", `; did you mean "description"?`},
		{"Description", `; did you mean "description"?`},
		{"on_sucess", `; did you mean "on_success"?`},
		{"targest", `; did you mean "targets"?`}, // transposition
		{"targets_form", `; did you mean "targets_from"?`},
		{"nmae", `; did you mean "name"?`},
		{"wen", `; did you mean "when"?`},
		{"colour", ""},
		{"x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := yamlpos.DidYouMean(tt.word, known); got != tt.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	if got := yamlpos.DidYouMean("x", nil); got != "" {
		t.Errorf("no known words: %q", got)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		src     string
		wantErr string // "" for no error
		empty   bool
	}{
		{src: "a: 1\n"},
		{src: "", empty: true},
		{src: "# only a comment\n", empty: true},
		{src: "---", empty: true},
		{src: "~\n", empty: true},
		{src: "a: [1, 2\n", wantErr: "line 1: did not find expected ',' or ']'"},
		{src: "a: 1\n---\nb: 2\n", wantErr: "line 2: a file holds one YAML document; found a second one"},
		{src: "a: 1\n---\nb: [\n", wantErr: "line 3: did not find expected node content"},
		{src: "\t- x", wantErr: "found character that cannot start any token"},
	}
	for _, tt := range tests {
		root, err := yamlpos.Parse([]byte(tt.src))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tt.wantErr) || (tt.wantErr == "" && err != nil) {
			t.Errorf("Parse(%q) error %q, want %q", tt.src, got, tt.wantErr)
		}
		if err == nil && (root == nil) != tt.empty {
			t.Errorf("Parse(%q) root = %v, want empty %v", tt.src, root, tt.empty)
		}
	}
}

// TestDecoder decodes a document with every helper and checks the values
// and the problems, with their positions.
func TestDecoder(t *testing.T) {
	src := `str: hello
num: 42
flag: true
dur: 1m30s
list: [a, b]
one: solo
bad_str: 1.10
bad_bool: "yes"
bad_int: 4.5
bad_dur: 30
worse_dur: soon
bad_list: [a, [b]]
value: {k: [1, 2.5, true, null, x], "n": {deep: 1}}
inf: .inf
dup: 1
dup: 2
`
	root, err := yamlpos.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	d := yamlpos.NewDecoder(func(line, col int, msg string) {
		problems = append(problems, fmt.Sprintf("%d:%d: %s", line, col, msg))
	})
	got := map[string]any{}
	d.Mapping(root, "", nil, func(key string, _, v *yaml.Node) {
		switch key {
		case "str", "bad_str":
			got[key], _ = d.String(v, key)
		case "num", "bad_int":
			got[key], _ = d.Int(v, key)
		case "flag", "bad_bool":
			got[key], _ = d.Bool(v, key)
		case "dur", "bad_dur", "worse_dur":
			got[key], _ = d.Duration(v, key)
		case "list", "one", "bad_list":
			got[key], _, _ = d.Strings(v, key)
		default:
			got[key], _ = d.Value(v, key)
		}
	})
	want := map[string]any{
		"str": "hello", "bad_str": "", "num": 42, "bad_int": 0, "flag": true, "bad_bool": false,
		"dur": 90 * time.Second, "bad_dur": time.Duration(0), "worse_dur": time.Duration(0),
		"list": []string{"a", "b"}, "one": []string{"solo"}, "bad_list": []string{"a"},
		"value": map[string]any{"k": []any{1, 2.5, true, nil, "x"}, "n": map[string]any{"deep": 1}},
		"inf":   nil, "dup": 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	wantProblems := []string{
		`7:10: bad_str: must be a string, not the number 1.10 (quote it)`,
		`8:11: bad_bool: must be true or false, not a string "yes"`,
		`9:10: bad_int: must be a whole number, not the number 4.5`,
		`10:10: bad_dur: must be a duration with a unit, such as 30s or 30m, not the bare number 30`,
		`11:12: worse_dur: must be a duration such as 30s, 5m or 1h30m, not a string "soon"`,
		`12:15: bad_list[1]: must be a string, not a list`,
		`14:6: inf: must be a finite number, not .inf`,
		`16:1: dup: duplicate key (first at line 15)`,
	}
	if diff := cmp.Diff(wantProblems, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestMappingKnownKeys(t *testing.T) {
	root, _ := yamlpos.Parse([]byte("name: x\nnmae: y\n? [a]\n: z\n<<: {a: 1}\n"))
	var problems []string
	d := yamlpos.NewDecoder(func(line, col int, msg string) {
		problems = append(problems, fmt.Sprintf("%d:%d: %s", line, col, msg))
	})
	var seen []string
	d.Mapping(root, "rule", []string{"name"}, func(key string, _, _ *yaml.Node) { seen = append(seen, key) })
	if diff := cmp.Diff([]string{"name"}, seen); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	want := []string{
		`2:1: rule: unknown field "nmae"; did you mean "name"?`,
		`3:3: rule: keys must be plain names, not a list`,
		`5:1: rule: merge keys (<<) are not supported; use defaults: or repeat the values`,
	}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestAliasBombs checks that Parse refuses documents whose aliases expand
// beyond MaxNodes or into themselves, before anything walks them.
func TestAliasBombs(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
			i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	tests := []struct{ src, want string }{
		{b.String(), "document too large: more than 250000 nodes once aliases are expanded"},
		{"a: &a [x, *a]\n", "line 1: alias *a refers to a node that contains it"},
		{"a: &a {b: {c: *a}}\n", "line 1: alias *a refers to a node that contains it"},
		{"a: &a [x, y]\nb: [*a, *a, *a]\n", ""},
		// Without aliases the tree is only counted: one node too many.
		{"[" + strings.Repeat("0,", yamlpos.MaxNodes-1) + "0]", "document too large: more than 250000 nodes once aliases are expanded"},
		{"[" + strings.Repeat("0,", yamlpos.MaxNodes-2) + "0]", ""},
	}
	for _, tt := range tests {
		_, err := yamlpos.Parse([]byte(tt.src))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Parse(%.40q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

// TestDecoderBudget checks the second guard: a Decoder handed a cyclic
// node (not from Parse) stops after a bounded walk and says so once.
func TestDecoderBudget(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte("&a [x, *a]"), &root); err != nil {
		t.Fatal(err)
	}
	n := 0
	d := yamlpos.NewDecoder(func(line, col int, msg string) { n++ })
	d.Value(root.Content[0], "")
	if !d.Exhausted() || n != 1 {
		t.Errorf("Exhausted = %v after %d problems; want the budget spent and reported once", d.Exhausted(), n)
	}
}

func TestLookup(t *testing.T) {
	root, _ := yamlpos.Parse([]byte("name: x\nn: 5\n"))
	if got := yamlpos.Name(root, "name"); got != "x" {
		t.Errorf("Name(name) = %q", got)
	}
	if got := yamlpos.Name(root, "n"); got != "" {
		t.Errorf("Name(n) = %q, want \"\" for a number", got)
	}
	if yamlpos.Lookup(root, "missing") != nil || yamlpos.Lookup(nil, "name") != nil {
		t.Error("Lookup found what is not there")
	}
}
