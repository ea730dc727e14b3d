package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jtune/jtune/tuner"
)

// TestBuilderStops checks where a simulated build ends: it finishes, or
// stops where the real runner would, at the first limit it reaches.
func TestBuilderStops(t *testing.T) {
	seed := loadSeed(t).WithHosts(6)
	wall := seed // distccd --jobs 2 behind a /4 limit: a failure cascade
	wall.Hosts = append([]Host(nil), seed.Hosts...)
	for i := range wall.Hosts {
		wall.Hosts[i].MaxJobs = 2
	}
	swapping := seed.LocalOnly() // 100 MB jobs on a master with 1,000 MB
	swapping.Build.UnitMemoryMB, swapping.Master.MemoryMB, swapping.Master.SwapSlowdown = 100, 1000, 1

	cascade := wall.Simulate(80, 0, nil)
	if cascade.Failures < 2 {
		t.Fatalf("the wall farm has only %d failures at -j80", cascade.Failures)
	}
	half := cascade.Failures / 2
	swap := swapping.Simulate(24, 0, nil)
	full := seed.Simulate(40, 0, nil)
	tests := []struct {
		name    string
		farm    Farm
		req     tuner.BuildRequest
		aborted bool
		seconds float64 // wall time reported
	}{
		// Nothing to stop it: the whole build.
		{"finishes", seed, tuner.BuildRequest{Jobs: 40}, false, full.Seconds},
		// 60 s is less than the build takes.
		{"time limit", seed, tuner.BuildRequest{Jobs: 40, AbortAfter: time.Minute}, true, 60},
		// Half the failures come about half way through, taking them as
		// evenly spread.
		{"failures", wall, tuner.BuildRequest{Jobs: 80, StopAtFailures: half}, true,
			cascade.Seconds * float64(half) / float64(cascade.Failures)},
		// More failures than the build has: no stop.
		{"failures never reached", wall, tuner.BuildRequest{Jobs: 80, StopAtFailures: cascade.Failures + 1}, false, cascade.Seconds},
		// The runner sees swap a second after it starts.
		{"swap", swapping, tuner.BuildRequest{Jobs: 24, StopAtSwapGrowth: 64 << 20}, true, swap.SwapFromSeconds + 1},
		// A time limit before the swap is seen wins.
		{"time limit before swap", swapping, tuner.BuildRequest{Jobs: 24, StopAtSwapGrowth: 64 << 20, AbortAfter: time.Second}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := (&Builder{Farm: tt.farm}).Build(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if m.Aborted != tt.aborted || math.Abs(m.WallSeconds-tt.seconds) > 1e-9*tt.seconds {
				t.Errorf("aborted %v after %.3f s, want %v after %.3f s", m.Aborted, m.WallSeconds, tt.aborted, tt.seconds)
			}
			if !m.Aborted && m.Progress == nil {
				t.Error("a finished build carries no progress")
			}
		})
	}
}

// TestBuilderBehindReference: a build far slower than the reference is
// stopped on its progress, long before it ends, with a bound on its time.
func TestBuilderBehindReference(t *testing.T) {
	f := loadSeed(t).WithHosts(6)
	best := f.Simulate(40, 0, nil)
	ref := &tuner.Reference{Jobs: 40, Seconds: best.Seconds, Progress: tuner.NewProgress(best.UnitDone), Margin: 0.15}
	slow := f.Simulate(2, 0, nil)
	m, err := (&Builder{Farm: f}).Build(context.Background(), tuner.BuildRequest{Jobs: 2, Reference: ref})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Aborted || m.WallSeconds >= slow.Seconds/2 || m.BoundSeconds <= best.Seconds {
		t.Errorf("-j2 against -j40: aborted %v after %.1f s of %.1f s, bound %.1f s (best %.1f s)",
			m.Aborted, m.WallSeconds, slow.Seconds, m.BoundSeconds, best.Seconds)
	}
}

// TestBuilderNoise: the builder's noise comes from its Rand, so a seed
// replays a session, and a nil Rand means none.
func TestBuilderNoise(t *testing.T) {
	f := loadSeed(t).WithHosts(6)
	build := func(b *Builder) float64 {
		m, err := b.Build(context.Background(), tuner.BuildRequest{Jobs: 30})
		if err != nil {
			t.Fatal(err)
		}
		return m.WallSeconds
	}
	a := build(&Builder{Farm: f, Noise: 0.03, Rand: rand.New(rand.NewPCG(1, 2))})
	b := build(&Builder{Farm: f, Noise: 0.03, Rand: rand.New(rand.NewPCG(1, 2))})
	c := build(&Builder{Farm: f, Noise: 0.03, Rand: rand.New(rand.NewPCG(3, 4))})
	quiet := build(&Builder{Farm: f, Noise: 0.03})
	if a != b || a == c || quiet != f.Simulate(30, 0, nil).Seconds {
		t.Errorf("seeded %.3f, %.3f; other seed %.3f; no Rand %.3f", a, b, c, quiet)
	}
}
