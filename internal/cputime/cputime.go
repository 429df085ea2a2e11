//go:build unix

// Package cputime reads the CPU time (user and system) a process used so
// far, for benchmarks on a shared machine, where wall time alone says
// little.
package cputime

import (
	"syscall"
	"time"
)

// Self returns the CPU time this process used so far (0 if unknown).
func Self() time.Duration { return usage(syscall.RUSAGE_SELF) }

// Children returns the CPU time of this process's children it waited for.
func Children() time.Duration { return usage(syscall.RUSAGE_CHILDREN) }

func usage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
