package sim

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jtune/jtune/tuner"
)

// benchFarms4 is the first four farms of the benchmark: the seed farm, then
// one random farm of each kind.
func benchFarms4(t *testing.T) []BenchFarm {
	t.Helper()
	farms := BenchFarms(loadSeed(t), 4)
	if len(farms) != 4 || farms[0].Name != "seed (6 containers)" {
		t.Fatalf("BenchFarms(seed, 4) gave %d farms, the first %q", len(farms), farms[0].Name)
	}
	for i, kind := range Kinds {
		if !strings.HasPrefix(farms[i+1].Name, kind+", ") {
			t.Errorf("farm %d is %q, want a %s farm", i+1, farms[i+1].Name, kind)
		}
	}
	return farms
}

// TestBenchFarmsTruth: each farm's true curve is the simulator's, over the
// whole range, and its best time is that of a non-failing N.
func TestBenchFarmsTruth(t *testing.T) {
	for _, bf := range benchFarms4(t) {
		if n0, r := bf.Farm.SearchRange(); bf.N0 != n0 || bf.Lo != r.Min || bf.Hi != r.Max {
			t.Errorf("%s: range N0 %d [%d, %d], want %d %v", bf.Name, bf.N0, bf.Lo, bf.Hi, n0, r)
		}
		if len(bf.truth) != bf.Hi-bf.Lo+1 {
			t.Errorf("%s: %d true times for N in [%d, %d]", bf.Name, len(bf.truth), bf.Lo, bf.Hi)
		}
		for _, n := range []int{bf.Lo, (bf.Lo + bf.Hi) / 2, bf.Hi} {
			if got, want := bf.truth[n], bf.Farm.Simulate(n, 0, nil).Seconds; got != want {
				t.Errorf("%s: true time at -j%d is %v, the simulator says %v", bf.Name, n, got, want)
			}
		}
		bestN := 0
		for n := bf.Hi; n >= bf.Lo; n-- {
			s := bf.truth[n]
			if !bf.failing[n] && s == bf.best {
				bestN = n
			}
			if !bf.failing[n] && s < bf.best {
				t.Errorf("%s: -j%d (%.1f s) beats the best %.1f s", bf.Name, n, s, bf.best)
			}
		}
		if bestN == 0 {
			t.Errorf("%s: best time %.1f s is no non-failing N's", bf.Name, bf.best)
		}
		t.Logf("%-20s N0 %3d range [%3d, %4d], best -j%d (%.1f s)", bf.Name, bf.N0, bf.Lo, bf.Hi, bestN, bf.best)
	}
}

// TestBenchHarness runs the tuning-quality benchmark on a few farms: the
// scores must be consistent, and no strategy may recommend an N where
// builds fail. The full benchmark is `jtune simulate --bench`.
func TestBenchHarness(t *testing.T) {
	farms := benchFarms4(t)
	sums := Bench(farms, tuner.Strategies, 8, 2)
	if len(sums) != len(tuner.Strategies) {
		t.Fatalf("%d summaries", len(sums))
	}
	for i, s := range sums {
		if s.Strategy != tuner.Strategies[i] {
			t.Errorf("summary %d is of %s, want %s", i, s.Strategy, tuner.Strategies[i])
		}
		if s.Runs != 8 || s.HitRate < 0 || s.HitRate > 1 || s.MedianBuilds < 1 || s.MedianBuilds > 8 || s.P90Builds < s.MedianBuilds || s.MeanCost < 1 {
			t.Errorf("%s: inconsistent summary %+v", s.Strategy, s)
		}
		if s.FailingRecs != 0 {
			t.Errorf("%s recommended a failing N %d times", s.Strategy, s.FailingRecs)
		}
	}
	var md bytes.Buffer
	if err := WriteBench(&md, sums, 4, 2, 8, -1); err != nil || strings.Count(md.String(), "\n| ") != len(sums)+1 {
		t.Errorf("markdown table (%v):\n%s", err, md.String())
	}
}

// TestBayesOnSimulatedFarms tunes the seed farm and one random farm of
// each shape with fixed seeds: Bayesian search must land within 2% of the
// true best in most sessions, within its budget, and never on a failing N.
func TestBayesOnSimulatedFarms(t *testing.T) {
	hits, runs := 0, 0
	for _, bf := range benchFarms4(t) {
		for s := uint64(1); s <= 4; s++ {
			r := benchOne(bf, tuner.Bayes, 8, s)
			runs++
			if r.hit {
				hits++
			}
			if r.failed || r.builds > 8 {
				t.Errorf("%s, seed %d: %+v", bf.Name, s, r)
			}
		}
	}
	if rate := float64(hits) / float64(runs); rate < 0.9 { // the benchmark's 97%, less a miss at 16 sessions
		t.Errorf("bayes hit the best N in %d of %d sessions", hits, runs)
	}
}

// TestSummarize checks the aggregation on hand-made sessions.
func TestSummarize(t *testing.T) {
	runs := []benchRun{
		{hit: true, builds: 5, cost: 3, regret: 0.01},
		{hit: true, builds: 7, cost: 4, regret: 0},
		{hit: false, builds: 8, cost: 5, regret: 0.30, failed: true},
		{hit: true, builds: 6, cost: 4, regret: 0.02},
	}
	s := summarize(tuner.Bayes, runs)
	want := BenchSummary{Strategy: tuner.Bayes, Runs: 4, HitRate: 0.75, MedianBuilds: 6, P90Builds: 8,
		MeanCost: 4, WorstRegret: 0.30, FailingRecs: 1}
	if s != want {
		t.Errorf("summarize:\n got %+v\nwant %+v", s, want)
	}
}
