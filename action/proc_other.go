//go:build !unix

package action

import "os/exec"

// ownProcessGroup does nothing where there are no process groups:
// cancelling kills the program itself only.
func ownProcessGroup(*exec.Cmd) {}

func killProcessGroup(int) {}
