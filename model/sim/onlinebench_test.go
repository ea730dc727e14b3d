package sim

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestOnlineBenchHarness runs the online benchmark on the first four
// farms with one seed: every session is scored, an online build costs at
// least one build at the best N unless it broke, and the tables have a
// row for each method, noise level, kind and farm. The full benchmark is
// `jtune simulate --bench --online`.
func TestOnlineBenchHarness(t *testing.T) {
	farms := benchFarms4(t)
	rows := OnlineBench(farms, 1, 8)
	if len(rows) != len(farms) {
		t.Fatalf("%d rows for %d farms", len(rows), len(farms))
	}
	for i, r := range rows {
		bf := farms[i]
		if r.Farm != bf.Name || r.Kind != bf.Kind || r.Noise != bf.Noise || r.BestN < bf.Lo || r.BestN > bf.Hi || bf.truth[r.BestN] != bf.best {
			t.Errorf("row %d: %+v for %s", i, r, bf.Name)
		}
		for _, s := range []OnlineScore{r.Offline, r.Online} {
			if s.Runs != 1 || s.Hits > 1 || len(s.Costs) != 1 || len(s.Recs) != 1 || s.Costs[0] <= 0 {
				t.Errorf("%s: inconsistent score %+v", r.Farm, s)
			}
		}
		// Nothing is faster than the best fixed N, but a little: the
		// online build's noise, and its changes of N, can beat a fixed N
		// by a hair.
		if c := r.Online.Costs[0]; r.Online.Broken == 0 && c < 0.97 {
			t.Errorf("%s: online build cost %.3f", r.Farm, c)
		}
		if c := r.Offline.Costs[0]; c < 1 {
			t.Errorf("%s: offline session cost %.3f, less than one build", r.Farm, c)
		}
		t.Logf("%-20s best -j%d; offline -j%d cost %.2f; online -j%d cost %.2f broken %d",
			r.Farm, r.BestN, r.Offline.Recs[0], r.Offline.Costs[0], r.Online.Recs[0], r.Online.Costs[0], r.Online.Broken)
	}
	var md bytes.Buffer
	if err := WriteOnlineBench(&md, rows, 1, 8); err != nil {
		t.Fatal(err)
	}
	// 2 methods, 4 kinds with farms, 2 noise bands with farms (the seed's
	// 2% and the random farms' 1-4%), 4 farms, and a header row each.
	if got := strings.Count(md.String(), "\n| "); got < 2+1+2+1+4+1+4+1 {
		t.Errorf("%d table rows:\n%s", got, md.String())
	}
}

// TestOnlineScore checks the aggregation and the hit rule on hand-made
// sessions: a hit is within 3% of the best, at an N whose builds do not
// fail.
func TestOnlineScore(t *testing.T) {
	bf := &BenchFarm{Lo: 1, Hi: 4, best: 100,
		truth:   map[int]float64{1: 200, 2: 102, 3: 100, 4: 90},
		failing: map[int]bool{4: true}}
	if bf.bestN() != 3 {
		t.Errorf("best N %d, want 3", bf.bestN())
	}
	var s OnlineScore
	for _, r := range []tuneRun{
		{rec: 3, cost: 1.05},            // the best
		{rec: 2, cost: 1.2},             // 2% slower: a hit
		{rec: 4, cost: 1.1},             // faster, but its builds fail
		{rec: 0, cost: 1.3, broken: 1},  // broke, recommended nothing
		{rec: 1, cost: 0.95, broken: 0}, // twice as slow
	} {
		s.add(bf, r)
	}
	if s.Runs != 5 || s.Hits != 2 || s.Broken != 1 || s.NoRec != 1 || s.HitRate() != 0.4 ||
		math.Abs(s.MeanCost()-1.12) > 1e-12 || s.MaxCost() != 1.3 || quantile(s.Costs, 0.9) != 1.3 || quantile(s.Costs, 0.5) != 1.1 {
		t.Errorf("score %+v: hit rate %v, mean cost %v", s, s.HitRate(), s.MeanCost())
	}
	if got := picks(s.Recs); got != "1, 3, 4 (1 none)" {
		t.Errorf("picks %q", got)
	}
	for noise, want := range map[float64]string{0.01: "0-2%", 0.02: "2-4%", 0.059: "4-6%", 0.08: "6-8%"} {
		if got := bandName(noiseBand(noise)); got != want {
			t.Errorf("noise %v in band %s, want %s", noise, got, want)
		}
	}
}
