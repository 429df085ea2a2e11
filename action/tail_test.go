package action

import (
	"strings"
	"sync"
	"testing"
)

func TestTailBuffer(t *testing.T) {
	tests := []struct {
		name    string
		max     int
		writes  []string
		kept    string
		dropped int64
		output  string
	}{
		{"fits", 8, []string{"abc", "def"}, "abcdef", 0, "abcdef"},
		{"exactly full", 6, []string{"abc", "def"}, "abcdef", 0, "abcdef"},
		{"overflow across writes", 4, []string{"abc", "def"}, "cdef", 2, "[2 bytes of output dropped]\ncdef"},
		{"one big write", 4, []string{"0123456789"}, "6789", 6, "[6 bytes of output dropped]\n6789"},
		{"big write after small", 4, []string{"ab", "0123456789"}, "6789", 8, "[8 bytes of output dropped]\n6789"},
		{"many small", 3, []string{"a", "b", "c", "d", "e"}, "cde", 2, "[2 bytes of output dropped]\ncde"},
		{"empty writes", 3, []string{"", "", "x"}, "x", 0, "x"},
		// "é" is two bytes; keeping 3 bytes of "éé" cuts the first one.
		{"utf8 cut", 3, []string{"éé"}, "\xa9é", 1, "[2 bytes of output dropped]\né"},
		{"default max", 0, []string{"x"}, "x", 0, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewTailBuffer(tt.max)
			for _, w := range tt.writes {
				n, err := b.Write([]byte(w))
				if n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got := b.String(); got != tt.kept {
				t.Errorf("String() = %q, want %q", got, tt.kept)
			}
			if got := b.Dropped(); got != tt.dropped {
				t.Errorf("Dropped() = %d, want %d", got, tt.dropped)
			}
			if got := b.Output(); got != tt.output {
				t.Errorf("Output() = %q, want %q", got, tt.output)
			}
		})
	}
}

func TestTailBufferConcurrent(t *testing.T) {
	b := NewTailBuffer(100)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				b.Write([]byte("0123456789"))
			}
		}()
	}
	wg.Wait()
	if got, want := b.String(), strings.Repeat("0123456789", 10); got != want {
		t.Errorf("kept %q, want %q", got, want)
	}
	if got := b.Dropped(); got != 8*100*10-100 {
		t.Errorf("dropped %d, want %d", got, 8*100*10-100)
	}
}

func BenchmarkTailBuffer(b *testing.B) {
	chunk := []byte(strings.Repeat("x", 32<<10))
	b.Run("tail-64KiB", func(b *testing.B) {
		b.SetBytes(int64(len(chunk)))
		t := NewTailBuffer(DefaultMaxOutput)
		for i := 0; i < b.N; i++ {
			t.Write(chunk)
		}
	})
	b.Run("baseline-discard-copy", func(b *testing.B) {
		b.SetBytes(int64(len(chunk)))
		dst := make([]byte, len(chunk))
		for i := 0; i < b.N; i++ {
			copy(dst, chunk)
		}
	})
}
