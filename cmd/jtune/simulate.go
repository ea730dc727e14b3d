package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/jtune/jtune/model/sim"
	"github.com/jtune/jtune/tuner"
)

const simulateUsage = `jtune simulate predicts builds on a farm described in JSON, so you can see
how tuning would go before spending a night on real builds.

Usage:
  jtune simulate --farm FILE [--hosts-used K] [--jobs N | --min A --max B]
  jtune simulate --farm FILE --tune [--strategy S] [--budget K] [--seed S] [--noise F]
  jtune simulate --bench [--seeds K] [--budget K]

--farm seed is the built-in farm of the seed study, the same as
examples/farms/seed.json, and works from any directory; any other value
is a file (write ./seed for a file named seed).

Examples:
  jtune simulate --farm seed --hosts-used 6 --min 10 --max 60
  jtune simulate --farm seed --hosts-used 6 --tune --seed 3
  jtune simulate --farm examples/farms/seed.json --hosts-used 4 --jobs 30
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
	fs.StringVar(&o.farm, "farm", "", "farm description `file` (JSON), or seed for the built-in seed farm")
	fs.IntVar(&o.hostsUsed, "hosts-used", 0, "use only the first `K` hosts of the farm, e.g. --hosts-used 6 (default: all)")
	fs.IntVar(&o.jobs, "jobs", 0, "predict one build at -j`N`")
	fs.IntVar(&o.minJobs, "min", 0, "smallest `N` of the curve or search (default: the master's cores)")
	fs.IntVar(&o.maxJobs, "max", 0, "largest `N` of the curve or search (default: max(4 x N0, slot sum))")
	fs.BoolVar(&o.tune, "tune", false, "run the real tuner against simulated builds")
	fs.BoolVar(&o.bench, "bench", false, "measure the tuning quality of every strategy on the seed farm (or --farm) and 30 random farms")
	fs.StringVar(&o.strategy, "strategy", string(tuner.DefaultStrategy), "search `method` for --tune: "+strategyNames())
	fs.IntVar(&o.budget, "budget", tuner.DefaultBudget, "most `builds` per tuning session")
	fs.Uint64Var(&o.seed, "seed", 1, "`seed` of the simulated noise, for --tune")
	fs.IntVar(&o.seeds, "seeds", 20, "tuning sessions per farm and strategy, for --bench")
	fs.Float64Var(&o.noise, "noise", -1, "relative noise of a build `fraction`, e.g. 0.02 (default: the farm's own)")
	fs.BoolVar(&o.noAbort, "no-early-abort", false, "let every simulated build finish")
	fs.StringVar(&o.plot, "plot", "", "with --tune, draw build time against N into `FILE` (.png or .svg)")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help and exit")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if o.help {
		fmt.Fprint(stdout, simulateUsage+fs.FlagUsages())
		return errHelp
	}
	if _, err := tuner.NextFor(tuner.Strategy(o.strategy)); err != nil {
		return usagef("--strategy %q isn't one of %s", o.strategy, strategyNames())
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
		return usagef("--farm is required (or --bench), e.g. --farm seed")
	}
	farm, err := openSimFarm(o.farm)
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
	return simulateCurve(farm, n0, lo, hi, stdout)
}

// simulateCurve prints the noise-free build at each N in [lo, hi] and the
// fastest of them.
func simulateCurve(farm sim.Farm, n0, lo, hi int, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tseconds\tdistcc failures\tmaster load\t")
	for _, r := range farm.Curve(lo, hi) {
		fmt.Fprintf(tw, "%d\t%.1f\t%d\t%.1f\t\n", r.Jobs, r.Seconds, r.Failures, r.MeanMasterLoad)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	best, r := farm.Argmin(lo, hi)
	_, err := fmt.Fprintf(stdout, "\nformula N0 = %d; fastest predicted: -j%d (%.1f s)\n", n0, best, r.Seconds)
	return err
}

// simRange is what jtune would use on this farm: N0 = 2 x cores + 1 with
// each physical machine counted once, and the default search range.
func simRange(f sim.Farm) (n0, lo, hi int) {
	n0 = 2*f.TotalCores() + 1
	lo = min(f.Master.Cores, n0)
	return n0, lo, max(4*n0, f.SlotSum())
}

// openSimFarm reads the farm named by --farm: the word seed is the
// built-in seed farm, anything else a file.
func openSimFarm(name string) (sim.Farm, error) {
	if name == "seed" {
		return sim.SeedFarm()
	}
	return sim.LoadFarm(name)
}

func simulateTune(farm sim.Farm, o simOptions, n0, lo, hi int, stdout io.Writer) error {
	b := &sim.Builder{Farm: farm, Noise: o.noise, Rand: rand.New(rand.NewPCG(o.seed, 0x5eed))}
	res, err := tuner.Run(context.Background(), b, tuner.Settings{
		FormulaJobs: min(max(n0, lo), hi), Min: lo, Max: hi, Budget: o.budget,
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
		err = writePlot(o.plot, simulatedReport(farm, o, min(max(n0, lo), hi), lo, hi, res))
	}
	return err
}

func runBench(o simOptions, stdout, stderr io.Writer) error {
	name := o.farm
	if name == "" {
		name = "seed"
	}
	seedFarm, err := openSimFarm(name)
	if err != nil {
		return err
	}
	farms := sim.BenchFarms(seedFarm, sim.BenchFarmCount, simRange)
	fmt.Fprintf(stderr, "jtune: benchmarking %d strategies on %d farms x %d seeds, budget %d ...\n",
		len(tuner.Strategies), len(farms), o.seeds, o.budget)
	return sim.WriteBench(stdout, sim.Bench(farms, tuner.Strategies, o.budget, o.seeds), len(farms), o.seeds, o.budget)
}
