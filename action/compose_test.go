package action

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	alexis "github.com/alexis-project/alexis"
)

// shellFragments are pieces of shell text, some with an interpolation in
// one quoting context or another, that TestShellComposed strings together.
var shellFragments = []string{
	`printf '%s' {{ .Message }}; `,
	`printf '%s' "{{ .Message }}"; `,
	`printf '%s' 'x{{ .Message }}'; `,
	`printf '%s' "$(printf '%s' {{ .Message }})"; `,
	`printf '%s' "$(printf '%s' '{{ .Message }}')"; `,
	`( printf '%s' {{ .Message }} ); `,
	`{ printf '%s' {{ .Message }}; }; `,
	`printf '%s' {{ .Message }} | cat; `,
	`if true; then printf '%s' {{ .Message }}; fi; `,
	`for i in 1; do printf '%s' "{{ .Message }}"; done; `,
	`case a in a) printf '%s' {{ .Message }};; esac; `,
	`v={{ .Message }}; printf '%s' "$v"; `,
	`cat <<< {{ .Message }}; `,
	`x=$((1+2)); `,
	`[ -n "$HOME" ] && `,
	`: "${HOME:-/}"; `,
	`: '#'; `,
	"true # comment\n",
	`: "$(echo ')')"; `,
	`: $'\t'; `,
	`: ${#HOME}; `,
	`: "it's"; `,
	`: 'say "hi"'; `,
	`: \"; `,
	`: $( (echo x) ); `,
	`{{ if .ID }}: 'a'; {{ else }}: "b"; {{ end }}`,
	`{{ range .Tags }}printf '%s' {{ . }}; {{ end }}`,
	`{{ with .Details.x }}: {{ . }}; {{ end }}`,
	// Halves that open or close a context across fragments.
	`: "a `, `b"; `, `: 'a `, `b'; `, `: "$(echo `, `)"; `, `echo {{ .Message }} `, `: ${x:-`, `}; `,
	"echo `", "`; ", `x=$(( 1 + `, `)); `, `[[ -n `, ` ]]; `,
	// Expansions and brace groups right before a value.
	`printf '%s' $HOME{{ .Message }}; `, `printf '%s' "${HOME}{{ .Message }}"; `, `echo {a,{{ .Message }}} `,
}

// TestShellComposed strings fragments together at random (a fixed seed),
// and runs every template that parses, with hostile values, through dash
// and bash in a temporary directory: none may create its file. Templates
// that are refused are fine; the point is that what is accepted is safe.
func TestShellComposed(t *testing.T) {
	shells := []string{lookSh(t)}
	if bash, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, bash)
	}
	msgs := []string{`x'; touch PWNED #`, `$(touch PWNED)`, "`touch PWNED`", "a\ntouch PWNED\n", `"; touch PWNED; "`, `a[$(touch PWNED)]`, `') ; touch PWNED ; ('`}
	rng := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	for n := 0; n < 50; n++ {
		var b strings.Builder
		for k := 1 + rng.IntN(3); k > 0; k-- {
			b.WriteString(shellFragments[rng.IntN(len(shellFragments))])
		}
		b.WriteString("true")
		text := b.String()
		tm, err := ParseTemplate("composed", text, Shell)
		if err != nil {
			continue
		}
		accepted++
		// One script per template: the rendered command for every value,
		// one after the other. If a file appears, find the culprit.
		cmds := make([]string, len(msgs))
		for i, msg := range msgs {
			ev := &alexis.Event{ID: "1", Message: msg, Tags: []string{msg, "b"}, Details: map[string]string{"x": msg}}
			if cmds[i], err = tm.Render(ev, "web-01"); err != nil {
				t.Fatalf("Render(%q): %v", text, err)
			}
		}
		for _, sh := range shells {
			if !ranValue(sh, t.TempDir(), strings.Join(cmds, "\n")) {
				continue
			}
			for i, cmd := range cmds {
				if ranValue(sh, t.TempDir(), cmd) {
					t.Errorf("%s: template %q with %q ran the value:\n%s", sh, text, msgs[i], cmd)
				}
			}
		}
	}
	t.Logf("%d of 50 composed templates accepted", accepted)
	if accepted < 20 {
		t.Errorf("only %d of 50 composed templates were accepted; the test proves little", accepted)
	}
}

// ranValue runs script with sh in dir and reports whether it created the
// file PWNED.
func ranValue(sh, dir, script string) bool {
	c := exec.Command(sh, "-c", script)
	c.Dir, c.Env = dir, []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	_ = c.Run() // the exit status does not matter here
	_, err := os.Stat(filepath.Join(dir, "PWNED"))
	return err == nil
}

