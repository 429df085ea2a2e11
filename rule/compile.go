package rule

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/yamlpos"
	"github.com/alexis-project/alexis/match"
)

// compiler turns the syntax of one file into compiled rules, reporting
// every problem it finds.
type compiler struct {
	file string
	src  *source
	sh   *shared
	errs *collector
}

// errorf reports a problem at node n within the rule at.
func (c *compiler) errorf(at ctx, n *yaml.Node, path, format string, args ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	c.errorAt(at, line, col, path, format, args...)
}

func (c *compiler) errorAt(at ctx, line, col int, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	c.errs.add(c.file, line, col, at.rule, at.prefix+msg)
}

// owner is the rule a merged value belongs to: none when it came from the
// file's defaults, whose problems are reported once, without a rule name.
func owner(at ctx, inherited bool) ctx {
	if inherited {
		return ctx{}
	}
	return at
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// compileFile checks the defaults once and compiles each rule; the rules
// it returns match f.rules one to one.
func (c *compiler) compileFile(f *fileSyntax) []*alexis.Rule {
	d := &f.defaults
	c.sources(ctx{}, d.sources)
	c.positive(ctx{}, d.timeout)
	c.positive(ctx{}, d.escalateAfter)
	c.reaction(ctx{}, d.onSuccess, reactionSyntax{})
	c.reaction(ctx{}, d.onFailure, reactionSyntax{})
	c.limitRanges(ctx{}, d.limits)
	out := make([]*alexis.Rule, 0, len(f.rules))
	for _, rs := range f.rules {
		out = append(out, c.compileRule(rs, d))
	}
	return out
}

func (c *compiler) compileRule(rs *ruleSyntax, d *defaultsSyntax) *alexis.Rule {
	at := ruleCtx(rs.node, rs.index)
	r := &alexis.Rule{
		Name:        rs.name.v,
		Description: rs.description.v,
		Version:     rs.version.v,
		Enabled:     !rs.enabled.set || rs.enabled.v,
		File:        c.file,
		Line:        rs.node.Line,
		DryRun:      rs.dryRun.or(d.dryRun).v,
	}
	switch {
	case rs.name.node == nil:
		c.errorf(at, rs.node, "name", "required")
	case rs.name.set && !validName.MatchString(rs.name.v):
		c.errorf(at, rs.name.node, "name", "%q must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", rs.name.v)
	}
	sources := rs.sources.or(d.sources)
	if !sources.inherited {
		c.sources(at, sources)
	}
	for _, s := range sources.v {
		r.Sources = append(r.Sources, alexis.Source(s))
	}
	c.when(at, rs, r)
	c.targets(at, rs, r)
	c.tasks(at, rs, d, r)
	r.OnSuccess = c.reaction(at, rs.onSuccess, d.onSuccess)
	r.OnFailure = c.reaction(at, rs.onFailure, d.onFailure)
	esc := rs.escalateAfter.or(d.escalateAfter)
	if !esc.inherited {
		c.positive(at, esc)
	}
	r.EscalateAfter = esc.v
	r.Limits = c.limits(at, rs.limits, d.limits)
	return r
}

// sources checks a sources list: known names, each once.
func (c *compiler) sources(at ctx, l list) {
	names := make([]string, len(alexis.Sources))
	for i, s := range alexis.Sources {
		names[i] = string(s)
	}
	seen := map[string]bool{}
	for i, s := range l.v {
		switch {
		case !alexis.Source(s).Valid():
			c.errorf(at, l.nodes[i], l.path, "unknown source %q%s (known: %s)", s, yamlpos.DidYouMean(s, names), strings.Join(names, ", "))
		case seen[s]:
			c.errorf(at, l.nodes[i], l.path, "source %q listed twice", s)
		}
		seen[s] = true
	}
	if l.set && len(l.v) == 0 {
		c.errorf(at, l.node, l.path, "empty list; leave sources out to accept every source")
	}
}

// when compiles the rule's condition.
func (c *compiler) when(at ctx, rs *ruleSyntax, r *alexis.Rule) {
	if !rs.when.set {
		return
	}
	r.WhenText = rs.when.v
	cond, err := c.sh.condition(rs.when.v)
	if err != nil {
		c.exprError(at, rs.when, err)
		return
	}
	r.When = cond
	r.Requires = cond.Requirements()
}

// exprError reports an expression that does not compile at the place in
// the file where the offending character was written.
func (c *compiler) exprError(at ctx, v val[string], err error) {
	var me *match.Error
	if errors.As(err, &me) {
		p := c.src.valuePos(v.node, me.Line, me.Column)
		msg := me.Msg
		if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
			msg += yamlpos.DidYouMean(name, match.EnvNames())
		}
		c.errorAt(at, p.line, p.col, v.path, "%s", msg)
		return
	}
	c.errorf(at, v.node, v.path, "%v", err)
}

