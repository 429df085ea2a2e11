package server

import "errors"

// defaults fills the parser and loader that were not given as options.
func (s *Server) defaults() error {
	if s.parse == nil {
		return errors.New("server: no parser: use WithParser")
	}
	if s.load == nil {
		return errors.New("server: no rule loader: use WithLoader")
	}
	return nil
}
