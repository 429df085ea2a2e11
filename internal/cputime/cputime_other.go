//go:build !unix

// Package cputime reads the CPU time a process used so far; it is not
// measured on this system (0).
package cputime

import "time"

// Self returns 0: not measured here.
func Self() time.Duration { return 0 }

// Children returns 0: not measured here.
func Children() time.Duration { return 0 }
