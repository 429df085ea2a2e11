package opsgenie

import (
	"net/http"
	"testing"

	"github.com/alexis-project/alexis/internal/httpx"
)

// FuzzAPIError: any error response body becomes an *APIError with a
// message; nothing panics.
func FuzzAPIError(f *testing.F) {
	f.Add(401, []byte(`{"message":"Could not authenticate","took":0.0,"requestId":"r1"}`))
	f.Add(422, []byte(`{"message":"Request body is not processable","errors":{"message":"Message can not be empty."},"took":0.01,"requestId":"r2"}`))
	f.Add(404, []byte(`{"message":"Request not processed yet"}`))
	f.Add(500, []byte(`<html>oops</html>`))
	f.Add(429, []byte(`{"errors":"not a map"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := apiError(&httpx.Response{Status: status, Header: http.Header{}, Body: body}, "op")
		if e.Status != status || e.Error() == "" {
			t.Fatalf("apiError = %+v", e)
		}
		if e.Message == "" && http.StatusText(status) != "" {
			t.Fatalf("no message for %d: %+v", status, e)
		}
	})
}
