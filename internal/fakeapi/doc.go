// Package fakeapi is what the fake vendor APIs (internal/fakeopsgenie,
// internal/fakedynatrace) share: a Recorder of calls and contract
// violations with scripted failures, strict JSON decoding, and a test
// helper to send raw requests.
//
//	type Server struct {
//		fakeapi.Recorder
//		...
//	}
//	srv := fakeapi.Start(tb, "fakeopsgenie", &s.Recorder, s.handle)
package fakeapi
