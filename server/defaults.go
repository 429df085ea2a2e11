package server

import (
	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/opsgenie"
	"github.com/alexis-project/alexis/rule"
	"github.com/alexis-project/alexis/source"
)

// WithRegistry sets the action types the default rule loader accepts
// (default: builtin.Registry with the configured ssh defaults).
func WithRegistry(reg *alexis.Registry) Option { return func(s *Server) { s.registry = reg } }

// defaults fills what the options left unset from the configuration: the
// action registry, the parser (OpsGenie echoes of cfg.OpsGenie.User are
// ignored), the rule loader, and the notifiers of the configured
// OpsGenie and Dynatrace write-back (none when their key is unset).
func (s *Server) defaults() error {
	if s.registry == nil {
		sshCfg := s.cfg.SSH.Config()
		sshCfg.Logger = s.base
		s.registry = builtin.Registry(builtin.Config{SSH: sshCfg})
	}
	if s.parse == nil {
		p := source.Parser{OpsGenie: []opsgenie.ParseOption{opsgenie.WithSelf(s.cfg.OpsGenie.User)}}
		s.parse = p.Parse
	}
	if s.load == nil {
		reg := s.registry
		s.load = func(dir string) (*alexis.RuleSet, error) { return rule.LoadDir(dir, reg) }
	}
	if s.notifiers != nil {
		return nil
	}
	// The Dynatrace client comes first: when both are configured, the
	// OpsGenie notes number their attempts from the problem's
	// "Autoremediation Attempt N" comments, as the Dynatrace comments do,
	// and that count survives restarts.
	var dtc *dynatrace.Client
	if dt := s.cfg.Dynatrace; dt.Token.IsSet() {
		c, err := dynatrace.NewClient(dt.URL, dt.Token.Value(), dynatrace.WithLogger(s.base))
		if err != nil {
			return err
		}
		dtc = c
	}
	if og := s.cfg.OpsGenie; og.APIKey.IsSet() {
		opts := []opsgenie.ClientOption{opsgenie.WithUser(og.User), opsgenie.WithLogger(s.base)}
		if og.URL != "" {
			opts = append(opts, opsgenie.WithBaseURL(og.URL))
		}
		c, err := opsgenie.NewClient(og.APIKey.Value(), opts...)
		if err != nil {
			return err
		}
		nopts := []opsgenie.NotifierOption{opsgenie.WithRemediationTeam(s.cfg.Queues.Remediation),
			opsgenie.WithInvestigationTeam(s.cfg.Queues.Investigation), opsgenie.WithNotifyLogger(s.base),
			opsgenie.WithEscalationStore(storedEscalations{s})}
		if dtc != nil {
			nopts = append(nopts, opsgenie.WithAttemptCounter(dynatrace.AttemptCounter(dtc, "")))
		}
		n := opsgenie.NewNotifier(c, nopts...)
		s.ogNotifier = n
		s.notifiers = append(s.notifiers, n)
		s.closers = append(s.closers, n.Close)
	}
	if dtc != nil {
		s.notifiers = append(s.notifiers, dynatrace.NewNotifier(dtc, dynatrace.WithNotifyLogger(s.base)))
	}
	return nil
}

// ActionRegistry returns the action registry of the default rule loader.
func (s *Server) ActionRegistry() *alexis.Registry { return s.registry }