// targets resolves targets or targets_from.
func (c *compiler) targets(at ctx, rs *ruleSyntax, r *alexis.Rule) {
	if rs.targets.node != nil && rs.targetsFrom.node != nil {
		c.errorf(at, rs.targetsFrom.node, "targets_from", "a rule has either targets or targets_from, not both")
		return
	}
	if rs.targetsFrom.set {
		sel, err := c.sh.targetsExpr(rs.targetsFrom.v)
		if err != nil {
			c.exprError(at, rs.targetsFrom, err)
			return
		}
		r.Targets = sel
		return
	}
	if !rs.targets.set {
		return
	}
	if len(rs.targets.v) == 0 {
		c.errorf(at, rs.targets.node, "targets", "empty list; name at least one host, or leave targets out for tasks that need none")
		return
	}
	seen := map[string]bool{}
	for i, t := range rs.targets.v {
		if err := alexis.ValidTarget(t); err != nil {
			c.errorf(at, rs.targets.nodes[i], yamlpos.Index("targets", i), "%v", err)
		} else if seen[t] {
			c.errorf(at, rs.targets.nodes[i], yamlpos.Index("targets", i), "target %q listed twice", t)
		}
		seen[t] = true
	}
	r.Targets = alexis.StaticTargets(rs.targets.v)
}

// tasks compiles the rule's tasks with the registry's action types.
func (c *compiler) tasks(at ctx, rs *ruleSyntax, d *defaultsSyntax, r *alexis.Rule) {
	switch n := rs.tasksNode; {
	case n == nil:
		c.errorf(at, rs.node, "tasks", "required: a rule needs at least one task")
		return
	case n.Kind == yaml.SequenceNode && len(n.Content) == 0:
		c.errorf(at, n, "tasks", "empty list: a rule needs at least one task")
		return
	}
	for _, ts := range rs.tasks {
		if t, ok := c.task(at, ts, d, r.Targets != nil || rs.targetsFrom.node != nil || rs.targets.node != nil); ok {
			r.Tasks = append(r.Tasks, t)
		}
	}
}

// reserved are the task keys that are not action parameters.
var reserved = []string{"action", "reason", "timeout", "delay_after", "continue_on_failure"}

func (c *compiler) task(at ctx, ts *taskSyntax, d *defaultsSyntax, hasTargets bool) (alexis.Task, bool) {
	t := alexis.Task{
		Action:            ts.action.v,
		Reason:            ts.reason.v,
		ContinueOnFailure: ts.continueOnFailure.v,
	}
	timeout := ts.timeout.or(d.timeout)
	if !timeout.inherited {
		c.positive(at, timeout)
	}
	t.Timeout = timeout.v
	if ts.delayAfter.set && ts.delayAfter.v < 0 {
		c.errorf(at, ts.delayAfter.node, ts.delayAfter.path, "must not be negative")
	}
	t.DelayAfter = ts.delayAfter.v
	if ts.action.node == nil {
		c.errorf(at, ts.node, yamlpos.Join(ts.path, "action"), "required: the action type to run (%s)", c.knownKinds())
		return t, false
	}
	if !ts.action.set {
		return t, false
	}
	kind, spec, ok := c.sh.lookup(ts.action.v)
	if !ok {
		names := c.kindNames()
		c.errorf(at, ts.action.node, ts.action.path, "unknown action type %q%s (%s)", ts.action.v, yamlpos.DidYouMean(ts.action.v, names), c.knownKinds())
		return t, false
	}
	if spec.NeedsTarget && !hasTargets {
		c.errorf(at, ts.action.node, ts.action.path, "action %q acts on a host: the rule needs targets or targets_from", spec.Name)
	}
	// A parameter holding a secret is refused and left out, so that the
	// action type still gets to report the other parameters' problems.
	t.Params = alexis.Params{}
	clean := true
	for _, p := range ts.params {
		switch {
		case !c.secrets(at, ts.path, p.key, p.value):
			clean = false
		case len(spec.Params) > 0 && isUnknownParam(spec, p.key.Value):
			// Reported here, all of them, rather than the first one by
			// the action type.
			c.unknownParam(at, ts, spec, p.key)
			clean = false
		default:
			t.Params[p.key.Value] = p.v
		}
	}
	run, err := c.sh.newAction(kind, spec.Name, t.Params)
	if err != nil {
		c.paramError(at, ts, spec, err)
		return t, false
	}
	t.Run = run
	return t, clean
}

