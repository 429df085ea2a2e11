package rule_test

import (
	alexis "github.com/alexis-project/alexis"
	"github.com/alexis-project/alexis/internal/kindtest"
)

// testRegistry holds the test action types "remote", "ssh" and "call".
func testRegistry() *alexis.Registry { return kindtest.Registry() }
