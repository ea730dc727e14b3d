package sim

import (
	_ "embed"
	"fmt"
)

// seedJSON is examples/farms/seed.json, built in; a test keeps the two
// identical.
//
//go:embed farms/seed.json
var seedJSON []byte

// SeedFarm is the farm of the seed study (examples/farms/seed.json): a
// 2-core master and 8 LXC containers on two 2-core slaves, building a
// Gentoo kernel, calibrated so that its simulated times are within 10% of
// the study's. It is built in, so that the benchmark and `jtune simulate
// --farm seed` work from any directory.
func SeedFarm() (Farm, error) {
	f, err := ParseFarm(seedJSON)
	if err != nil {
		return Farm{}, fmt.Errorf("built-in seed farm: %w", err)
	}
	return f, nil
}
