package sim

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/jtune/jtune/tuner"
)

// The online benchmark: offline Bayesian search (several full builds)
// against online tuning (one build whose N moves while it runs), on the
// same farms, scored against each farm's best fixed N.

// OnlineHitTolerance is how close to the best fixed N's time a
// recommendation must be to count as a hit in the online benchmark.
const OnlineHitTolerance = 0.03

// OnlineBenchFarms is the online benchmark's farms: the offline
// benchmark's count farms (BenchFarms) at their own noise, 1% to 4%, then
// the same farms again at a noise drawn from 4% to 8%. They include
// failure walls just above the optimum (the wall farms), broad plateaus
// and master-bound farms whose master runs out of memory at large N (the
// unimodal ones). A farm's truth does not depend on its noise, so the
// noisier copies cost nothing more to score.
func OnlineBenchFarms(seed Farm, count int) []BenchFarm {
	farms := BenchFarms(seed, count)
	rng := rand.New(rand.NewPCG(2026, 12))
	for _, b := range farms[:len(farms):len(farms)] {
		b.Noise = 0.04 + 0.04*rng.Float64()
		farms = append(farms, b)
	}
	return farms
}

// JudgeFarm judges a farm as the benchmark judges its farms, over r
// instead of its search range: its noise-free build at every N of r
// (simulated on all CPUs), which N fail, and the best of the others.
func JudgeFarm(name string, f Farm, noise float64, n0 int, r tuner.Range) BenchFarm {
	b := BenchFarm{Name: name, Farm: f, Noise: noise, N0: n0, Lo: r.Min, Hi: r.Max}
	b.score(trueCurves([]BenchFarm{b})[0])
	return b
}

// Best is the fastest N among those whose builds do not fail (the
// smallest on ties) and its noise-free time; 0 when every N fails.
func (b *BenchFarm) Best() (n int, seconds float64) { return b.bestN(), b.best }

// Truth is the noise-free time of a build at n and whether such builds
// fail: too many distcc failures or too much swap for the tuner, or out
// of memory. ok is false outside the farm's range.
func (b *BenchFarm) Truth(n int) (seconds float64, failing, ok bool) {
	seconds, ok = b.truth[n]
	return seconds, b.failing[n], ok
}

// Hit reports whether a recommendation of rec is a hit: its builds do not
// fail, and take at most OnlineHitTolerance more than the best.
func (b *BenchFarm) Hit(rec int) bool {
	t, ok := b.truth[rec]
	return ok && !b.failing[rec] && t <= b.best*(1+OnlineHitTolerance)
}

// bestN is the smallest N at the farm's best time among N that do not
// fail.
func (b *BenchFarm) bestN() int {
	for n := b.Lo; n <= b.Hi; n++ {
		if !b.failing[n] && b.truth[n] == b.best {
			return n
		}
	}
	return 0
}

// tuneRun is the score of one session of either kind in the online
// benchmark.
type tuneRun struct {
	rec    int     // recommended N, 0 for none
	cost   float64 // build time spent, in builds at the best fixed N
	broken int     // builds that broke
}

// offlineRun tunes the farm with Bayesian search within budget builds, as
// the offline benchmark does.
func offlineRun(bf BenchFarm, budget int, seed uint64) tuneRun {
	r := benchOne(bf, tuner.Bayes, budget, seed)
	return tuneRun{rec: r.rec, cost: r.cost, broken: r.broken}
}

// onlineRun tunes the farm within one live build of it, started at
// tuner.OnlineStart, with noise drawn from seed.
func onlineRun(bf BenchFarm, seed uint64) (tuneRun, *tuner.OnlineResult) {
	res, err := TuneOnline(context.Background(), bf.Farm, bf.Noise, rand.New(rand.NewPCG(seed, 0x0411e)),
		min(max(bf.N0, bf.Lo), bf.Hi), tuner.Range{Min: bf.Lo, Max: bf.Hi})
	if err != nil || res == nil {
		return tuneRun{cost: math.Inf(1)}, res
	}
	run := tuneRun{cost: res.Final.Seconds / bf.best}
	if res.Final.ExitCode != 0 {
		// The user still needs the build: a broken one costs at least
		// another at the best N.
		run.broken, run.cost = 1, run.cost+1
	}
	if res.Recommended != nil {
		run.rec = res.Recommended.Jobs
	}
	return run, res
}

