package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/alexis-project/alexis"
	"github.com/google/go-cmp/cmp"
)

// fill sets every field of v (a pointer), recursively, from seed strings:
// a field added to alexis.Event is filled too, so the comparison below
// fails until appendEventJSON writes it.
func fill(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.Pointer:
		fill(v.Elem(), s)
	case reflect.String:
		v.SetString(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 30, 2, 3, 4, 5006007, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).Name == "Raw" {
				continue // never part of the stored JSON
			}
			fill(v.Field(i), s+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		sl := reflect.MakeSlice(v.Type(), 3, 3)
		for i := range 3 {
			fill(sl.Index(i), s+string(rune('a'+i)))
		}
		v.Set(sl)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range []string{"z", "a", s} {
			val := reflect.New(v.Type().Elem()).Elem()
			fill(val, s+k)
			m.SetMapIndex(reflect.ValueOf(k), val)
		}
		v.Set(m)
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

func decode(t *testing.T, b []byte) alexis.Event {
	t.Helper()
	var ev alexis.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return ev
}

func TestEventJSONMatchesMarshal(t *testing.T) {
	for _, s := range []string{"plain", "quote\" back\\slash", "ctl\x00\x01\x1f\n\r\t", "utf8 é ☃ 𝄞 \u2028",
		"bad \xff\xfe utf8", "<html>&amp;"} {
		var ev alexis.Event
		fill(reflect.ValueOf(&ev), s)
		want, err := json.Marshal(&ev)
		if err != nil {
			t.Fatal(err)
		}
		got := appendEventJSON(nil, &ev)
		if d := cmp.Diff(decode(t, want), decode(t, got)); d != "" {
			t.Errorf("%q: decoded (-Marshal +ours):\n%s", s, d)
		}
	}
	// Empty fields are left out as json.Marshal leaves them out.
	ev := alexis.Event{Source: alexis.SourceGeneric, ID: "x", Received: time.Unix(0, 1).UTC(),
		Entities: []alexis.Entity{{}, {Type: "host"}}}
	want, _ := json.Marshal(&ev)
	if got := appendEventJSON(nil, &ev); string(got) != string(want) {
		t.Errorf("ours %s\nMarshal %s", got, want)
	}
}

func FuzzEventJSON(f *testing.F) {
	f.Add("id", "message", "key", "value", "tag")
	f.Add("\xff", "\x00\"\\", "\u2028", "é", "")
	f.Fuzz(func(t *testing.T, id, msg, k, v, tag string) {
		ev := alexis.Event{Source: alexis.SourceOpsGenie, ID: id, Message: msg, Tags: []string{tag},
			Details: map[string]string{k: v}, TagValues: map[string]string{v: k},
			Entities: []alexis.Entity{{Name: k, Type: v}}, Received: time.Unix(1, 2).UTC()}
		want, err := json.Marshal(&ev)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(decode(t, want), decode(t, appendEventJSON(nil, &ev))); d != "" {
			t.Errorf("decoded (-Marshal +ours):\n%s", d)
		}
	})
}

func BenchmarkEventJSON(b *testing.B) {
	var ev alexis.Event
	fill(reflect.ValueOf(&ev), "web-01.example.com disk 91%")
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(&ev)
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = appendEventJSON(buf[:0], &ev)
		}
	})
}

func TestRecordLen(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 70000} {
		p := &pending{key: "k", source: "opsgenie", event: make([]byte, n), body: make([]byte, n/2)}
		rec := appendRecord(nil, p.key, p.source, p.ignore, p.received, p.event, p.body)
		if got, want := p.recordLen(), len(rec)-recHeader; got != want {
			t.Errorf("fields of %d bytes: recordLen %d, record %d", n, got, want)
		}
	}
}
