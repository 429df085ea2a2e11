package rule_test

import (
	"strings"
	"testing"

	"github.com/alexis-project/alexis/action/builtin"
	"github.com/alexis-project/alexis/rule"
)

// A secret-named parameter may refer to a secret kept in the environment
// or a file (the http action resolves it when the request is made), but
// never hold one.
func TestSecretReferences(t *testing.T) {
	reg := builtin.Registry(builtin.Config{})
	file := func(auth string) []byte {
		return []byte(`rules:
  - name: reboot-via-itsm
    when: has_tag("host-hung")
    targets_from: details.host
    tasks:
      - action: http
        method: POST
        url: https://itsm.example.com/api/reboot/{{ .Target }}
        headers:
          Authorization: "` + auth + `"
          X-Api-Key: ${file:/run/secrets/itsm_key}
`)
	}
	for _, ok := range []string{"Bearer ${ITSM_TOKEN}", "${ITSM_TOKEN}", "Basic ${file:/run/secrets/basic}"} {
		if _, err := rule.Parse("itsm.yaml", file(ok), reg); err != nil {
			t.Errorf("Authorization %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"Bearer hunter2", "Bearer ${ITSM_TOKEN} hunter2", "hunter2${X}"} {
		_, err := rule.Parse("itsm.yaml", file(bad), reg)
		if err == nil || !strings.Contains(err.Error(), "itsm.yaml:10:11:") || !strings.Contains(err.Error(), "secrets must not be written") {
			t.Errorf("Authorization %q: %v, want the secrets error at 10:11", bad, err)
		}
	}
}