// TuneOnline runs tuner.RunOnline on a live build of f at noise (drawn
// from rng), searching r from the formula's n0: it starts at
// tuner.OnlineStart, with the master's cores as the load to recommend
// for, as jtune --online would.
func TuneOnline(ctx context.Context, f Farm, noise float64, rng *rand.Rand, n0 int, r tuner.Range) (*tuner.OnlineResult, error) {
	s := tuner.OnlineSettings{FormulaJobs: n0, Min: r.Min, Max: r.Max, Load: f.withDefaults().Master.Cores}
	start := tuner.OnlineStart(tuner.OnlineSpace{Min: r.Min, Max: r.Max, Start: n0})
	return tuner.RunOnline(ctx, f.Live(start, noise, rng), s, start)
}

// OnlineBenchRow is one farm's score in the online benchmark.
type OnlineBenchRow struct {
	Farm, Kind string
	Noise      float64
	BestN      int
	Offline    OnlineScore // Bayesian search
	Online     OnlineScore
}

// OnlineScore sums a method's sessions on a farm, or on several.
type OnlineScore struct {
	Runs int
	Hits int
	// Costs are the build time of each session, in builds at the best
	// fixed N: the sum of an offline session's builds (as the offline
	// benchmark counts them: a build that broke counts as if it had run
	// on), or the one online build; an online build that broke costs its
	// time until the break plus one build at the best N, which the user
	// must still run.
	Costs []float64
	// Broken counts builds that broke (ran out of memory).
	Broken int
	// NoRec counts sessions without a recommendation.
	NoRec int
	// Recs are the recommended N, 0 for none.
	Recs []int
}

func (s *OnlineScore) add(bf *BenchFarm, r tuneRun) {
	s.Runs++
	if bf.Hit(r.rec) {
		s.Hits++
	}
	if r.rec == 0 {
		s.NoRec++
	}
	s.Costs = append(s.Costs, r.cost)
	s.Broken += r.broken
	s.Recs = append(s.Recs, r.rec)
}

func (s *OnlineScore) merge(o OnlineScore) {
	s.Runs += o.Runs
	s.Hits += o.Hits
	s.Costs = append(s.Costs, o.Costs...)
	s.Broken += o.Broken
	s.NoRec += o.NoRec
	s.Recs = append(s.Recs, o.Recs...)
}

// HitRate is the share of sessions that hit.
func (s OnlineScore) HitRate() float64 { return float64(s.Hits) / float64(max(s.Runs, 1)) }

// MeanCost is the mean of Costs.
func (s OnlineScore) MeanCost() float64 {
	sum := 0.0
	for _, c := range s.Costs {
		sum += c
	}
	return sum / float64(max(len(s.Costs), 1))
}

// MaxCost is the largest of Costs.
func (s OnlineScore) MaxCost() float64 {
	m := 0.0
	for _, c := range s.Costs {
		m = math.Max(m, c)
	}
	return m
}

// OnlineBench runs seeds sessions of each method on every farm, offline
// Bayesian search within budget builds (8 in the benchmark's figures, as
// in the offline benchmark), on all CPUs; the result does not depend on
// scheduling.
func OnlineBench(farms []BenchFarm, seeds, budget int) []OnlineBenchRow {
	type job struct {
		f, seed int
		online  bool
	}
	offline := make([]tuneRun, len(farms)*seeds)
	online := make([]tuneRun, len(farms)*seeds)
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for j := range jobs {
				i := j.f*seeds + j.seed
				if j.online {
					online[i], _ = onlineRun(farms[j.f], uint64(j.seed+1))
				} else {
					offline[i] = offlineRun(farms[j.f], budget, uint64(j.seed+1))
				}
			}
		})
	}
	// The offline sessions first: they are the longer ones.
	for _, on := range []bool{false, true} {
		for f := range farms {
			for seed := range seeds {
				jobs <- job{f, seed, on}
			}
		}
	}
	close(jobs)
	wg.Wait()
	rows := make([]OnlineBenchRow, len(farms))
	for f := range farms {
		bf := &farms[f]
		rows[f] = OnlineBenchRow{Farm: bf.Name, Kind: bf.Kind, Noise: bf.Noise, BestN: bf.bestN()}
		for seed := range seeds {
			rows[f].Offline.add(bf, offline[f*seeds+seed])
			rows[f].Online.add(bf, online[f*seeds+seed])
		}
	}
	return rows
}

// noiseBands are the online benchmark's noise levels, as [lo, hi).
var noiseBands = [][2]float64{{0, 0.02}, {0.02, 0.04}, {0.04, 0.06}, {0.06, 0.081}}

