package rule

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.yaml.in/yaml/v3"

	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/yamlpos"
	"github.com/alexis-project/alexis/match"
)

// MaxFileSize bounds the size of one rule file.
const MaxFileSize = 4 << 20

// input is one file to load: the name used in messages and in
// RuleSet.Files, the name that enters the hash, and its content.
type input struct {
	name string
	hash string
	data []byte
	// failed is true when the file could not be read (already reported).
	failed bool
}

// Parse compiles the rules of one file's content; name is used in messages
// and as the file's name in the set. The set's Prepare is match.Prepare.
// A nil registry has no action types.
func Parse(name string, data []byte, reg *alexis.Registry) (*alexis.RuleSet, error) {
	return load(reg, []input{{name: name, hash: name, data: data}}, nil)
}

// LoadFiles reads and compiles the given files, in the given order. Every
// problem of every file is reported at once, as Errors.
func LoadFiles(reg *alexis.Registry, files ...string) (*alexis.RuleSet, error) {
	var c collector
	in := readAll(files, func(f string) string { return f }, &c)
	return load(reg, in, &c)
}

// LoadDir loads every rule file under dir: see ListDir for which files, in
// which order. The set's Hash covers the files' paths relative to dir and
// their contents, so it does not change when the directory moves.
func LoadDir(dir string, reg *alexis.Registry) (*alexis.RuleSet, error) {
	files, _, err := ListDir(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, alexis.Errorf(alexis.EINVALID, "rule: no rule files (*.yaml, *.yml, *.json) in %s", dir)
	}
	var c collector
	in := readAll(files, func(f string) string { return rel(dir, f) }, &c)
	return load(reg, in, &c)
}

// readAll reads files, reporting those it cannot read; hashName gives the
// name under which a file enters the set's hash.
func readAll(files []string, hashName func(string) string, c *collector) []input {
	in := make([]input, 0, len(files))
	for _, f := range files {
		data, err := readFile(f)
		if err != nil {
			c.add(f, 0, 0, "", err.Error())
		}
		in = append(in, input{name: f, hash: hashName(f), data: data, failed: err != nil})
	}
	return in
}

func readFile(name string) ([]byte, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("file is %d bytes; a rule file may have at most %d", st.Size(), MaxFileSize)
	}
	return os.ReadFile(name)
}

// ListDir finds the rule files and the rule test files under dir,
// recursively. Rule files end in .yaml, .yml or .json; test files end in
// _test.yaml or _test.yml (package ruletest runs them). Names starting with
// '.' or '_' and directories called testdata (where tests keep their
// payloads) are skipped. Both lists are sorted by their path relative to
// dir, compared as slash-separated strings: this is the order in which
// rules are tried.
func ListDir(dir string) (rules, tests []string, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && name == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(name, "_test.yaml"), strings.HasSuffix(name, "_test.yml"):
			tests = append(tests, p)
		case path.Ext(name) == ".yaml", path.Ext(name) == ".yml", path.Ext(name) == ".json":
			rules = append(rules, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("rule: %w", err)
	}
	byRel := func(l []string) {
		sort.Slice(l, func(i, j int) bool { return rel(dir, l[i]) < rel(dir, l[j]) })
	}
	byRel(rules)
	byRel(tests)
	return rules, tests, nil
}

func rel(dir, p string) string {
	r, err := filepath.Rel(dir, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}

// load compiles the inputs into one set. c may already hold read errors.
//
// Files are parsed and compiled in parallel, on up to GOMAXPROCS
// goroutines, each into a collector of its own; the rules and problems are
// then assembled in file order, exactly as one goroutine would have found
// them.
func load(reg *alexis.Registry, in []input, c *collector) (*alexis.RuleSet, error) {
	if c == nil {
		c = &collector{}
	}
	sh := newShared(reg)
	results := make([]fileResult, len(in))
	each(len(in), func(i int) {
		if !in[i].failed {
			results[i] = parseFile(in[i], sh)
		}
	})
	var (
		rules []*alexis.Rule
		names []*yaml.Node
		files []string
	)
	for i, f := range in {
		files = append(files, f.name)
		rules = append(rules, results[i].rules...)
		names = append(names, results[i].names...)
		c.errs = append(c.errs, results[i].errs.errs...)
	}
	duplicates(rules, names, c)
	if err := c.result(files); err != nil {
		return nil, err
	}
	return &alexis.RuleSet{Rules: rules, Prepare: match.Prepare, Hash: hash(in), Files: files}, nil
}

// each calls f(0) ... f(n-1) on up to GOMAXPROCS goroutines and returns
// when all have returned. A panic in f is raised again in the caller.
func each(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		panicMu sync.Mutex
		caught  any
	)
	for range workers {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					panicMu.Lock()
					if caught == nil {
						caught = p
					}
					panicMu.Unlock()
				}
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
	if caught != nil {
		panic(caught)
	}
}

// fileResult is what one file gave: its rules, for each the node of its
// name, and its problems.
type fileResult struct {
	rules []*alexis.Rule
	names []*yaml.Node
	errs  collector
}

// parseFile parses and compiles one file.
func parseFile(f input, sh *shared) (out fileResult) {
	c := &out.errs
	if len(f.data) > MaxFileSize {
		c.add(f.name, 0, 0, "", fmt.Sprintf("file is %d bytes; a rule file may have at most %d", len(f.data), MaxFileSize))
		return out
	}
	root, err := yamlpos.Parse(f.data)
	if err != nil {
		se := err.(*yamlpos.SyntaxError)
		c.add(f.name, se.Line, 0, "", "invalid YAML: "+se.Msg)
		return out
	}
	if root == nil {
		return out // an empty file holds no rules
	}
	p := &parser{sh: sh}
	p.d = yamlpos.NewDecoder(func(line, col int, msg string) {
		c.add(f.name, line, col, p.at.rule, p.at.prefix+msg)
	})
	syn := p.file(root)
	if p.d.Exhausted() {
		return out
	}
	comp := &compiler{file: f.name, src: newSource(f.data), sh: sh, errs: c}
	out.rules = comp.compileFile(syn)
	out.names = make([]*yaml.Node, len(syn.rules))
	for i, r := range syn.rules {
		out.names[i] = r.name.node
	}
	return out
}

// duplicates reports every rule whose name an earlier rule already has.
func duplicates(rules []*alexis.Rule, names []*yaml.Node, c *collector) {
	first := map[string]int{}
	for i, r := range rules {
		if r.Name == "" || names[i] == nil {
			continue
		}
		j, dup := first[r.Name]
		if !dup {
			first[r.Name] = i
			continue
		}
		prev := rules[j]
		c.add(r.File, names[i].Line, names[i].Column, r.Name,
			fmt.Sprintf("name: duplicate rule name; also defined at %s:%d:%d", prev.File, names[j].Line, names[j].Column))
	}
}

// hash is the sha256 of every file's name and content, in load order, each
// preceded by its length so that no two sets of files hash alike.
func hash(in []input) string {
	h := sha256.New()
	for _, f := range in {
		h.Write([]byte(strconv.Itoa(len(f.hash)) + ":" + f.hash + strconv.Itoa(len(f.data)) + ":"))
		h.Write(f.data)
	}
	return hex.EncodeToString(h.Sum(nil))
}