// templateError reports err at the character of scalar n it points to when
// it is a positioned template error, and at n otherwise.
func (c *compiler) templateError(at ctx, n *yaml.Node, path string, err error) {
	if p, msg, ok := c.src.templatePos(n, err); ok {
		c.errorAt(at, p.line, p.col, path, "%s", msg)
		return
	}
	c.errorf(at, n, path, "%v", err)
}

// paramError reports an error from Kind.New at the parameter it names.
// Joined errors (errors.Join) are reported one by one.
func (c *compiler) paramError(at ctx, ts *taskSyntax, spec alexis.ActionSpec, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			c.paramError(at, ts, spec, e)
		}
		return
	}
	var pe *alexis.ParamError
	if !errors.As(err, &pe) {
		c.errorf(at, ts.action.node, ts.path, "action %q: %v", spec.Name, err)
		return
	}
	key := pe.Param
	if i := strings.IndexAny(key, ".["); i > 0 {
		key = key[:i]
	}
	path := yamlpos.Join(ts.path, pe.Param)
	for _, p := range ts.params {
		if p.key.Value != key {
			continue
		}
		if isUnknownParam(spec, key) {
			c.unknownParam(at, ts, spec, p.key)
			return
		}
		c.templateError(at, descend(p.value, pe.Param[len(key):]), path, pe.Err)
		return
	}
	c.errorf(at, ts.action.node, path, "%v", pe.Err)
}