// WriteOnlineBench writes the benchmark as Markdown: the totals, then by
// noise level, by kind of farm, and by farm.
func WriteOnlineBench(w io.Writer, rows []OnlineBenchRow, seeds, budget int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d farms x %d seeds. offline = bayes, budget %d builds; online = one build under jtune's jobserver, "+
		"from tuner.OnlineStart. hit = the recommendation's build time is within %.0f%% of the best fixed N's, "+
		"among N whose builds do not fail; cost = build time spent, in builds at the best fixed N "+
		"(a broken online build: its time until the break, plus one build to do again); "+
		"broken = builds killed when the master ran out of memory and swap\n\n",
		len(rows), seeds, budget, 100*OnlineHitTolerance)
	var off, on OnlineScore
	for _, r := range rows {
		off.merge(r.Offline)
		on.merge(r.Online)
	}
	fmt.Fprintln(&b, "| method | sessions | hit rate | mean cost | p90 cost | worst cost | broken builds | no recommendation |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|")
	for _, m := range []struct {
		name string
		s    OnlineScore
	}{{"offline bayes", off}, {"online", on}} {
		fmt.Fprintf(&b, "| %s | %d | %.1f%% | %.2f | %.2f | %.2f | %d | %d |\n", m.name, m.s.Runs, 100*m.s.HitRate(),
			m.s.MeanCost(), quantile(m.s.Costs, 0.9), m.s.MaxCost(), m.s.Broken, m.s.NoRec)
	}
	groups := func(title, what string, key func(OnlineBenchRow) string, keys []string) {
		fmt.Fprintf(&b, "\n%s\n\n| %s | farms | offline hit | online hit | offline mean cost | online mean cost | offline broken | online broken |\n", title, what)
		fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|")
		for _, k := range keys {
			var o, n OnlineScore
			farms := 0
			for _, r := range rows {
				if key(r) == k {
					o.merge(r.Offline)
					n.merge(r.Online)
					farms++
				}
			}
			if farms > 0 {
				fmt.Fprintf(&b, "| %s | %d | %.1f%% | %.1f%% | %.2f | %.2f | %d | %d |\n", k, farms, 100*o.HitRate(), 100*n.HitRate(),
					o.MeanCost(), n.MeanCost(), o.Broken, n.Broken)
			}
		}
	}
	var bands []string
	for _, nb := range noiseBands {
		bands = append(bands, bandName(nb))
	}
	groups("By noise:", "noise", func(r OnlineBenchRow) string { return bandName(noiseBand(r.Noise)) }, bands)
	groups("By kind:", "kind", func(r OnlineBenchRow) string { return r.Kind }, append([]string{"seed"}, Kinds...))
	writeFarmRows(&b, rows)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFarmRows writes the benchmark's table by farm.
func writeFarmRows(b *strings.Builder, rows []OnlineBenchRow) {
	fmt.Fprintln(b, "\nBy farm (hits of sessions; cost mean and worst; online -j picks, smallest to largest):")
	fmt.Fprintln(b)
	fmt.Fprintln(b, "| farm | noise | best N | offline hits | offline cost | offline broken | online hits | online cost | online broken | online picks |")
	fmt.Fprintln(b, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %.1f%% | %d | %d/%d | %.2f, %.2f | %d | %d/%d | %.2f, %.2f | %d | %s |\n",
			r.Farm, 100*r.Noise, r.BestN, r.Offline.Hits, r.Offline.Runs, r.Offline.MeanCost(), r.Offline.MaxCost(), r.Offline.Broken,
			r.Online.Hits, r.Online.Runs, r.Online.MeanCost(), r.Online.MaxCost(), r.Online.Broken, picks(r.Online.Recs))
	}
}

// noiseBand is the band of noiseBands that noise falls in.
func noiseBand(noise float64) [2]float64 {
	for _, nb := range noiseBands {
		if noise >= nb[0] && noise < nb[1] {
			return nb
		}
	}
	return noiseBands[len(noiseBands)-1]
}

func bandName(nb [2]float64) string {
	return fmt.Sprintf("%.0f-%.0f%%", 100*nb[0], math.Floor(100*nb[1]))
}

// picks summarises recommended N: the smallest, the median and the
// largest, and how many sessions recommended nothing.
func picks(recs []int) string {
	var ns []int
	none := 0
	for _, n := range recs {
		if n > 0 {
			ns = append(ns, n)
		} else {
			none++
		}
	}
	s := "-"
	if len(ns) > 0 {
		slices.Sort(ns)
		s = fmt.Sprintf("%d, %d, %d", ns[0], ns[len(ns)/2], ns[len(ns)-1])
	}
	if none > 0 {
		s += fmt.Sprintf(" (%d none)", none)
	}
	return s
}

// quantile is the q-quantile of xs by the nearest rank.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1)]
}
