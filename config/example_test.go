package config_test

import (
	"fmt"

	"github.com/alexis-project/alexis/config"
)

func ExampleParse() {
	cfg, err := config.Parse("alexis.yaml", []byte("rules: rules\ndry_run: true\nbody_limit: 512KiB\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Listen, cfg.Rules, cfg.DryRun, cfg.BodyLimit, cfg.DBPath())

	_, err = config.Parse("alexis.yaml", []byte("rules: rules\nauth:\n  tokens:\n    - {name: og, value: s3cret}\n"))
	fmt.Println(err)
	// Output:
	// 127.0.0.1:8080 rules true 512KiB data/alexis.db
	// alexis.yaml:4:18: unknown key "value" in auth.tokens[0]
}