// descend follows the rest of a parameter path (".name", "[2]", in any
// sequence) from n to the node it names, as far as it exists, so that an
// error about headers.Authorization or args[1] points at that value.
func descend(n *yaml.Node, rest string) *yaml.Node {
	for rest != "" && n != nil {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next *yaml.Node
		switch {
		case rest[0] == '.' && n.Kind == yaml.MappingNode:
			name := rest[1:]
			if i := strings.IndexAny(name, ".["); i >= 0 {
				name = name[:i]
			}
			rest = rest[1+len(name):]
			next = yamlpos.Lookup(n, name)
		case rest[0] == '[' && n.Kind == yaml.SequenceNode:
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return n
			}
			i, err := strconv.Atoi(rest[1:end])
			rest = rest[end+1:]
			if err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

func (c *compiler) unknownParam(at ctx, ts *taskSyntax, spec alexis.ActionSpec, key *yaml.Node) {
	known := append(specNames(spec), reserved...)
	c.errorf(at, key, ts.path, "unknown parameter %q of action %q%s", key.Value, spec.Name, yamlpos.DidYouMean(key.Value, known))
}

func isUnknownParam(spec alexis.ActionSpec, key string) bool {
	for _, p := range spec.Params {
		if p.Name == key {
			return false
		}
	}
	return true
}

func specNames(spec alexis.ActionSpec) []string {
	out := make([]string, len(spec.Params))
	for i, p := range spec.Params {
		out[i] = p.Name
	}
	return out
}

// knownKinds lists the registry's action types for messages.
func (c *compiler) knownKinds() string {
	names := c.kindNames()
	if len(names) == 0 {
		return "no action types are registered"
	}
	return "known: " + strings.Join(names, ", ")
}

func (c *compiler) kindNames() []string {
	var out []string
	for _, s := range c.sh.specs() {
		out = append(out, s.Name)
	}
	return out
}

// reaction merges a reaction with the file's default field by field and
// checks its templates.
func (c *compiler) reaction(at ctx, r, d reactionSyntax) alexis.Reaction {
	team, note, comment, esc := r.team.or(d.team), r.note.or(d.note), r.comment.or(d.comment), r.escalate.or(d.escalate)
	tags := r.tags.or(d.tags)
	for _, v := range []val[string]{note, comment} {
		if v.set && !v.inherited {
			if err := c.sh.writeback(v.path, v.v); err != nil {
				c.templateError(at, v.node, v.path, err)
			}
		}
	}
	if !tags.inherited {
		for i, t := range tags.v {
			if strings.TrimSpace(t) == "" {
				c.errorf(at, tags.nodes[i], yamlpos.Index(tags.path, i), "empty tag")
			}
		}
	}
	return alexis.Reaction{
		Team:        team.v,
		Note:        note.v,
		Comment:     comment.v,
		Close:       r.close.or(d.close).v,
		Acknowledge: r.acknowledge.or(d.acknowledge).v,
		Escalate:    esc.v,
		Tags:        tags.v,
	}
}

// limits merges the rule's limits with the file's defaults and checks that
// they make sense together.
func (c *compiler) limits(at ctx, l, d limitsSyntax) alexis.Limits {
	c.limitRanges(at, l)
	per, win, conc := l.perTarget.or(d.perTarget), l.window.or(d.window), l.concurrency.or(d.concurrency)
	switch {
	case per.set && per.v > 0 && !(win.set && win.v > 0):
		c.errorf(owner(at, per.inherited), per.node, per.path, "%d runs per target need a window (for example window: 1h)", per.v)
	case win.set && !win.inherited && per.node == nil:
		c.errorf(at, win.node, win.path, "a window without per_target limits nothing; add per_target")
	}
	return alexis.Limits{PerTarget: per.v, Window: win.v, Concurrency: conc.v}
}

func (c *compiler) limitRanges(at ctx, l limitsSyntax) {
	for _, v := range []val[int]{l.perTarget, l.concurrency} {
		if v.set && v.v < 1 {
			c.errorf(at, v.node, v.path, "must be at least 1 (leave it out for no limit), not %d", v.v)
		}
	}
	c.positive(at, l.window)
}

// positive checks that a duration, when given, is above zero.
func (c *compiler) positive(at ctx, v val[time.Duration]) {
	if v.set && v.v <= 0 {
		c.errorf(at, v.node, v.path, "must be above zero, not %s", v.v)
	}
}

// secretWords are parts of parameter names that hold secrets. Such values
// belong in files or the environment, never in rule files.
var secretWords = []string{"password", "passwd", "passphrase", "secret", "token", "private_key", "privatekey",
	"api_key", "apikey", "credential", "authorization"}

// secretSuffixes name a reference to a secret rather than the secret.
var secretSuffixes = []string{"_file", "_path", "_env", "_var"}

// isSecretName reports whether a parameter called name would hold a secret.
func isSecretName(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "-", "_"))
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// secrets refuses parameters (and keys of parameter maps, such as HTTP
// headers) whose names say they hold a secret. It reports whether there
// were none.
// secretRef is a value that only refers to a secret kept elsewhere, with
// an optional scheme word: "${ITSM_TOKEN}", "Bearer ${file:/run/secrets/t}".
var secretRef = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]* )?\$\{(file:/[^}]+|[A-Za-z_][A-Za-z0-9_]*)\}$`)

func (c *compiler) secrets(at ctx, path string, key, value *yaml.Node) bool {
	if isSecretName(key.Value) && value != nil && value.Kind == yaml.ScalarNode && secretRef.MatchString(value.Value) {
		return true // the secret itself is in the environment or a file
	}
	if isSecretName(key.Value) {
		c.errorf(at, key, yamlpos.Join(path, key.Value), "secrets must not be written in rule files; configure them from a file or an environment variable")
		return false
	}
	clean := true
	if value != nil && value.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(value.Content); i += 2 {
			clean = c.secrets(at, yamlpos.Join(path, key.Value), value.Content[i], value.Content[i+1]) && clean
		}
	}
	return clean
}
