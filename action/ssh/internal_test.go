package ssh

import (
	"strings"
	"testing"
)

func TestCRLFStripper(t *testing.T) {
	tests := []struct {
		writes []string
		want   string
	}{
		{[]string{"a\r\nb\r\n"}, "a\nb\n"},
		{[]string{"a\r", "\nb"}, "a\nb"},
		{[]string{"a\r", "b"}, "a\rb"},
		{[]string{"progress 10%\rprogress 20%\r\n"}, "progress 10%\rprogress 20%\n"},
		{[]string{"\r", "", "\n"}, "\n"},
		{[]string{"x\r\r\n"}, "x\r\n"},
		{[]string{"end\r"}, "end\r"}, // passed on by flush
	}
	for _, tt := range tests {
		var b strings.Builder
		w := &crlfStripper{w: &b}
		for _, s := range tt.writes {
			if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", s, n, err)
			}
		}
		w.flush()
		if b.String() != tt.want {
			t.Errorf("%q: got %q, want %q", tt.writes, b.String(), tt.want)
		}
	}
}

func TestHostPort(t *testing.T) {
	tests := []struct {
		target string
		port   int
		want   string
	}{
		{"web-01", 22, "web-01:22"},
		{"web-01", 2222, "web-01:2222"},
		{"web-01:2200", 2222, "web-01:2200"},
		{"10.0.0.5", 22, "10.0.0.5:22"},
		{"::1", 22, "[::1]:22"},
		{"[::1]:2200", 22, "[::1]:2200"},
	}
	for _, tt := range tests {
		if got := hostPort(tt.target, tt.port); got != tt.want {
			t.Errorf("hostPort(%q, %d) = %q, want %q", tt.target, tt.port, got, tt.want)
		}
	}
}

func TestJumpHostSyntax(t *testing.T) {
	tests := []struct {
		jump, user, addr, err string
	}{
		{jump: "bastion", user: "me", addr: "bastion:22"},
		{jump: "hop@bastion:2222", user: "hop", addr: "bastion:2222"},
		{jump: "@bastion", err: `"" is not a user name`},
		{jump: "-oProxyCommand=x", err: "not a hostname"},
		{jump: "a@b@c", err: "not a user name"},
	}
	for _, tt := range tests {
		user, addr, err := Config{JumpHost: tt.jump}.jump("me")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.jump, err, tt.err)
			}
			continue
		}
		if err != nil || user != tt.user || addr != tt.addr {
			t.Errorf("%q: got %q %q %v, want %q %q", tt.jump, user, addr, err, tt.user, tt.addr)
		}
	}
}

// FuzzCRLFStripper: however the output is cut into writes, the result is
// the same as stripping it whole.
func FuzzCRLFStripper(f *testing.F) {
	f.Add([]byte("a\r\nb\r\n"), uint8(1))
	f.Add([]byte("x\r\r\n\r"), uint8(2))
	f.Add([]byte("progress\rdone\r\n"), uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		want := strings.ReplaceAll(string(data), "\r\n", "\n")
		var b strings.Builder
		w := &crlfStripper{w: &b}
		n := max(1, int(chunk))
		for i := 0; i < len(data); i += n {
			w.Write(data[i:min(len(data), i+n)])
		}
		w.flush()
		if b.String() != want {
			t.Errorf("%q in writes of %d: got %q, want %q", data, n, b.String(), want)
		}
	})
}
