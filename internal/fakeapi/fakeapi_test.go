package fakeapi

import (
	"net/http"
	"slices"
	"testing"
)

func TestRecorder(t *testing.T) {
	var rec Recorder
	rec.Fail(2, 429, "1")
	srv := Start(t, "fake", &rec, func(w http.ResponseWriter, r *http.Request, call *Call, body []byte) int {
		call.Op = "op"
		if f, ok := rec.NextFailure(); ok {
			w.Header().Set("Retry-After", f.RetryAfter)
			w.WriteHeader(f.Status)
			return f.Status
		}
		var v struct {
			A string `json:"a"`
		}
		if msg := Decode(body, &v, true); msg != "" {
			rec.Violation("bad body: %s", msg)
			w.WriteHeader(400)
			return 400
		}
		return 200
	})
	var got []int
	for _, body := range []string{`{"a":"x"}`, `{"a":"x"}`, `{"a":"x"}`, `{"b":1}`, ``} {
		st, _ := Send(t, "POST", srv.URL+"/p%2Fq?x=1", "application/json", "k", body)
		got = append(got, st)
	}
	if want := []int{429, 429, 200, 400, 400}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	calls := rec.CallsOf("op")
	if len(calls) != 5 || calls[0].RawPath != "/p%2Fq" || calls[0].Path != "/p/q" || calls[0].Query.Get("x") != "1" || calls[2].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
	if p := rec.Problems(); len(p) != 2 || rec.Problems() != nil {
		t.Errorf("problems = %v", p)
	}
	if msg := Decode([]byte(`{"a":"x"} {}`), &struct{ A string }{}, true); msg != "body: trailing data" {
		t.Errorf("trailing data: %q", msg)
	}
	if msg := Decode(nil, &struct{}{}, false); msg != "" {
		t.Errorf("optional empty body: %q", msg)
	}
}

func TestUpsert(t *testing.T) {
	type item struct{ id, v string }
	var list []*item
	for _, it := range []item{{"a", "1"}, {"b", "2"}, {"a", "3"}} {
		list = Upsert(list, &it, func(x *item) bool { return x.id == it.id })
	}
	if len(list) != 2 || *list[0] != (item{"a", "3"}) || *list[1] != (item{"b", "2"}) {
		t.Errorf("list %v %v", *list[0], list[1:])
	}
}
