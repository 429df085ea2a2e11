package config

import (
	"fmt"
	"os"
	"strings"
)

// Secret is a credential read from an environment variable (Env) or a
// file (File, a trailing newline ignored), never written in the
// configuration. Load reads it; an empty Secret is allowed where a feature
// is optional.
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`

	value string
}

// Literal returns a Secret holding v, for programs that configure Alexis
// in Go.
func Literal(v string) Secret { return Secret{value: v} }

// Value returns the secret. It is never logged by Alexis.
func (s Secret) Value() string { return s.value }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s.value != "" }

// String hides the value, so that printing a Config shows no secret.
func (s Secret) String() string {
	switch {
	case s.Env != "":
		return "env:" + s.Env
	case s.File != "":
		return "file:" + s.File
	case s.value != "":
		return "(set)"
	}
	return "(unset)"
}

// resolve reads the secret. required makes an unset one an error.
func (s *Secret) resolve(required bool) error {
	switch {
	case s.Env != "" && s.File != "":
		return fmt.Errorf("set env or file, not both")
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return fmt.Errorf("environment variable %s is not set or empty", s.Env)
		}
		s.value = v
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return err
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return fmt.Errorf("file %s is empty", s.File)
		}
		s.value = v
	case required:
		return fmt.Errorf("set env or file")
	}
	return nil
}
