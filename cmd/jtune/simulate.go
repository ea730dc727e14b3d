package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/model"
	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

const simulateUsage = `jtune simulate predicts builds on a farm described in JSON, so you can see
how tuning would go before spending a night on real builds.

Usage:
  jtune simulate --farm FILE [--hosts-used K] [--jobs N | --min A --max B]
  jtune simulate --farm FILE --tune [--strategy S] [--budget K] [--seed S] [--noise F]
  jtune simulate --bench [--seeds K] [--budget K]

Examples:
  jtune simulate --farm examples/farms/seed.json --hosts-used 6 --min 10 --max 60
  jtune simulate --farm examples/farms/seed.json --hosts-used 6 --tune --seed 3
  jtune simulate --bench --seeds 20

Flags:
`

type simOptions struct {
	farm      string
	hostsUsed int
	jobs      int
	minJobs   int
	maxJobs   int
	tune      bool
	bench     bool
	strategy  string
	budget    int
	seed      uint64
	seeds     int
	noise     float64
	noAbort   bool
	plot      string
	help      bool
}

func runSimulate(args []string, stdout, stderr io.Writer) error {
	var o simOptions
	fs := pflag.NewFlagSet("jtune simulate", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.Usage = func() {}
	fs.StringVar(&o.farm, "farm", "", "farm description `file` (JSON), e.g. --farm examples/farms/seed.json")
	fs.IntVar(&o.hostsUsed, "hosts-used", 0, "use only the first `K` hosts of the farm, e.g. --hosts-used 6 (default: all)")
	fs.IntVar(&o.jobs, "jobs", 0, "predict one build at -j`N`")
	fs.IntVar(&o.minJobs, "min", 0, "smallest `N` of the curve or search (default: the master's cores)")
	fs.IntVar(&o.maxJobs, "max", 0, "largest `N` of the curve or search (default: max(4 x N0, slot sum))")
	fs.BoolVar(&o.tune, "tune", false, "run the real tuner against simulated builds")
	fs.BoolVar(&o.bench, "bench", false, "measure the tuning quality of every strategy on the seed farm and 30 random farms")
	fs.StringVar(&o.strategy, "strategy", string(tuner.DefaultStrategy), "search `method` for --tune: "+strategyNames())
	fs.IntVar(&o.budget, "budget", tuner.DefaultBudget, "most `builds` per tuning session")
	fs.Uint64Var(&o.seed, "seed", 1, "`seed` of the simulated noise, for --tune")
	fs.IntVar(&o.seeds, "seeds", 20, "tuning sessions per farm and strategy, for --bench")
	fs.Float64Var(&o.noise, "noise", -1, "relative noise of a build `fraction`, e.g. 0.02 (default: the farm's own)")
	fs.BoolVar(&o.noAbort, "no-early-abort", false, "let every simulated build finish")
	fs.StringVar(&o.plot, "plot", "", "with --tune, draw build time against N into `FILE` (.png or .svg)")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help and exit")
	if err := fs.Parse(args); err != nil {
		return usageError{err: err}
	}
	if o.help {
		fmt.Fprint(stdout, simulateUsage+fs.FlagUsages())
		return errHelp
	}
	if err := checkStrategy(o.strategy); err != nil {
		return err
	}
	if err := checkPlotPath(o.plot); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("jtune simulate takes no arguments, got %q", fs.Arg(0))
	case o.budget < 1:
		return usagef("--budget %d must be at least 1", o.budget)
	case o.seeds < 1:
		return usagef("--seeds %d must be at least 1", o.seeds)
	case o.noise >= 1:
		return usagef("--noise %g must be below 1", o.noise)
	case o.bench:
		return runBench(o, stdout, stderr)
	case o.farm == "":
		return usagef("--farm is required (or --bench), e.g. --farm examples/farms/seed.json")
	}
	farm, err := model.LoadFarm(o.farm)
	if err != nil {
		return err
	}
	if o.hostsUsed < 0 || o.hostsUsed > len(farm.Hosts) {
		return usagef("--hosts-used %d must be in 0..%d (the farm's hosts)", o.hostsUsed, len(farm.Hosts))
	}
	if o.hostsUsed > 0 {
		farm = farm.WithHosts(o.hostsUsed)
	}
	n0, lo, hi := simRange(farm)
	if o.minJobs > 0 {
		lo = o.minJobs
	}
	if o.maxJobs > 0 {
		hi = o.maxJobs
	}
	switch {
	case o.jobs < 0:
		return usagef("--jobs %d must be at least 1", o.jobs)
	case o.jobs > 0:
		lo, hi = o.jobs, o.jobs
	case lo > hi:
		return usagef("--min %d is above --max %d", lo, hi)
	}
	if o.tune {
		return simulateTune(farm, o, n0, lo, hi, stdout)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tseconds\tdistcc failures\tmaster load\t")
	for _, r := range farm.Curve(lo, hi) {
		fmt.Fprintf(tw, "%d\t%.1f\t%d\t%.1f\t\n", r.Jobs, r.Seconds, r.Failures, r.MeanMasterLoad)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	best, r := farm.Argmin(lo, hi)
	_, err = fmt.Fprintf(stdout, "\nformula N0 = %d; fastest predicted: -j%d (%.1f s)\n", n0, best, r.Seconds)
	return err
}

// simRange is what jtune would use on this farm: N0 = 2 x cores + 1 with
// each physical machine counted once, and the default search range.
func simRange(f model.Farm) (n0, lo, hi int) {
	n0 = 2*f.TotalCores() + 1
	lo = min(f.Master.Cores, n0)
	return n0, lo, max(4*n0, f.SlotSum())
}

// simBuilder runs the tuner's builds on the simulator.
type simBuilder struct {
	farm  model.Farm
	noise float64
	rng   *rand.Rand
}

func (b *simBuilder) Build(_ context.Context, req tuner.BuildRequest) (tuner.Measurement, error) {
	r := b.farm.Simulate(req.Jobs, b.noise, b.rng)
	m := tuner.Measurement{
		WallSeconds: r.Seconds, UserSeconds: r.UserSeconds, DistccFailures: r.Failures,
		MaxLoad: r.MaxMasterLoad, MeanLoad: r.MeanMasterLoad, SwapGrowthBytes: swapBytes(r),
	}
	// stopAt cuts the build short, with the failures seen so far assuming
	// they come evenly.
	stopAt := func(t, bound float64) (tuner.Measurement, error) {
		m.DistccFailures = int(float64(r.Failures) * t / r.Seconds)
		m.WallSeconds, m.Aborted, m.BoundSeconds = t, true, bound
		return m, nil
	}
	limit := req.AbortAfter.Seconds()
	if stop := req.StopAtFailures; stop > 0 && r.Failures >= stop {
		if t := r.Seconds * float64(stop) / float64(r.Failures); limit <= 0 || t < limit {
			return stopAt(t, 0)
		}
	}
	if stop := req.StopAtSwapGrowth; stop > 0 && m.SwapGrowthBytes >= stop {
		// The runner sees swap once a second.
		if t := min(r.SwapFromSeconds+1, r.Seconds); limit <= 0 || t < limit {
			return stopAt(t, 0)
		}
	}
	if ref := req.Reference; ref != nil {
		// The simulator's units report when they finish, which is what
		// the real runner's compile lines say too, a little earlier. It
		// checks progress as often as the runner samples a long build.
		end := r.Seconds
		if limit > 0 {
			end = min(end, limit)
		}
		for step, t := ref.Seconds/100, 0.0; t < end; t += step {
			if bound, behind := ref.Behind(t, r.UnitsDoneAt(t)); behind {
				return stopAt(t, bound)
			}
		}
	}
	if limit > 0 && r.Seconds > limit {
		return stopAt(limit, 0)
	}
	m.Progress = tuner.NewProgress(r.UnitDone)
	return m, nil
}

func simulateTune(farm model.Farm, o simOptions, n0, lo, hi int, stdout io.Writer) error {
	b := &simBuilder{farm: farm, noise: o.noise, rng: rand.New(rand.NewPCG(o.seed, 0x5eed))}
	res, err := tuner.Run(context.Background(), b, tuner.Settings{
		FormulaJobs: n0, Min: lo, Max: hi, Budget: o.budget,
		Strategy: tuner.Strategy(o.strategy), NoEarlyAbort: o.noAbort, Load: farm.Master.Cores,
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tseconds\tstatus\tdistcc failures\ttrue seconds\t")
	for _, t := range res.Trials {
		fmt.Fprintf(tw, "%d\t%.1f\t%s\t%d\t%.1f\t\n", t.Jobs, t.WallSeconds, t.Status, t.DistccFailures, farm.Simulate(t.Jobs, 0, nil).Seconds)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	bestN, best := farm.Argmin(lo, hi)
	fmt.Fprintf(stdout, "\ntrue fastest: -j%d (%.1f s)\n", bestN, best.Seconds)
	if res.Recommended == nil {
		_, err := fmt.Fprintln(stdout, "no recommendation")
		return err
	}
	truth := farm.Simulate(res.Recommended.Jobs, 0, nil).Seconds
	fmt.Fprintf(stdout, "recommended: -j%d (%s)\n", res.Recommended.Jobs, res.Recommended.Reason)
	_, err = fmt.Fprintf(stdout, "its true time is %.1f%% above the fastest\n", 100*(truth/best.Seconds-1))
	if err == nil && o.plot != "" {
		err = render.Plot(o.plot, simulatedRecord(farm, o, n0, lo, hi, res), res.Analysis)
	}
	return err
}

// swapBytes is the swap a simulated build adds on the master.
func swapBytes(r model.SimResult) uint64 { return uint64(r.SwapMB * (1 << 20)) }

// benchFarm is one farm of the benchmark with its true answer.
type benchFarm struct {
	name    string
	farm    model.Farm
	noise   float64
	n0      int
	lo, hi  int
	truth   map[int]float64 // noise-free seconds by N
	failing map[int]bool    // N whose noise-free build jtune would call overloaded
	best    float64         // fastest noise-free time among N that do not fail
}

// benchFarms is the benchmark's fixed set: the seed farm with 6
// containers, and random farms of 1 to 64 hosts of each shape, with
// noise between 1% and 4%.
func benchFarms(seedFarm model.Farm, count int) []benchFarm {
	rng := rand.New(rand.NewPCG(2026, 11))
	farms := []benchFarm{newBenchFarm("seed (6 containers)", seedFarm.WithHosts(6), 0.02)}
	sizes := []int{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64}
	kinds := []string{"unimodal", "plateau", "wall"}
	for i := 0; len(farms) < count; i++ {
		kind, hosts := kinds[i%len(kinds)], sizes[(i/len(kinds)+i)%len(sizes)]
		noise := 0.01 + 0.03*rng.Float64()
		f := model.RandomFarm(rng, hosts, kind)
		farms = append(farms, newBenchFarm(fmt.Sprintf("%s, %d hosts", kind, hosts), f, noise))
	}
	return farms
}

func newBenchFarm(name string, f model.Farm, noise float64) benchFarm {
	n0, lo, hi := simRange(f)
	b := benchFarm{name: name, farm: f, noise: noise, n0: n0, lo: lo, hi: hi,
		truth: map[int]float64{}, failing: map[int]bool{}, best: math.Inf(1)}
	// A build fails when the tuner itself would call it overloaded: a few
	// fallbacks to a local compile are part of a normal distcc build.
	mostBelow := 0
	for _, r := range f.Curve(lo, hi) {
		below := []tuner.Trial{{Jobs: r.Jobs - 1, Status: tuner.StatusOK, Measurement: tuner.Measurement{DistccFailures: mostBelow}}}
		status, _ := tuner.Classify(tuner.Measurement{DistccFailures: r.Failures, SwapGrowthBytes: swapBytes(r)}, r.Jobs, below, 0)
		b.truth[r.Jobs] = r.Seconds
		b.failing[r.Jobs] = status != tuner.StatusOK
		if !b.failing[r.Jobs] {
			b.best = math.Min(b.best, r.Seconds)
		}
		mostBelow = max(mostBelow, r.Failures)
	}
	return b
}

// benchRun is the score of one tuning session.
type benchRun struct {
	hit    bool    // the recommendation's true time is within 2% of the best
	builds int     // builds run
	cost   float64 // time spent, in optimal builds
	regret float64 // true time of the recommendation over the best, minus 1
	failed bool    // recommended an N where builds fail
}

func benchOne(bf benchFarm, strategy tuner.Strategy, budget int, seed uint64) benchRun {
	b := &simBuilder{farm: bf.farm, noise: bf.noise, rng: rand.New(rand.NewPCG(seed, 0xbe4c))}
	res, err := tuner.Run(context.Background(), b, tuner.Settings{
		FormulaJobs: min(max(bf.n0, bf.lo), bf.hi), Min: bf.lo, Max: bf.hi, Budget: budget, Strategy: strategy,
		Load: bf.farm.Master.Cores,
	})
	run := benchRun{regret: math.Inf(1)}
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
	run.regret = bf.truth[n]/bf.best - 1
	run.hit = run.regret <= 0.02 && !bf.failing[n]
	run.failed = bf.failing[n]
	return run
}

// benchSummary aggregates the sessions of one strategy.
type benchSummary struct {
	strategy     tuner.Strategy
	runs         int
	hitRate      float64
	medianBuilds float64
	p90Builds    float64
	meanCost     float64
	worstRegret  float64
	failingRecs  int
}

func summarize(strategy tuner.Strategy, runs []benchRun) benchSummary {
	s := benchSummary{strategy: strategy, runs: len(runs)}
	var builds []float64
	hits := 0
	for _, r := range runs {
		if r.hit {
			hits++
		}
		if r.failed {
			s.failingRecs++
		}
		builds = append(builds, float64(r.builds))
		s.meanCost += r.cost
		s.worstRegret = math.Max(s.worstRegret, r.regret)
	}
	sort.Float64s(builds)
	s.hitRate = float64(hits) / float64(len(runs))
	s.meanCost /= float64(len(runs))
	s.medianBuilds = quantile(builds, 0.5)
	s.p90Builds = quantile(builds, 0.9)
	return s
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(math.Ceil(q*float64(len(sorted))))-1)]
}

// bench runs every strategy on every farm with seeds sessions each, on
// all CPUs; the result does not depend on scheduling.
func bench(farms []benchFarm, strategies []tuner.Strategy, budget, seeds int) []benchSummary {
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
	var out []benchSummary
	for i, s := range strategies {
		out = append(out, summarize(s, results[i]))
	}
	return out
}

// benchFarmCount is the number of farms in the benchmark: the seed farm
// and 30 random ones.
const benchFarmCount = 31

func runBench(o simOptions, stdout, stderr io.Writer) error {
	seedFarm, err := model.LoadFarm(seedFarmPath(o.farm))
	if err != nil {
		return err
	}
	farms := benchFarms(seedFarm, benchFarmCount)
	fmt.Fprintf(stderr, "jtune: benchmarking %d strategies on %d farms x %d seeds, budget %d ...\n",
		len(tuner.Strategies), len(farms), o.seeds, o.budget)
	return writeBench(stdout, bench(farms, tuner.Strategies, o.budget, o.seeds), len(farms), o.seeds, o.budget)
}

func seedFarmPath(flag string) string {
	if flag != "" {
		return flag
	}
	return "examples/farms/seed.json"
}

func writeBench(w io.Writer, sums []benchSummary, farms, seeds, budget int) error {
	fmt.Fprintf(w, "%d farms x %d seeds, budget %d builds; hit = within 2%% of the true best\n\n", farms, seeds, budget)
	fmt.Fprintln(w, "| strategy | hit rate | median builds | p90 builds | mean cost (optimal builds) | worst regret | failing recommendations |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, s := range sums {
		fmt.Fprintf(w, "| %s | %.1f%% | %.0f | %.0f | %.2f | %.1f%% | %d |\n", s.strategy, 100*s.hitRate,
			s.medianBuilds, s.p90Builds, s.meanCost, 100*s.worstRegret, s.failingRecs)
	}
	return nil
}

// simulatedRecord dresses a simulated session as a saved one, so jtune
// simulate --tune --plot draws it like a real session.
func simulatedRecord(farm model.Farm, o simOptions, n0, lo, hi int, res *tuner.Result) *session.Record {
	command := []string{"simulate", "--farm", o.farm}
	if o.hostsUsed > 0 {
		command = append(command, "--hosts-used", strconv.Itoa(o.hostsUsed))
	}
	var hosts []probe.Host
	for _, h := range farm.Hosts {
		hosts = append(hosts, probe.Host{Name: h.Name})
	}
	r := session.New(session.Record{
		Command: command, Hosts: hosts, FormulaJobs: n0, StartJobs: min(max(n0, lo), hi),
		Settings: session.Settings{Strategy: o.strategy, MinJobs: lo, MaxJobs: hi, Budget: o.budget},
	})
	r.Finish(res)
	return r
}
