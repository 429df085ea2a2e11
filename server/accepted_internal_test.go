package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/alexis-project/alexis"
)

// The hand-written answer is what encoding/json writes, byte for byte
// once both decode, for receipts with hostile keys (alert IDs come from
// the sender).
func TestAppendAcceptedMatchesMarshal(t *testing.T) {
	// appendAccepted writes these fields: one added to Receipt must be
	// added there too (and here).
	var fields []string
	rt := reflect.TypeFor[alexis.Receipt]()
	for i := range rt.NumField() {
		fields = append(fields, rt.Field(i).Tag.Get("json"))
	}
	if got, want := strings.Join(fields, " "), "id key status duplicate,omitempty ignored,omitempty"; got != want {
		t.Fatalf("alexis.Receipt's fields are %q; appendAccepted writes %q", got, want)
	}
	cases := []Accepted{
		{ID: 1, Events: []alexis.Receipt{{ID: 1, Key: "opsgenie/abc/Create", Status: "queued"}}},
		{ID: -7, Events: []alexis.Receipt{
			{ID: 9, Key: "a\"b\\c\n\t\r\x00\x1f<>&\u2028\u2029é🙂", Status: "done", Duplicate: true},
			{ID: 1 << 62, Key: "bad \xff\xfe utf8 \xe2\x82", Status: "ignored", Ignored: "test notification \"x\""},
		}},
		{ID: 0, Events: []alexis.Receipt{}},
		{ID: 3},
	}
	for _, a := range cases {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(a); err != nil {
			t.Fatal(err)
		}
		got := appendAccepted(nil, a)
		if !json.Valid(got) || got[len(got)-1] != '\n' {
			t.Fatalf("not one JSON value and a newline: %q", got)
		}
		// Same value (encoding/json escapes <, > and & and the line
		// separators; both are the same JSON).
		var w, g any
		if err := json.Unmarshal(want.Bytes(), &w); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatal(err)
		}
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		if !bytes.Equal(wj, gj) {
			t.Errorf("appendAccepted(%+v)\n got %s\nwant %s", a, got, want.Bytes())
		}
	}
}

func FuzzAppendAccepted(f *testing.F) {
	f.Add(int64(1), "opsgenie/abc/Create", "queued", false, "")
	f.Add(int64(-1), "\xff\"\\\n", "ignored", true, "x\x00")
	f.Fuzz(func(t *testing.T, id int64, key, status string, dup bool, ignored string) {
		a := Accepted{ID: id, Events: []alexis.Receipt{{ID: id, Key: key, Status: status, Duplicate: dup, Ignored: ignored}}}
		want, _ := json.Marshal(a)
		var w, g Accepted
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(appendAccepted(nil, a), &g); err != nil {
			t.Fatalf("%q: %v", appendAccepted(nil, a), err)
		}
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		if !bytes.Equal(wj, gj) {
			t.Errorf("got %s, want %s", gj, wj)
		}
	})
}
