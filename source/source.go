package source

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/alertmanager"
	"github.com/alexis-project/alexis/dynatrace"
	"github.com/alexis-project/alexis/opsgenie"
)

// Names returns the names of the sources Parse accepts, in the order of
// alexis.Sources: opsgenie, dynatrace, alertmanager, generic.
func Names() []string {
	out := make([]string, len(alexis.Sources))
	for i, s := range alexis.Sources {
		out[i] = string(s)
	}
	return out
}

// Parse reads a body sent by src into its events, with the default
// options (OpsGenie echoes are recognized by opsgenie.DefaultUser). It is
// Parser{}.Parse.
func Parse(src alexis.Source, body []byte) ([]*alexis.Event, error) {
	return Parser{}.Parse(src, body)
}

// Parser dispatches bodies to the parser of their source. The zero value
// is ready to use.
type Parser struct {
	// OpsGenie are the options for opsgenie.Parse, such as
	// opsgenie.WithSelf(user).
	OpsGenie []opsgenie.ParseOption
}

// Parse reads a body sent by src: opsgenie.Parse and dynatrace.Parse give
// one event, alertmanager.Parse one per alert of the group, and generic
// (see ParseGeneric) one. An unknown src is an EINVALID error naming the
// known ones; a body the source's parser refuses gives that parser's error
// (EINVALID naming the field, or ETOOLARGE). Events come back with
// Received zero; some may have Ignore set (a Dynatrace test notification,
// an echo of Alexis' own OpsGenie call).
func (p Parser) Parse(src alexis.Source, body []byte) ([]*alexis.Event, error) {
	var (
		ev  *alexis.Event
		err error
	)
	switch src {
	case alexis.SourceOpsGenie:
		ev, err = opsgenie.Parse(body, p.OpsGenie...)
	case alexis.SourceDynatrace:
		ev, err = dynatrace.Parse(body)
	case alexis.SourceAlertmanager:
		return alertmanager.Parse(body)
	case alexis.SourceGeneric:
		ev, err = ParseGeneric(body)
	default:
		return nil, alexis.Errorf(alexis.EINVALID, "source %q: unknown, want one of %s", src, strings.Join(Names(), ", "))
	}
	if err != nil {
		return nil, err
	}
	return []*alexis.Event{ev}, nil
}

// Detect guesses the source of a body from its top-level keys, for tools
// that are handed a payload file without being told where it came from
// (the server knows the source from the URL and never guesses):
//
//   - opsgenie: "action" and "alert", or an Alert API answer ("data"
//     holding "tinyId", or "tinyId" at the top);
//   - alertmanager: "alerts" with "version", "groupKey" or "receiver";
//   - dynatrace: "PID", "ProblemID", "ProblemTitle", "ProblemDetailsJSON"
//     or "ProblemDetailsJSONv2";
//   - generic: anything else, including bodies that are not JSON objects
//     (Parse then says what is wrong with them).
func Detect(body []byte) alexis.Source {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return alexis.SourceGeneric
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("action") && has("alert"),
		has("tinyId"),
		has("data") && bytes.Contains(top["data"], []byte(`"tinyId"`)):
		return alexis.SourceOpsGenie
	case has("alerts") && (has("version") || has("groupKey") || has("receiver")):
		return alexis.SourceAlertmanager
	case has("PID") || has("ProblemID") || has("ProblemTitle") || has("ProblemDetailsJSON") || has("ProblemDetailsJSONv2"):
		return alexis.SourceDynatrace
	}
	return alexis.SourceGeneric
}
