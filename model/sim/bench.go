package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/gonum/stat"

	"github.com/jtune/jtune/tuner"
)

// BenchFarmCount is the number of farms in the full benchmark: the seed
// farm and 30 random ones.
const BenchFarmCount = 31

// BenchFarm is one farm of the benchmark, with its true answer.
type BenchFarm struct {
	Name  string
	Kind  string // one of Kinds, or "seed"
	Farm  Farm
	Noise float64 // relative noise of its builds
	// N0 is where tuning starts, and [Lo, Hi] the range it searches.
	N0, Lo, Hi int

	truth   map[int]float64 // noise-free seconds by N
	failing map[int]bool    // N whose noise-free build jtune would call overloaded
	best    float64         // fastest noise-free time among N that do not fail
}

// BenchFarms is the benchmark's fixed set of count farms: the seed farm
// with 6 containers, then random farms of 1 to 64 hosts of each of Kinds
// in turn, with noise between 1% and 4%. The first farm is always the
// seed's, even when count is below 1. Each farm is searched as jtune
// would search it (Farm.SearchRange).
//
// The true curve of every farm is simulated on all CPUs.
func BenchFarms(seed Farm, count int) []BenchFarm {
	rng := rand.New(rand.NewPCG(2026, 11))
	farms := []BenchFarm{{Name: "seed (6 containers)", Kind: "seed", Farm: seed.WithHosts(6), Noise: 0.02}}
	sizes := []int{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64}
	for i := 0; len(farms) < count; i++ {
		kind, hosts := Kinds[i%len(Kinds)], sizes[(i/len(Kinds)+i)%len(sizes)]
		noise := 0.01 + 0.03*rng.Float64()
		f := RandomFarm(rng, hosts, kind)
		farms = append(farms, BenchFarm{Name: fmt.Sprintf("%s, %d hosts", kind, hosts), Kind: kind, Farm: f, Noise: noise})
	}
	for i := range farms {
		b := &farms[i]
		n0, r := b.Farm.SearchRange()
		b.N0, b.Lo, b.Hi = n0, r.Min, r.Max
	}
	curves := trueCurves(farms)
	for i := range farms {
		farms[i].score(curves[i])
	}
	return farms
}

// truePoint is what the benchmark keeps of a noise-free build.
type truePoint struct {
	jobs     int
	seconds  float64
	failures int
	swap     uint64
	broken   bool
}

// trueCurves simulates every farm's noise-free build at every N of its
// range, as Farm.Curve does, on all CPUs: the big farms' curves take most
// of the benchmark's time. Curves already simulated come from truthCache.
func trueCurves(farms []BenchFarm) [][]truePoint {
	type job struct{ f, n int }
	curves := make([][]truePoint, len(farms))
	keys := make([]string, len(farms))
	var jobs []job
	for i, b := range farms {
		keys[i] = truthKey(&b)
		if c, ok := truthCache.get(keys[i]); ok {
			curves[i] = c
			continue
		}
		lo := max(b.Lo, 1)
		curves[i] = make([]truePoint, max(b.Hi-lo+1, 0))
		for n := lo; n <= b.Hi; n++ {
			jobs = append(jobs, job{i, n})
		}
	}
	ch := make(chan job)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for j := range ch {
				b := &farms[j.f]
				r := b.Farm.Simulate(j.n, 0, nil)
				curves[j.f][j.n-max(b.Lo, 1)] = truePoint{j.n, r.Seconds, r.Failures, swapBytes(r), r.Broken}
			}
		})
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	for i := range farms {
		truthCache.put(keys[i], curves[i])
	}
	return curves
}

// truthCache holds the true curves simulated so far, by farm and range:
// the offline and the online benchmark score the same farms, and a process
// that runs both (the tests) simulates them once. Curves are read-only.
var truthCache curveCache

type curveCache struct {
	sync.Mutex
	m map[string][]truePoint
}

func (c *curveCache) get(key string) ([]truePoint, bool) {
	c.Lock()
	defer c.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *curveCache) put(key string, v []truePoint) {
	c.Lock()
	defer c.Unlock()
	if c.m == nil || len(c.m) >= 256 {
		c.m = map[string][]truePoint{}
	}
	c.m[key] = v
}

// truthKey names a farm's true curve: the farm in full, which fixes every
// noise-free build (JSON keeps every float exactly), and the range.
func truthKey(b *BenchFarm) string {
	data, err := json.Marshal(b.Farm)
	if err != nil {
		panic(fmt.Sprintf("sim: a farm that JSON cannot encode: %v", err)) // only NaN or Inf fields, which Validate refuses
	}
	return fmt.Sprintf("%d %d %s", b.Lo, b.Hi, data)
}

// score records the farm's true times, which N fail, and the best time.
// A build fails when the tuner itself would call it overloaded (a few
// fallbacks to a local compile are part of a normal distcc build), or
// when it breaks (Result.Broken), which on the benchmark's farms happens
// only where the tuner already sees too much swap.
func (b *BenchFarm) score(curve []truePoint) {
	b.truth, b.failing, b.best = map[int]float64{}, map[int]bool{}, math.Inf(1)
	mostBelow := 0
	for _, r := range curve {
		below := []tuner.Trial{{Jobs: r.jobs - 1, Status: tuner.StatusOK, Measurement: tuner.Measurement{DistccFailures: mostBelow}}}
		status, _ := tuner.Classify(tuner.Measurement{DistccFailures: r.failures, SwapGrowthBytes: r.swap}, r.jobs, below, 0)
		b.truth[r.jobs] = r.seconds
		b.failing[r.jobs] = status != tuner.StatusOK || r.broken
		if !b.failing[r.jobs] {
			b.best = math.Min(b.best, r.seconds)
		}
		mostBelow = max(mostBelow, r.failures)
	}
}

