package rule

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/alexis-project/alexis/internal/yamlpos"
)

// This file holds the rule file as written: plain values with the positions
// they were written at, before any validation beyond YAML types. compile.go
// turns them into alexis.Rule values.

// val is one scalar field as written. node locates its value for messages
// and is nil when the field was left out; set is true when the value was
// present and of the right type.
type val[T any] struct {
	v    T
	set  bool
	node *yaml.Node
	path string // "tasks[0].timeout", for messages
	// inherited is true when the value came from the file's defaults.
	inherited bool
}

// or returns x when x is set and d otherwise, marking d as inherited.
func (x val[T]) or(d val[T]) val[T] {
	if x.node != nil || !d.set {
		return x
	}
	d.inherited = true
	return d
}

// list is a list of strings as written, with each item's node.
type list struct {
	v     []string
	nodes []*yaml.Node
	set   bool
	node  *yaml.Node
	path  string
	// inherited is true when the list came from the file's defaults.
	inherited bool
}

// or returns l when l was written and d otherwise, marking d as inherited.
func (l list) or(d list) list {
	if l.node != nil || !d.set {
		return l
	}
	d.inherited = true
	return d
}

type fileSyntax struct {
	defaults defaultsSyntax
	rules    []*ruleSyntax
}

type defaultsSyntax struct {
	sources       list
	timeout       val[time.Duration]
	onSuccess     reactionSyntax
	onFailure     reactionSyntax
	escalateAfter val[time.Duration]
	limits        limitsSyntax
	dryRun        val[bool]
}

type ruleSyntax struct {
	node          *yaml.Node // the rule's mapping
	index         int        // position in the file's rules list
	name          val[string]
	description   val[string]
	version       val[string]
	enabled       val[bool]
	sources       list
	when          val[string]
	targets       list
	targetsFrom   val[string]
	tasks         []*taskSyntax
	tasksNode     *yaml.Node // the tasks list, nil when left out
	onSuccess     reactionSyntax
	onFailure     reactionSyntax
	escalateAfter val[time.Duration]
	limits        limitsSyntax
	dryRun        val[bool]
}

type taskSyntax struct {
	node              *yaml.Node
	path              string // "tasks[0]"
	action            val[string]
	reason            val[string]
	timeout           val[time.Duration]
	delayAfter        val[time.Duration]
	continueOnFailure val[bool]
	params            []paramSyntax
}

// paramSyntax is one action parameter: a key that is not reserved.
type paramSyntax struct {
	key   *yaml.Node
	value *yaml.Node
	v     any
}

type reactionSyntax struct {
	team, note, comment, escalate val[string]
	close, acknowledge            val[bool]
	tags                          list
}

type limitsSyntax struct {
	perTarget   val[int]
	window      val[time.Duration]
	concurrency val[int]
}

// The keys each mapping accepts, in the order the documentation gives them.
var (
	fileKeys     = []string{"defaults", "rules"}
	defaultsKeys = []string{"sources", "timeout", "on_success", "on_failure", "escalate_after", "limits", "dry_run"}
	ruleKeys     = []string{"name", "description", "version", "enabled", "sources", "when", "targets",
		"targets_from", "tasks", "on_success", "on_failure", "escalate_after", "limits", "dry_run"}
	taskKeys     = []string{"action", "reason", "timeout", "delay_after", "continue_on_failure"}
	reactionKeys = []string{"team", "note", "comment", "close", "acknowledge", "escalate", "tags"}
	limitsKeys   = []string{"per_target", "window", "concurrency"}
)

// parser turns YAML nodes into the syntax structs, reporting type errors.
type parser struct {
	d  *yamlpos.Decoder
	sh *shared // the registry, for hints about misplaced task parameters
	// at is the rule being parsed, for messages.
	at ctx
}

// ctx says which rule a problem belongs to: its name, or when it has none
// (yet), a prefix giving its place in the file.
type ctx struct {
	rule   string
	prefix string
}

