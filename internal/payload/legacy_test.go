package payload

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/payload/payloadtest/legacy"
)

// FuzzLegacy compares Parse and every accessor with the implementation
// they replaced (package legacy): the same bodies are refused with the
// same error, and on the others a sequence of accessor calls chosen by
// ops returns the same values and records the same first problem.
func FuzzLegacy(f *testing.F) {
	var files []string
	for _, dir := range []string{"opsgenie", "dynatrace", "alertmanager", "source"} {
		m, _ := filepath.Glob(filepath.Join("..", "..", dir, "testdata", "*.json"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		f.Fatal("no parser testdata found")
	}
	ops := [][]byte{{}, []byte("\x00\x10\x20\x30\x40\x50\x60\x70"), []byte("\x05\x15\x25\x35\x45\x04\x14\x06\x16\x03\x13"),
		[]byte("\x15\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"), []byte("\x25\x26\x27\x28\x29\x2a\x2b\x2c\x0d")}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, o := range ops {
			f.Add(b, o)
		}
	}
	for _, s := range []string{
		``, ` `, `[]`, `{`, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"b":1},{"c":1,"c":1}]}`,
		`{"a":"x","b":1,"c":1.5,"d":"12","e":[1],"f":["x",2],"g":{"h":1},"i":null,"j":true,"k":[],"l":{}}`,
		`{"a":["x\u00e9\n","y"],"b":{"k":"v","k2":null},"c":{"\u006b":"\ud83d"},"d":"","e":-9223372036854775809}`,
		`{"a":[[],{}],"b":[{"x":[{"y":{"z":[1,"2"]}}]}]}`, "{\"a\":\"\xff\"}", "\xef\xbb\xbf{}", `{"a":1}x`,
	} {
		for _, o := range ops {
			f.Add([]byte(s), o)
		}
	}
	f.Fuzz(func(t *testing.T, body, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		got, gerr := Parse(body)
		want, werr := legacy.Parse(body)
		sameErr(t, "Parse", gerr, werr)
		if werr != nil {
			return
		}
		type pair struct {
			got  Object
			want legacy.Object
		}
		stack := []pair{{got, want}}
		for _, op := range ops {
			cur := stack[len(stack)-1]
			g, w := cur.got, cur.want
			check := func(what string, gv, wv any) {
				t.Helper()
				if diff := cmp.Diff(wv, gv); diff != "" {
					t.Fatalf("%s at %q (-legacy +new):\n%s", what, w.Path, diff)
				}
			}
			check("Keys", g.Keys(), w.Keys)
			check("Path", g.Path(), w.Path)
			key := "absent"
			if n := len(w.Keys); n > 0 && op>>4 != 15 {
				key = w.Keys[int(op>>4)%n]
			}
			switch op & 15 {
			case 0:
				check("Str "+key, g.Str(key), w.Str(key))
			case 1:
				check("ReqStr "+key, g.ReqStr(key), w.ReqStr(key))
			case 2:
				gn, gok := g.Int64(key)
				wn, wok := w.Int64(key)
				check("Int64 "+key, [2]any{gn, gok}, [2]any{wn, wok})
			case 3:
				check("Strs "+key, g.Strs(key), w.Strs(key))
			case 4:
				check("StrMap "+key, g.StrMap(key), w.StrMap(key))
			case 5:
				gs, gok := g.Obj(key)
				ws, wok := w.Obj(key)
				check("Obj "+key, gok, wok)
				if gok {
					stack = append(stack, pair{gs, ws})
				}
			case 6, 7:
				gs, ws := g.Objs(key), w.Objs(key)
				check("len(Objs) "+key, len(gs), len(ws))
				if len(gs) > 0 {
					i := int(op>>4) % len(gs)
					stack = append(stack, pair{gs[i], ws[i]})
				}
			case 8:
				check("Raw "+key, []byte(g.Raw(key)), []byte(w.Raw(key)))
				check("Has "+key, g.Has(key), w.Has(key))
			case 9:
				check("Len", g.Len(), w.Len())
				check("Bytes", g.Bytes(), w.Bytes())
				check("Field "+key, g.Field(key), w.Field(key))
			case 10:
				g.Unknown(w.Keys[:len(w.Keys)/2]...)
				w.Unknown(w.Keys[:len(w.Keys)/2]...)
			case 11:
				p := w.Peek(key)
				check("Peek "+key, g.Peek(key), p)
				check("Is "+key, g.Is(key, p), true)
				check("Is "+key+" x", g.Is(key, p+"x"), false)
			case 12:
				check("View "+key, string(g.View(key)), w.Str(key))
			case 13:
				if len(stack) > 1 {
					stack = stack[:len(stack)-1]
				}
			}
			sameErr(t, fmt.Sprintf("after op %#x", op), got.Doc.Err(), want.Doc.Err())
		}
	})
}

// sameErr fails t unless got and want are both nil or both *alexis.Error
// with the same code and message.
func sameErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("%s: error %v, legacy %v", what, got, want)
	}
	if got == nil {
		return
	}
	var g, w *alexis.Error
	if !errors.As(got, &g) || !errors.As(want, &w) {
		t.Fatalf("%s: errors %T, %T", what, got, want)
	}
	if g.Code != w.Code || g.Message != w.Message {
		t.Fatalf("%s: error\n got %s: %s\nwant %s: %s", what, g.Code, g.Message, w.Code, w.Message)
	}
}
