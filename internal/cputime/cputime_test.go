package cputime_test

import (
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/alexis-project/alexis/internal/cputime"
)

// Self grows while this process computes; Children grows once a child
// that computed was waited for.
func TestSelfAndChildren(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("not measured here")
	}
	s0 := cputime.Self()
	for x, end := 0, time.Now().Add(50*time.Millisecond); time.Now().Before(end); x++ {
		_ = x * x
	}
	if d := cputime.Self() - s0; d <= 0 {
		t.Errorf("Self grew by %v over 50 ms of computing", d)
	}
	c0 := cputime.Children()
	if err := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done").Run(); err != nil {
		t.Skip("no sh:", err)
	}
	if d := cputime.Children() - c0; d <= 0 {
		t.Errorf("Children grew by %v after a busy child", d)
	}
}
