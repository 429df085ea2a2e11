package config_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alexis-project/alexis/config"
	"github.com/google/go-cmp/cmp"
)

func TestLoadFull(t *testing.T) {
	t.Setenv("ALEXIS_TEST_TOKEN_OG", "og-secret")
	t.Setenv("ALEXIS_TEST_OG_KEY", "genie-key")
	c, err := config.Load("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"opsgenie": "og-secret", "dt": "dt-secret"}, c.TokenValues()); d != "" {
		t.Errorf("tokens (-want +got):\n%s", d)
	}
	got := []any{c.Listen, c.Rules, c.DBPath(), c.DryRun, c.Workers, *c.IntakePriority, int64(c.BodyLimit), c.ShutdownTimeout, c.ReloadDebounce,
		c.Log.Format, c.Log.Level, c.Auth.Header, *c.Auth.QueryToken, *c.Auth.OpenHealth, c.Auth.OpenMetrics,
		c.Queues.Investigation, c.OpsGenie.APIKey.Value(), c.OpsGenie.User, c.Dynatrace.Token.IsSet(),
		c.SSH.Config().Port, c.SSH.Config().MaxOutput, c.SSH.Config().ConnectTimeout}
	want := []any{"127.0.0.1:9090", "rules.d", "/var/lib/alexis/alexis.db", true, 8, 250 * time.Millisecond, int64(512 << 10), time.Minute, 200 * time.Millisecond,
		"json", "debug", "X-Alexis-Token", false, false, true,
		"ops_unix", "genie-key", "alexis", false,
		2222, 16 << 10, 5 * time.Second}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}
	if s := c.OpsGenie.APIKey.String(); strings.Contains(s, "genie-key") {
		t.Errorf("Secret.String leaks the value: %s", s)
	}
}

