package rule

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	alexis "github.com/alexis-project/alexis"
)

// Error is one problem in a rule file. Line and Col are 1-based; Col is 0
// when only the line is known, and both are 0 for problems with the whole
// file (it cannot be read). Rule is the name of the rule at fault, if any.
type Error struct {
	File string
	Line int
	Col  int
	Rule string
	Msg  string
}

// Error formats the problem as `file:line:col: rule "name": what`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Line > 0 && e.Col > 0:
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	case e.Line > 0:
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", e.Rule)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes every rule problem an alexis.EINVALID error, so that
// alexis.ErrorCode classifies a failed load as invalid input.
func (e *Error) Unwrap() error { return &alexis.Error{Code: alexis.EINVALID, Message: e.Msg} }

// Errors is every problem found in a load, in file order and, within a
// file, in position order. Loads return it as their error, so
//
//	var errs rule.Errors
//	if errors.As(err, &errs) { for _, e := range errs { ... } }
//
// gives each problem with its position.
type Errors []*Error

// Error lists the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.As and errors.Is.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// collector gathers the problems of one load.
type collector struct {
	errs Errors
}

func (c *collector) add(file string, line, col int, rule, msg string) {
	c.errs = append(c.errs, &Error{File: file, Line: line, Col: col, Rule: rule, Msg: msg})
}

// result sorts the problems by position within each file (files keep their
// load order), drops exact repeats (a bad default shared by several rules),
// and returns nil when there are none.
func (c *collector) result(files []string) error {
	if len(c.errs) == 0 {
		return nil
	}
	order := make(map[string]int, len(files))
	for i, f := range files {
		order[f] = i
	}
	slices.SortStableFunc(c.errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(order[a.File], order[b.File]), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	out := c.errs[:0]
	seen := make(map[Error]bool, len(c.errs))
	for _, e := range c.errs {
		if !seen[*e] {
			seen[*e] = true
			out = append(out, e)
		}
	}
	return out
}
