package opsgenie

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/alexis-project/alexis/internal/httpx"
)

// APIError is an error answer of the OpsGenie API.
type APIError struct {
	// Op is the operation: "notes", "close", "get", "request status".
	Op     string
	Status int
	// Message is OpsGenie's message, or the status text.
	Message   string
	RequestID string
	// Errors maps a field to what is wrong with it (422).
	Errors map[string]string
	// ErrorType is the X-Opsgenie-Errortype header ("RequestNotProcessed").
	ErrorType string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "opsgenie: %s: %d %s", e.Op, e.Status, e.Message)
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "; %s: %s", k, e.Errors[k])
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// Retryable reports whether trying again later may succeed: 429 and 5xx
// other than 501. Client methods have already retried such errors within
// their bounds.
func (e *APIError) Retryable() bool { return httpx.Retryable(e.Status) }

// NotProcessed reports whether this is the request-status answer for a
// request that OpsGenie has not processed yet.
func (e *APIError) NotProcessed() bool {
	return e.Status == http.StatusNotFound && strings.EqualFold(e.ErrorType, "RequestNotProcessed")
}

// Unauthorized reports a bad or unauthorised API key.
func (e *APIError) Unauthorized() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

func apiError(resp *httpx.Response, op string) *APIError {
	e := &APIError{Op: op, Status: resp.Status, RequestID: resp.Header.Get("X-Request-ID"),
		ErrorType: resp.Header.Get("X-Opsgenie-Errortype")}
	var body struct {
		Message   string            `json:"message"`
		RequestID string            `json:"requestId"`
		Errors    map[string]string `json:"errors"`
	}
	if json.Unmarshal(resp.Body, &body) == nil {
		e.Message, e.Errors = body.Message, body.Errors
		if body.RequestID != "" {
			e.RequestID = body.RequestID
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.Status)
	}
	return e
}