// ruleCtx names the rule at index i of a file from its mapping n, before
// the mapping is decoded, so that every problem in it carries the name.
func ruleCtx(n *yaml.Node, i int) ctx {
	if name := yamlpos.Name(n, "name"); name != "" {
		return ctx{rule: name}
	}
	return ctx{prefix: fmt.Sprintf("rules[%d]: ", i)}
}

func (p *parser) file(root *yaml.Node) *fileSyntax {
	f := &fileSyntax{}
	if root.Kind == yaml.SequenceNode {
		p.d.Errorf(root, "", "the top level must be a mapping with a rules: list (and optionally defaults:); put this list under rules:")
		return f
	}
	haveRules := false
	p.d.Mapping(root, "", nil, func(key string, k, v *yaml.Node) {
		switch key {
		case "defaults":
			p.defaults(v, &f.defaults)
		case "rules":
			haveRules = true
			p.d.Sequence(v, "rules", func(i int, item *yaml.Node) {
				if r := p.rule(item, i); r != nil {
					f.rules = append(f.rules, r)
				}
			})
		default:
			// Keys starting with x- are free: a place for YAML anchors.
			if !strings.HasPrefix(key, "x-") {
				p.d.Errorf(k, "", "unknown field %q%s", key, yamlpos.DidYouMean(key, fileKeys))
			}
		}
	})
	if !haveRules && root.Kind == yaml.MappingNode {
		p.d.Errorf(root, "", "no rules: a rule file needs a rules: list")
	}
	return f
}

func (p *parser) defaults(n *yaml.Node, d *defaultsSyntax) {
	p.d.Mapping(n, "defaults", defaultsKeys, func(key string, _, v *yaml.Node) {
		path := "defaults." + key
		switch key {
		case "sources":
			d.sources = p.list(v, path)
		case "timeout":
			d.timeout = p.duration(v, path)
		case "on_success":
			d.onSuccess = p.reaction(v, path)
		case "on_failure":
			d.onFailure = p.reaction(v, path)
		case "escalate_after":
			d.escalateAfter = p.duration(v, path)
		case "limits":
			d.limits = p.limits(v, path)
		case "dry_run":
			d.dryRun = p.bool(v, path)
		}
	})
}

func (p *parser) rule(n *yaml.Node, index int) *ruleSyntax {
	r := &ruleSyntax{node: p.d.Resolve(n), index: index}
	if r.node == nil {
		return nil
	}
	p.at = ruleCtx(r.node, index)
	defer func() { p.at = ctx{} }()
	ok := p.d.Mapping(r.node, "", nil, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			r.name = p.str(v, key)
		case "description":
			r.description = p.str(v, key)
		case "version":
			r.version = p.text(v, key)
		case "enabled":
			r.enabled = p.bool(v, key)
		case "sources":
			r.sources = p.list(v, key)
		case "when":
			r.when = p.text(v, key)
		case "targets":
			r.targets = p.list(v, key)
		case "targets_from":
			r.targetsFrom = p.text(v, key)
		case "tasks":
			r.tasksNode = p.d.Resolve(v)
			p.d.Sequence(v, key, func(i int, item *yaml.Node) {
				if t := p.task(item, yamlpos.Index(key, i)); t != nil {
					r.tasks = append(r.tasks, t)
				}
			})
		case "on_success":
			r.onSuccess = p.reaction(v, key)
		case "on_failure":
			r.onFailure = p.reaction(v, key)
		case "escalate_after":
			r.escalateAfter = p.duration(v, key)
		case "limits":
			r.limits = p.limits(v, key)
		case "dry_run":
			r.dryRun = p.bool(v, key)
		default:
			p.unknownRuleKey(k)
		}
	})
	if !ok {
		return nil
	}
	return r
}

