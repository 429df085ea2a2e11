package action

import (
	"fmt"
	"sync"
	"unicode/utf8"
)

// DefaultMaxOutput is how many bytes of a task's output are kept when the
// task does not say (the last 64 KiB).
const DefaultMaxOutput = 64 << 10

// TailBuffer is an io.Writer that keeps the last Max bytes written to it
// and counts the bytes it dropped. It is safe for concurrent use, so one
// TailBuffer can take a program's standard output and standard error.
// The zero value keeps DefaultMaxOutput bytes.
type TailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped int64
}

// NewTailBuffer returns a TailBuffer keeping the last max bytes
// (DefaultMaxOutput when max <= 0).
func NewTailBuffer(max int) *TailBuffer { return &TailBuffer{max: max} }

func (b *TailBuffer) limit() int {
	if b.max <= 0 {
		return DefaultMaxOutput
	}
	return b.max
}

// Write keeps the tail of p; it never fails.
func (b *TailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	max := b.limit()
	n := len(p)
	if n >= max {
		b.dropped += int64(len(b.buf) + n - max)
		b.buf = append(b.buf[:0], p[n-max:]...)
		return n, nil
	}
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - max; over > 0 {
		b.dropped += int64(over)
		b.buf = b.buf[:copy(b.buf, b.buf[over:])]
	}
	return n, nil
}

// Bytes returns a copy of the kept bytes.
func (b *TailBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}

// String returns the kept bytes as they are.
func (b *TailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// Dropped returns how many bytes were written and not kept.
func (b *TailBuffer) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// Output returns the kept bytes for a Result: when bytes were dropped, a
// first line says how many, and a UTF-8 sequence cut at the start is
// dropped too.
func (b *TailBuffer) Output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped == 0 {
		return string(b.buf)
	}
	s := b.buf
	cut := 0
	for cut < len(s) && cut < utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return fmt.Sprintf("[%d bytes of output dropped]\n%s", b.dropped+int64(cut), s[cut:])
}
