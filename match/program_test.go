package match

import (
	"regexp"
	"testing"

	"github.com/expr-lang/expr/vm"
)

// TestPatternsCompiledOnce inspects the bytecode: a constant pattern is a
// precompiled *regexp.Regexp constant used by OpMatchesConst, and OpMatches
// (which compiles its pattern on every evaluation) never appears, since a
// non-constant pattern is refused. A case-insensitive literal becomes an
// icontains call, with no regexp at all.
func TestPatternsCompiledOnce(t *testing.T) {
	tests := []struct {
		src     string
		regexps int
	}{
		{`message matches "GC (time|pause)" && description matches "^Long"`, 2},
		{`message matches "(?i)out of memory"`, 0},
		{`message matches "(?i:Out Of Memory)"`, 0},
		{`message matches "out of memory"`, 1}, // case-sensitive: a regexp
		{`any(tags, # matches "^team:")`, 1},
	}
	for _, tt := range tests {
		c, err := CompileCondition(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, k := range c.prog.Constants {
			if _, ok := k.(*regexp.Regexp); ok {
				n++
			}
		}
		if n != tt.regexps {
			t.Errorf("%s: %d precompiled regexps, want %d", tt.src, n, tt.regexps)
		}
		for _, op := range c.prog.Bytecode {
			if op == vm.OpMatches {
				t.Errorf("%s: bytecode has OpMatches, which compiles the pattern per evaluation", tt.src)
			}
		}
	}
}
