package dynatrace

import (
	"testing"

	"github.com/alexis-project/alexis/internal/httpx"
)

// FuzzAPIError: any error response body becomes an *APIError; nothing panics.
func FuzzAPIError(f *testing.F) {
	f.Add(404, []byte(`{"error":{"code":404,"message":"The requested problem ID -1 does not exist."}}`))
	f.Add(400, []byte(`{"error":{"code":400,"message":"Constraints violated.","constraintViolations":[{"path":"message","message":"must not be null","parameterLocation":"PAYLOAD_BODY","location":null}]}}`))
	f.Add(429, []byte(``))
	f.Add(500, []byte(`{"error":"flat"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := apiError(&httpx.Response{Status: status, Body: body}, "op")
		if e.Status != status || e.Error() == "" {
			t.Fatalf("apiError = %+v", e)
		}
	})
}
