// Package payloadtest holds the test helpers the webhook parsers' tests
// share: reading testdata files, seeding fuzz tests with them, and
// checking that an error is the exact *alexis.Error expected.
package payloadtest

import (
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