// FuzzShellComposed is TestShellComposed for the fuzzer: the input picks
// up to six fragments (so only known shell text runs) and the value. Any
// template that parses must not run the value, in dash or bash.
func FuzzShellComposed(f *testing.F) {
	f.Add([]byte{0, 30, 31}, `x'; touch PWNED #`)
	f.Add([]byte{32, 36, 33}, `$(touch PWNED)`)
	f.Add([]byte{28, 11, 29}, "`touch PWNED`")
	f.Add([]byte{40, 3, 41}, `a[$(touch PWNED)]`)
	f.Add([]byte{0, 1}, `-rf`)
	shells := []string{lookSh(f)}
	if bash, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, bash)
	}
	f.Fuzz(func(t *testing.T, picks []byte, msg string) {
		if len(picks) == 0 || len(picks) > 6 || strings.IndexByte(msg, 0) >= 0 {
			return
		}
		var b strings.Builder
		for _, p := range picks {
			b.WriteString(shellFragments[int(p)%len(shellFragments)])
		}
		b.WriteString("true")
		tm, err := ParseTemplate("composed", b.String(), Shell)
		if err != nil {
			return
		}
		msg += "; touch PWNED"
		cmd, err := tm.Render(&alexis.Event{ID: "1", Message: msg, Tags: []string{msg}, Details: map[string]string{"x": msg}}, "")
		if err != nil && strings.HasPrefix(msg, "-") && strings.Contains(err.Error(), "would be read as an option") {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range shells {
			if ranValue(sh, t.TempDir(), cmd) {
				t.Fatalf("%s: template %q ran the value:\n%s", sh, b.String(), cmd)
			}
		}
	})
}

// wordParts are pieces of one shell word: expansions that may come out
// empty or split the word ($D is empty, $E is "a ", "$@" is one empty
// word), quotes, bash brace groups, literal text and values.
var wordParts = []string{
	`$D`, `${D}`, `$E`, `${E}`, `"$E"`, `$(true)`, `"$(true)"`, "`true`", `$(echo $E)`,
	`$@`, `"$@"`, `$''`, `$""`, `$((0))`, `''`, `""`, `"x"`, `x`, `/`, `~`,
	`{,`, `{x,`, `,`, `}`, `{{ .Message }}`, `{{ .Details.a }}`, `"{{ .Message }}"`,
	`'{{ .Message }}'`, `"${D}{{ .Message }}"`, `"$(true){{ .Message }}"`,
	`{{ if .ID }}x{{ end }}`, `{{ if .ID }}$D{{ end }}`,
}

// TestOptionComposed strings word parts together at random (a fixed
// seed) into one argument of printf and runs every template that parses
// through dash and bash, with the value "--version" and every other value
// empty: if it renders, no word printed may start with the value.
func TestOptionComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rendered := 0
	for n := 0; n < 300; n++ {
		picks := make([]byte, 1+rng.IntN(5))
		for i := range picks {
			picks[i] = byte(rng.IntN(len(wordParts)))
		}
		if checkOptionWord(t, picks) {
			rendered++
		}
	}
	t.Logf("%d of 300 words rendered with --version", rendered)
	if rendered < 30 {
		t.Errorf("only %d of 300 words rendered; the test proves little", rendered)
	}
}

// FuzzOptionComposed is TestOptionComposed for the fuzzer: the input
// picks up to eight word parts.
func FuzzOptionComposed(f *testing.F) {
	f.Add([]byte{0, 24})
	f.Add([]byte{20, 21, 3, 23, 24})
	f.Add([]byte{10, 25, 24})
	f.Fuzz(func(t *testing.T, picks []byte) {
		if len(picks) == 0 || len(picks) > 8 {
			return
		}
		checkOptionWord(t, picks)
	})
}

// checkOptionWord builds the word from picks and, if the template parses
// and renders with the value "--version", runs it with dash and bash:
// no printed word may start with the value. It reports whether the
// template rendered.
func checkOptionWord(t *testing.T, picks []byte) bool {
	t.Helper()
	var b strings.Builder
	b.WriteString(`D=; E='a '; set -- ''; printf '[%s]' `)
	for _, p := range picks {
		b.WriteString(wordParts[int(p)%len(wordParts)])
	}
	text := b.String()
	tm, err := ParseTemplate("word", text, Shell)
	if err != nil {
		return false
	}
	cmd, err := tm.Render(&alexis.Event{ID: "1", Message: "--version", Details: map[string]string{"a": ""}}, "")
	if err != nil {
		if !strings.Contains(err.Error(), "would be read as an option") {
			t.Fatalf("Render(%q): %v", text, err)
		}
		return false
	}
	shells := []string{lookSh(t)}
	if bash, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, bash)
	}
	for _, sh := range shells {
		c := exec.Command(sh, "-c", cmd)
		c.Dir, c.Env = t.TempDir(), []string{"PATH=/usr/bin:/bin", "HOME=/home/x"}
		out, _ := c.Output() // a syntax error prints nothing: fine
		if strings.Contains(string(out), "[--version") {
			t.Errorf("%s: template %q gave %q, which printed %q: the value starts a word", sh, text, cmd, out)
		}
	}
	return true
}