func TestDefaults(t *testing.T) {
	c, err := config.Parse("min.yaml", []byte("rules: rules\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.Listen, c.DataDir, c.Workers, *c.IntakePriority, int64(c.BodyLimit), c.ShutdownTimeout, c.Log.Format, c.Log.Level,
		*c.Auth.QueryToken, *c.Auth.OpenHealth, c.Auth.OpenMetrics, c.TLS.Enabled()}
	want := []any{"127.0.0.1:8080", "data", 16, time.Second, int64(1 << 20), 30 * time.Second, "text", "info", true, true, false, false}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
}

// intake_priority: 0s turns the intake's priority off; it is not taken
// for unset.
func TestIntakePriorityOff(t *testing.T) {
	c, err := config.Parse("c.yaml", []byte("rules: r\nintake_priority: 0s\n"))
	if err != nil || *c.IntakePriority != 0 {
		t.Fatalf("intake_priority: 0s gave %v, %v", *c.IntakePriority, err)
	}
}

func TestErrors(t *testing.T) {
	t.Setenv("ALEXIS_TEST_EMPTY", "")
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top key", "rules: r\nlisten: 127.0.0.1:1\nlistne: x\n",
			`c.yaml:3:1: unknown key "listne" in the configuration; did you mean "listen"?`},
		{"unknown nested key", "rules: r\nauth:\n  tokens:\n    - name: a\n      evn: X\n",
			`c.yaml:5:7: unknown key "evn" in auth.tokens[0]; did you mean "env"?`},
		{"inline secret in place of env", "rules: r\nopsgenie:\n  api_key: abc123\n",
			`c.yaml:3: cannot unmarshal !!str ` + "`abc123`" + ` into config.Secret`},
		{"wrong type", "rules: r\nworkers: many\n",
			"c.yaml:2: cannot unmarshal !!str `many` into int"},
		{"bad size", "rules: r\nbody_limit: 1 furlong\n",
			`c.yaml:2: invalid size "1 furlong": unknown unit "furlong"`},
		{"no rules", "listen: 127.0.0.1:1\n", "c.yaml: rules: the rules directory is required"},
		{"bad values", "rules: r\nworkers: -1\nlog: {format: xml}\nbody_limit: 100MiB\nintake_priority: 2m\n", strings.Join([]string{
			"c.yaml:2:1: workers: must be from 1 to 1024, not -1",
			"c.yaml:3:7: log.format: must be text or json, not \"xml\"",
			"c.yaml:4:1: body_limit: must be from 1KiB to 64MiB, not 104857600 bytes",
			"c.yaml:5:1: intake_priority: must be from 0s to 1m0s, not 2m0s"}, "\n")},
		{"negative intake priority", "rules: r\nintake_priority: -1s\n", "c.yaml:2:1: intake_priority: must be from 0s to 1m0s, not -1s"},
		{"open listen without tokens", "rules: r\nlisten: 0.0.0.0:8080\n",
			`c.yaml: auth.tokens: no tokens configured: refusing to listen on "0.0.0.0:8080", which is not a loopback address, without authentication`},
		{"token from missing env", "rules: r\nauth:\n  tokens: [{name: og, env: ALEXIS_TEST_EMPTY}]\n",
			`c.yaml:3:12: auth.tokens[0]: token "og": environment variable ALEXIS_TEST_EMPTY is not set or empty`},
		{"token without source", "rules: r\nauth:\n  tokens: [{name: og}, {name: og, file: /nonexistent/tok}]\n", strings.Join([]string{
			"c.yaml:3:12: auth.tokens[0]: set env or file",
			"c.yaml:3:24: auth.tokens[1]: token \"og\": open /nonexistent/tok: no such file or directory",
			"c.yaml:3:25: auth.tokens[1].name: token name \"og\" used twice"}, "\n")},
		{"tls half", "rules: r\ntls: {cert: /nonexistent.pem}\n", strings.Join([]string{
			"c.yaml:2:1: tls: set both cert and key, or neither",
			"c.yaml:2:7: tls.cert: stat /nonexistent.pem: no such file or directory"}, "\n")},
		{"syntax", "rules: [r\n", "c.yaml:1: did not find expected ',' or ']'"},
		{"not a mapping", "- a\n", "c.yaml:1:1: the configuration must be a mapping of keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("c.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			if d := cmp.Diff(tt.want, err.Error()); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]config.ByteSize{"1MiB": 1 << 20, "512KiB": 512 << 10, "2MB": 2e6, "1048576": 1 << 20, "10 B": 10} {
		got, err := config.ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1KiB", "1.5MiB", "99999999999GiB"} {
		if _, err := config.ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) did not fail", in)
		}
	}
	if s := config.ByteSize(1 << 20).String(); s != "1MiB" {
		t.Errorf("String = %s", s)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	c, err := config.Load("../examples/alexis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.DryRun || c.Listen != "127.0.0.1:8080" || c.Rules != "examples/rules" {
		t.Errorf("example config: %+v", c)
	}
}

// TestDocExample keeps the annotated example in doc.go equal to
// examples/alexis.yaml.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile("../examples/alexis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(doc), "test keeps the two equal):\n//\n")
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		if !strings.HasPrefix(l, "//") {
			break
		}
		lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(l, "//"), "\t"))
	}
	if d := cmp.Diff(string(file), strings.Join(lines, "\n")+"\n"); d != "" {
		t.Errorf("doc.go example differs from examples/alexis.yaml (-file +doc):\n%s", d)
	}
}

// FuzzParse: the configuration parser never panics, and what it accepts
// is complete (defaults applied).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"rules: r\n", "rules: r\nauth: {tokens: [{name: a, env: NOPE}]}\n", "listen: [\n", "a: &x [*x]\n",
		"rules: r\nbody_limit: 2MiB\nssh: {port: 22}\n", "- 1\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if c.Listen == "" || c.Workers < 1 || c.BodyLimit < 1024 || c.Rules == "" || c.Auth.QueryToken == nil {
			t.Fatalf("accepted an incomplete config from %q: %+v", data, c)
		}
	})
}
