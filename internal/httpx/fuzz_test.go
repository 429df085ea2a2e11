package httpx

import (
	"net/http"
	"testing"
	"time"
)

// FuzzRetryAfter: any header value gives a non-negative wait or none, and
// never panics.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "3", "-1", "120", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "soon", " 5 "} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{"Retry-After": {v}}
		d, ok := RetryAfter(h, now)
		if d < 0 || !ok && d != 0 {
			t.Fatalf("RetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}