// unknownRuleKey reports an unknown key of a rule. A task's key written at
// the rule's level gets a hint to move it under tasks.
func (p *parser) unknownRuleKey(k *yaml.Node) {
	if contains(taskKeys, k.Value) || p.isParam(k.Value) {
		p.d.Errorf(k, "", "unknown field %q; it belongs to a task: indent it under tasks: as part of a list item", k.Value)
		return
	}
	p.d.Errorf(k, "", "unknown field %q%s", k.Value, yamlpos.DidYouMean(k.Value, ruleKeys))
}

// isParam reports whether some action type has a parameter called name.
func (p *parser) isParam(name string) bool {
	for _, s := range p.sh.specs() {
		for _, ps := range s.Params {
			if ps.Name == name {
				return true
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) task(n *yaml.Node, path string) *taskSyntax {
	t := &taskSyntax{node: p.d.Resolve(n), path: path}
	if t.node == nil {
		return nil
	}
	ok := p.d.Mapping(t.node, path, nil, func(key string, k, v *yaml.Node) {
		fp := yamlpos.Join(path, key)
		switch key {
		case "action":
			t.action = p.str(v, fp)
		case "reason":
			t.reason = p.str(v, fp)
		case "timeout":
			t.timeout = p.duration(v, fp)
		case "delay_after":
			t.delayAfter = p.duration(v, fp)
		case "continue_on_failure":
			t.continueOnFailure = p.bool(v, fp)
		default:
			x, good := p.d.Value(v, fp)
			if good {
				t.params = append(t.params, paramSyntax{key: k, value: p.d.Resolve(v), v: x})
			}
		}
	})
	if !ok {
		return nil
	}
	return t
}

func (p *parser) reaction(n *yaml.Node, path string) reactionSyntax {
	var r reactionSyntax
	p.d.Mapping(n, path, reactionKeys, func(key string, _, v *yaml.Node) {
		fp := yamlpos.Join(path, key)
		switch key {
		case "team":
			r.team = p.str(v, fp)
		case "note":
			r.note = p.str(v, fp)
		case "comment":
			r.comment = p.str(v, fp)
		case "escalate":
			r.escalate = p.str(v, fp)
		case "close":
			r.close = p.bool(v, fp)
		case "acknowledge":
			r.acknowledge = p.bool(v, fp)
		case "tags":
			r.tags = p.list(v, fp)
		}
	})
	return r
}

func (p *parser) limits(n *yaml.Node, path string) limitsSyntax {
	var l limitsSyntax
	p.d.Mapping(n, path, limitsKeys, func(key string, _, v *yaml.Node) {
		fp := yamlpos.Join(path, key)
		switch key {
		case "per_target":
			l.perTarget = p.int(v, fp)
		case "window":
			l.window = p.duration(v, fp)
		case "concurrency":
			l.concurrency = p.int(v, fp)
		}
	})
	return l
}

func (p *parser) str(n *yaml.Node, path string) val[string] {
	s, ok := p.d.String(n, path)
	return val[string]{v: s, set: ok, node: p.d.Resolve(n), path: path}
}

func (p *parser) text(n *yaml.Node, path string) val[string] {
	s, ok := p.d.Text(n, path)
	return val[string]{v: s, set: ok, node: p.d.Resolve(n), path: path}
}

func (p *parser) bool(n *yaml.Node, path string) val[bool] {
	b, ok := p.d.Bool(n, path)
	return val[bool]{v: b, set: ok, node: p.d.Resolve(n), path: path}
}

func (p *parser) int(n *yaml.Node, path string) val[int] {
	i, ok := p.d.Int(n, path)
	return val[int]{v: i, set: ok, node: p.d.Resolve(n), path: path}
}

func (p *parser) duration(n *yaml.Node, path string) val[time.Duration] {
	x, ok := p.d.Duration(n, path)
	return val[time.Duration]{v: x, set: ok, node: p.d.Resolve(n), path: path}
}

func (p *parser) list(n *yaml.Node, path string) list {
	v, nodes, ok := p.d.Strings(n, path)
	return list{v: v, nodes: nodes, set: ok, node: p.d.Resolve(n), path: path}
}
