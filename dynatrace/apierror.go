package dynatrace

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/alexis-project/alexis/internal/httpx"
)

// APIError is an error answer of the Dynatrace API:
// {"error":{"code":404,"message":"...","constraintViolations":[...]}}.
type APIError struct {
	Op      string
	Status  int
	Message string
	// Violations name the fields at fault (400).
	Violations []Violation
}

// Violation is one constraint violation of a request.
type Violation struct {
	Path              string `json:"path"`
	Message           string `json:"message"`
	ParameterLocation string `json:"parameterLocation"`
	Location          string `json:"location"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dynatrace: %s: %d %s", e.Op, e.Status, e.Message)
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "; %s: %s", v.Path, v.Message)
	}
	return b.String()
}

// Retryable reports whether trying again later may succeed: 429 and 5xx
// other than 501. Client methods have already retried such errors within
// their bounds.
func (e *APIError) Retryable() bool { return httpx.Retryable(e.Status) }

// Unauthorized reports a bad token or a token without the needed scope.
func (e *APIError) Unauthorized() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// NotFound reports an unknown problem.
func (e *APIError) NotFound() bool { return e.Status == http.StatusNotFound }

func apiError(resp *httpx.Response, op string) *APIError {
	e := &APIError{Op: op, Status: resp.Status}
	var body struct {
		Error struct {
			Code                 int         `json:"code"`
			Message              string      `json:"message"`
			ConstraintViolations []Violation `json:"constraintViolations"`
		} `json:"error"`
	}
	if json.Unmarshal(resp.Body, &body) == nil {
		e.Message, e.Violations = body.Error.Message, body.Error.ConstraintViolations
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.Status)
	}
	return e
}
