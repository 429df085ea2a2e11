package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/alexis-project/alexis/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// Load reads, checks and completes the configuration file at path: unknown
// keys, wrong types and invalid values are errors of the form
// "path:line:col: key: what" (all of them at once, joined); defaults are
// filled in; token and API key secrets are read from their environment
// variables or files. Relative paths in the file are relative to the
// working directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Load for data already read; name is used in messages.
func Parse(name string, data []byte) (*Config, error) {
	root, err := yamlpos.Parse(data)
	if err != nil {
		var se *yamlpos.SyntaxError
		if errors.As(err, &se) && se.Line > 0 {
			return nil, fmt.Errorf("%s:%d: %s", name, se.Line, se.Msg)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var l list
	l.name = name
	pos := map[string]*yaml.Node{}
	cfg := &Config{}
	if root != nil {
		if root.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s:%d:%d: the configuration must be a mapping of keys", name, root.Line, root.Column)
		}
		checkKeys(&l, root, reflect.TypeOf(Config{}), "", pos)
		if err := root.Decode(cfg); err != nil {
			l.decodeError(err)
		}
		if len(l.errs) > 0 {
			return nil, l.err()
		}
	}
	cfg.applyDefaults()
	for _, p := range cfg.validate() {
		l.at(pos, p.path, p.msg)
	}
	for i := range cfg.Auth.Tokens {
		t := &cfg.Auth.Tokens[i]
		if t.Env == "" && t.File == "" {
			continue // reported by validate
		}
		if err := t.resolve(true); err != nil {
			l.at(pos, fmt.Sprintf("auth.tokens[%d]", i), fmt.Sprintf("token %q: %v", t.Name, err))
		}
	}
	for _, s := range []struct {
		path string
		sec  *Secret
	}{{"opsgenie.api_key", &cfg.OpsGenie.APIKey}, {"dynatrace.token", &cfg.Dynatrace.Token}} {
		if err := s.sec.resolve(false); err != nil {
			l.at(pos, s.path, err.Error())
		}
	}
	if len(l.errs) > 0 {
		return nil, l.err()
	}
	return cfg, nil
}

// list collects located problems.
type list struct {
	name string
	errs []located
}

type located struct {
	line, col int
	msg       string
}

func (l *list) add(line, col int, msg string) { l.errs = append(l.errs, located{line, col, msg}) }

// at reports msg at the key path, or at its nearest parent that the file
// wrote, or without a position.
func (l *list) at(pos map[string]*yaml.Node, path, msg string) {
	msg = path + ": " + msg
	for p := path; p != ""; p = parent(p) {
		if n, ok := pos[p]; ok {
			l.add(n.Line, n.Column, msg)
			return
		}
	}
	l.add(0, 0, msg)
}

func parent(p string) string {
	if i := strings.LastIndexAny(p, ".["); i >= 0 {
		return p[:i]
	}
	return ""
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

func (l *list) decodeError(err error) {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, e := range msgs {
		if m := yamlLine.FindStringSubmatch(e); m != nil {
			n, _ := strconv.Atoi(m[1])
			l.add(n, 0, m[2])
			continue
		}
		l.add(0, 0, e)
	}
}

func (l *list) err() error {
	sort.SliceStable(l.errs, func(i, j int) bool {
		a, b := l.errs[i], l.errs[j]
		return a.line < b.line || a.line == b.line && a.col < b.col
	})
	errs := make([]error, len(l.errs))
	for i, e := range l.errs {
		switch {
		case e.line > 0 && e.col > 0:
			errs[i] = fmt.Errorf("%s:%d:%d: %s", l.name, e.line, e.col, e.msg)
		case e.line > 0:
			errs[i] = fmt.Errorf("%s:%d: %s", l.name, e.line, e.msg)
		default:
			errs[i] = fmt.Errorf("%s: %s", l.name, e.msg)
		}
	}
	return errors.Join(errs...)
}

var unmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// checkKeys reports every mapping key that no field of t takes, and records
// where each known key stands.
func checkKeys(l *list, n *yaml.Node, t reflect.Type, path string, pos map[string]*yaml.Node) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil || reflect.PointerTo(t).Implements(unmarshaler) {
		return
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				where := "the configuration"
				if path != "" {
					where = path
				}
				l.add(k.Line, k.Column, fmt.Sprintf("unknown key %q in %s%s", k.Value, where, yamlpos.DidYouMean(k.Value, keys(fields))))
				continue
			}
			pos[p] = k
			checkKeys(l, v, ft, p, pos)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			pos[p] = item
			checkKeys(l, item, t.Elem(), p, pos)
		}
	}
}

// yamlFields maps the YAML keys of struct t to their types, inline fields
// included.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" {
			for k, v := range yamlFields(f.Type) {
				m[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

func keys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
