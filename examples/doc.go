// Package examples shows Alexis used three ways: rules with their
// declarative tests (rules/), a runnable server configuration
// (alexis.yaml), a Go program that embeds the library with a custom action
// and mounts the server's handler in its own mux (embed/), and a plain
// `go test` of rules (example_test.go), the few lines a team copies to test
// its own rules in CI.
package examples
