// Package rules holds example rule files for Alexis, with their
// declarative tests (*_test.yaml) and the recorded payloads those use
// (testdata/). It has no Go API: its test runs the rule tests with the
// real action types, like `alexis test examples/rules` does.
//
//   - duplicator.yaml: the seed's duplicator scenarios from OpsGenie: a
//     tag subset and a regular expression; targets from the alert's
//     details.host_regex; an explicit target list.
//   - dynatrace.yaml: targets from a Dynatrace problem's impacted HOST
//     entities.
//   - alertmanager.yaml: targets from the Alertmanager instance label,
//     without its port.
package rules
