package ruletest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/yamlpos"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/source"
)

// testCase is one case of a test file, parsed and checked.
type testCase struct {
	file   string
	line   int
	name   string
	events []*alexis.Event
	expect expectation
}

type expectation struct {
	ignored  bool
	rules    []string
	targets  map[string][]string
	commands map[string][]string
	errors   map[string][]string
}

var (
	fileKeys   = []string{"tests"}
	caseKeys   = []string{"name", "payload", "body", "source", "event", "expect"}
	expectKeys = []string{"rules", "targets", "commands", "errors", "ignored"}
)

// errorList gathers the problems of the test files.
type errorList []*rule.Error

// sorted orders the problems by file, then position, as rule.Errors.
func (l errorList) sorted(files []string) error {
	slices.SortStableFunc(l, func(a, b *rule.Error) int {
		return cmp.Or(cmp.Compare(slices.Index(files, a.File), slices.Index(files, b.File)),
			cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return rule.Errors(l)
}

// fileParser reads one test file.
type fileParser struct {
	file string
	rs   *alexis.RuleSet
	d    *yamlpos.Decoder
	errs *errorList
	// at names the case being read, for messages.
	at string
}

func (p *fileParser) errorf(n *yaml.Node, path, format string, args ...any) {
	p.d.Errorf(n, path, format, args...)
}

func parseFile(file string, rs *alexis.RuleSet, errs *errorList) []*testCase {
	data, err := readLimited(file)
	if err != nil {
		*errs = append(*errs, &rule.Error{File: file, Msg: err.Error()})
		return nil
	}
	return parseData(file, data, rs, errs)
}

// parseData reads the cases of a test file's content. Payload files are
// named relative to file.
func parseData(file string, data []byte, rs *alexis.RuleSet, errs *errorList) []*testCase {
	p := &fileParser{file: file, rs: rs, errs: errs}
	p.d = yamlpos.NewDecoder(func(line, col int, msg string) {
		*errs = append(*errs, &rule.Error{File: file, Line: line, Col: col, Msg: p.at + msg})
	})
	root, err := yamlpos.Parse(data)
	if err != nil {
		se := err.(*yamlpos.SyntaxError)
		*errs = append(*errs, &rule.Error{File: file, Line: se.Line, Msg: "invalid YAML: " + se.Msg})
		return nil
	}
	if root == nil {
		p.errorf(nil, "", "empty test file: write tests: with at least one case")
		return nil
	}
	var cases []*testCase
	found := false
	p.d.Mapping(root, "", fileKeys, func(_ string, _, v *yaml.Node) {
		found = true
		if r := p.d.Resolve(v); r != nil && r.Kind == yaml.SequenceNode && len(r.Content) == 0 {
			p.errorf(r, "tests", "empty list: write at least one case")
		}
		names := map[string]int{}
		p.d.Sequence(v, "tests", func(i int, item *yaml.Node) {
			if tc := p.testCase(item, i); tc != nil {
				if first, dup := names[tc.name]; dup {
					p.at = ""
					p.errorf(item, yamlpos.Index("tests", i), "test %q already defined at line %d", tc.name, first)
					return
				}
				names[tc.name] = tc.line
				cases = append(cases, tc)
			}
		})
	})
	if !found && root.Kind == yaml.MappingNode {
		p.errorf(root, "", "no tests: a test file needs a tests: list")
	}
	if p.d.Exhausted() {
		return nil
	}
	return cases
}

func (p *fileParser) testCase(n *yaml.Node, i int) *testCase {
	n = p.d.Resolve(n)
	if n == nil {
		return nil
	}
	tc := &testCase{file: p.file, line: n.Line}
	p.at = fmt.Sprintf("tests[%d]: ", i)
	if name := yamlpos.Name(n, "name"); name != "" {
		p.at = fmt.Sprintf("test %q: ", name)
	}
	defer func() { p.at = "" }()
	var (
		payload, body, src *yaml.Node
		event              = -1
		eventNode          *yaml.Node
		haveExpect         bool
	)
	ok := p.d.Mapping(n, "", caseKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "name":
			tc.name, _ = p.d.String(v, key)
		case "payload":
			payload = v
		case "body":
			body = v
		case "source":
			src = v
		case "event":
			eventNode = v
			if x, good := p.d.Int(v, key); good {
				event = x
			}
		case "expect":
			haveExpect = true
			p.expectation(v, &tc.expect)
		}
	})
	if !ok {
		return nil
	}
	if tc.name == "" {
		p.errorf(n, "name", "required")
	}
	if !haveExpect {
		p.errorf(n, "expect", "required: what the plan must be (at least rules:)")
	}
	data := p.body(n, payload, body)
	if data == nil {
		return nil
	}
	s := p.source(src)
	evs, err := loadEvents(data, s)
	if err != nil {
		where := payload
		if where == nil {
			where = body
		}
		p.errorf(where, "", "the payload does not parse as %s: %v", orDetected(s), err)
		return nil
	}
	if eventNode != nil && event >= 0 {
		if event >= len(evs) {
			p.errorf(eventNode, "event", "the payload has %d events; event counts from 0", len(evs))
			return nil
		}
		evs = evs[event : event+1]
	} else if eventNode != nil && event < 0 {
		p.errorf(eventNode, "event", "must not be negative")
	}
	tc.events = evs
	return tc
}

func orDetected(s alexis.Source) string {
	if s == "" {
		return "the source it looks like"
	}
	return string(s)
}

// body returns the payload's bytes: the payload file or the inline body.
func (p *fileParser) body(n, payload, body *yaml.Node) []byte {
	switch {
	case payload != nil && body != nil:
		p.errorf(body, "body", "a test has either payload (a file) or body (inline), not both")
	case payload != nil:
		name, ok := p.d.String(payload, "payload")
		if !ok {
			return nil
		}
		data, err := readPayload(p.file, name)
		if err != nil {
			p.errorf(payload, "payload", "%v", err)
			return nil
		}
		return data
	case body != nil:
		s, ok := p.d.String(body, "body")
		if !ok {
			return nil
		}
		return []byte(s)
	default:
		p.errorf(n, "payload", "required: the file holding the webhook body, relative to this file (or body: inline)")
	}
	return nil
}

// source returns the case's source, "" when it is left to detection.
func (p *fileParser) source(n *yaml.Node) alexis.Source {
	if n == nil {
		return ""
	}
	s, ok := p.d.String(n, "source")
	if !ok {
		return ""
	}
	if !alexis.Source(s).Valid() {
		names := source.Names()
		p.errorf(n, "source", "unknown source %q%s (known: %s)", s, yamlpos.DidYouMean(s, names), strings.Join(names, ", "))
		return ""
	}
	return alexis.Source(s)
}

func (p *fileParser) expectation(n *yaml.Node, e *expectation) {
	haveRules := false
	p.d.Mapping(n, "expect", expectKeys, func(key string, _, v *yaml.Node) {
		path := "expect." + key
		switch key {
		case "rules":
			haveRules = true
			names, nodes, _ := p.d.Strings(v, path)
			for i, name := range names {
				p.ruleName(nodes[i], yamlpos.Index(path, i), name)
			}
			e.rules = names
		case "targets":
			e.targets = p.perRule(v, path)
		case "commands":
			e.commands = p.perRule(v, path)
		case "errors":
			e.errors = p.perRule(v, path)
		case "ignored":
			e.ignored, _ = p.d.Bool(v, path)
		}
	})
	if !haveRules {
		p.errorf(n, "expect.rules", "required: the rules that must match, in order ([] for none)")
	}
}

// perRule reads a mapping of rule names to lists of strings.
func (p *fileParser) perRule(n *yaml.Node, path string) map[string][]string {
	out := map[string][]string{}
	p.d.Mapping(n, path, nil, func(name string, k, v *yaml.Node) {
		p.ruleName(k, path, name)
		list, _, _ := p.d.Strings(v, yamlpos.Join(path, name))
		out[name] = list
	})
	return out
}

// ruleName checks that the rule set has a rule called name.
func (p *fileParser) ruleName(n *yaml.Node, path, name string) {
	if p.rs.Lookup(name) != nil {
		return
	}
	names := make([]string, len(p.rs.Rules))
	for i, r := range p.rs.Rules {
		names[i] = r.Name
	}
	p.errorf(n, path, "no rule is called %q%s", name, yamlpos.DidYouMean(name, names))
}