// benchRun is the score of one tuning session.
type benchRun struct {
	hit    bool    // the recommendation's true time is within 2% of the best
	builds int     // builds run
	cost   float64 // time spent, in optimal builds
	regret float64 // true time of the recommendation over the best, minus 1
	failed bool    // recommended an N where builds fail
	broken int     // builds that broke (ran out of memory)
	rec    int     // the recommended N, 0 for none
}

// benchOne tunes the farm once with the strategy, its noise drawn from
// seed.
func benchOne(bf BenchFarm, strategy tuner.Strategy, budget int, seed uint64) benchRun {
	b := &Builder{Farm: bf.Farm, Noise: bf.Noise, Rand: rand.New(rand.NewPCG(seed, 0xbe4c))}
	res, err := tuner.Run(context.Background(), b, tuner.Settings{
		FormulaJobs: min(max(bf.N0, bf.Lo), bf.Hi), Min: bf.Lo, Max: bf.Hi, Budget: budget, Strategy: strategy,
		Load: bf.Farm.Master.Cores,
	})
	run := benchRun{regret: math.Inf(1), broken: b.Broken}
	if res == nil {
		return run
	}
	for _, t := range res.Trials {
		run.builds++
		run.cost += t.WallSeconds / bf.best
	}
	if err != nil || res.Recommended == nil {
		return run
	}
	n := res.Recommended.Jobs
	run.rec = n
	run.regret = bf.truth[n]/bf.best - 1
	run.hit = run.regret <= 0.02 && !bf.failing[n]
	run.failed = bf.failing[n]
	return run
}

// BenchSummary is the score of one strategy over the benchmark's sessions.
type BenchSummary struct {
	Strategy tuner.Strategy
	Runs     int // tuning sessions
	// HitRate is the share of sessions whose recommendation's true time is
	// within 2% of the best, at an N where builds do not fail.
	HitRate      float64
	MedianBuilds float64
	P90Builds    float64
	// MeanCost is the time a session spent building, in optimal builds.
	MeanCost float64
	// WorstRegret is the largest true time of a recommendation over the
	// best, minus 1; +Inf when a session recommended nothing.
	WorstRegret float64
	// FailingRecs counts recommendations of an N where builds fail.
	FailingRecs int
}

func summarize(strategy tuner.Strategy, runs []benchRun) BenchSummary {
	s := BenchSummary{Strategy: strategy, Runs: len(runs)}
	var builds []float64
	hits := 0
	for _, r := range runs {
		if r.hit {
			hits++
		}
		if r.failed {
			s.FailingRecs++
		}
		builds = append(builds, float64(r.builds))
		s.MeanCost += r.cost
		s.WorstRegret = math.Max(s.WorstRegret, r.regret)
	}
	slices.Sort(builds)
	s.HitRate = float64(hits) / float64(len(runs))
	s.MeanCost /= float64(len(runs))
	if len(builds) > 0 {
		s.MedianBuilds = stat.Quantile(0.5, stat.Empirical, builds, nil)
		s.P90Builds = stat.Quantile(0.9, stat.Empirical, builds, nil)
	}
	return s
}

// Bench tunes every farm seeds times with each strategy, within budget
// builds, and summarises each strategy. Sessions run on all CPUs; the
// result does not depend on scheduling.
func Bench(farms []BenchFarm, strategies []tuner.Strategy, budget, seeds int) []BenchSummary {
	type job struct{ s, f, seed int }
	results := make([][]benchRun, len(strategies))
	for i := range results {
		results[i] = make([]benchRun, len(farms)*seeds)
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for j := range jobs {
				results[j.s][j.f*seeds+j.seed] = benchOne(farms[j.f], strategies[j.s], budget, uint64(j.seed+1))
			}
		})
	}
	for s := range strategies {
		for f := range farms {
			for seed := range seeds {
				jobs <- job{s, f, seed}
			}
		}
	}
	close(jobs)
	wg.Wait()
	var out []BenchSummary
	for i, s := range strategies {
		out = append(out, summarize(s, results[i]))
	}
	return out
}

// WriteBench writes the summaries as a Markdown table, under a line that
// says what was run; noise is the noise every farm was given, or negative
// when each had its own.
func WriteBench(w io.Writer, sums []BenchSummary, farms, seeds, budget int, noise float64) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d farms x %d seeds, budget %d builds", farms, seeds, budget)
	if noise >= 0 {
		fmt.Fprintf(&b, ", noise %.1f%% on every farm", 100*noise)
	}
	fmt.Fprintf(&b, "; hit = within 2%% of the true best\n\n")
	fmt.Fprintln(&b, "| strategy | hit rate | median builds | p90 builds | mean cost (optimal builds) | worst regret | failing recommendations |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|")
	for _, s := range sums {
		fmt.Fprintf(&b, "| %s | %.1f%% | %.0f | %.0f | %.2f | %.1f%% | %d |\n", s.Strategy, 100*s.HitRate,
			s.MedianBuilds, s.P90Builds, s.MeanCost, 100*s.WorstRegret, s.FailingRecs)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
