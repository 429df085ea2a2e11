package alexis

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ValidTarget checks that t is a hostname or an IP address, optionally with
// a port ("web-01", "web-01.example.com:2222", "10.0.0.5", "[::1]:22").
// Anything else, such as spaces, shell metacharacters or a leading '-',
// is refused, so an alert can never smuggle options into ssh or a shell.
func ValidTarget(t string) error {
	if t == "" {
		return fmt.Errorf("target is empty")
	}
	if len(t) > 260 {
		return fmt.Errorf("target is longer than 260 characters")
	}
	host := t
	if h, p, err := net.SplitHostPort(t); err == nil {
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > 65535 {
			return fmt.Errorf("target %q: port must be a number from 1 to 65535", t)
		}
		host = h
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	if !validHostname(host) {
		return fmt.Errorf("target %q is not a hostname or an IP address", t)
	}
	return nil
}

func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
