// Package payloadtest holds the test helpers the webhook parsers' tests
// share: reading testdata files, seeding fuzz tests with them, and
// checking that an error is the exact *alexis.Error expected.
package payloadtest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/alexis-project/alexis"
)

// Read returns testdata/name.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Seeds adds every testdata/*.json file and the extra bodies to f's corpus.
func Seeds(f *testing.F, extra ...string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files in testdata: %v", err)
	}
	for _, p := range files {
		f.Add(Read(f, filepath.Base(p)))
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// CheckError fails t unless err is an *alexis.Error with the given code
// and exactly the message want.
func CheckError(t testing.TB, err error, code, want string) {
	t.Helper()
	var e *alexis.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %q is not *alexis.Error", err, err)
	}
	if e.Code != code {
		t.Errorf("code %q, want %q", e.Code, code)
	}
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
}

// Coded fails t unless err is an *alexis.Error with a code and a message:
// the only kind of error a parser may return.
func Coded(t testing.TB, err error) {
	t.Helper()
	var e *alexis.Error
	if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
		t.Fatalf("error %T %q is not a coded *alexis.Error", err, err)
	}
}

// Bench runs parse over testdata/file b.N times, reporting bytes/s. Call
// it with parse = Unmarshal for the baseline every parser's figure is
// compared with (decoding the same body into map[string]any).
func Bench(b *testing.B, file string, parse func([]byte) error) {
	body := Read(b, file)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// Unmarshal is the baseline of Bench: encoding/json into map[string]any.
func Unmarshal(body []byte) error {
	var v map[string]any
	return json.Unmarshal(body, &v)
}
