package dynatrace_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/alexis-project/alexis/dynatrace"
)

func ExampleClient_AddComment() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println(strings.TrimSpace(r.Method + " " + r.URL.RequestURI() + " " + string(body)))
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			io.WriteString(w, `{"comments":[{"id":"1","content":"Autoremediation Attempt 1\nrestarted","context":"Alexis"},{"id":"2","content":"on it","context":"INC-7"}],"totalCount":2,"pageSize":500}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"3"}`)
	}))
	defer srv.Close()

	c, err := dynatrace.NewClient(srv.URL, "dt0c01.token-from-env")
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	const pid = "-3791384261738475918_1715950860000V2"
	n, err := c.CountAttempts(ctx, pid)
	if err != nil {
		panic(err)
	}
	err = c.AddComment(ctx, pid, fmt.Sprintf("%s %d\nrestarted again", dynatrace.AttemptPrefix, n+1), "")
	fmt.Println(err)
	// Output:
	// GET /api/v2/problems/-3791384261738475918_1715950860000V2/comments?pageSize=500
	// POST /api/v2/problems/-3791384261738475918_1715950860000V2/comments {"message":"Autoremediation Attempt 2\nrestarted again","context":"Alexis"}
	// <nil>
}

func ExampleEntitySelector() {
	fmt.Println(dynatrace.EntitySelector("HOST-5D7E9A1B3C2F4E68"))
	// Output: entityId("HOST-5D7E9A1B3C2F4E68")
}
