package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"text/tabwriter"

	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/cmd/jtune/internal/ui"
	"github.com/jtune/jtune/model/sim"
	"github.com/jtune/jtune/probe/distcc"
	"github.com/jtune/jtune/tuner"
)

const simulateUsage = `jtune simulate predicts builds on a farm described in JSON, so you can see
how tuning would go before spending a night on real builds.

Usage:
  jtune simulate --farm FILE [--hosts-used K] [--jobs N | --min A --max B]
  jtune simulate --farm FILE --tune [--strategy S] [--budget K] [--seed S]
                 [--noise F]
  jtune simulate --farm FILE --online [--seed S] [--noise F] [--min A --max B]
  jtune simulate --bench [--seeds K] [--budget K]
  jtune simulate --bench --online [--seeds K] [--budget K]

--farm seed is the built-in farm of the seed study, the same as
examples/farms/seed.json, and works from any directory; any other value
is a file (write ./seed for a file named seed).

--online tunes within one simulated build, as jtune --online would: the
build runs under a jobserver whose N moves between windows, and its
machines' speed drifts by --noise while it runs. It prints the windows,
the recommendation, the build's time in builds at the best fixed N, and
whether the recommendation is within 3% of that N's time. With --bench,
it compares offline Bayesian search (--budget) with online tuning on the
benchmark's 31 farms at their own noise and again at 4% to 8%: hit rate,
cost and broken builds, in total, by noise level, by kind and by farm.

Examples:
  jtune simulate --farm seed --hosts-used 6 --min 10 --max 60
  jtune simulate --farm seed --hosts-used 6 --tune --seed 3
  jtune simulate --farm seed --hosts-used 6 --online --seed 3
  jtune simulate --farm examples/farms/seed.json --hosts-used 4 --jobs 30
  jtune simulate --bench --seeds 20
  jtune simulate --bench --online --seeds 2

Flags:
`

type simOptions struct {
	rangeFlags
	farm      string
	hostsUsed int
	jobs      int
	tune      bool
	online    bool
	bench     bool
	strategy  string
	// strategyGiven limits --bench to --strategy.
	strategyGiven bool
	budget        int
	seed          uint64
	seeds         int
	noise         float64
	noAbort       bool
	plot          string
	help          bool
}

func runSimulate(args []string, stdout, stderr io.Writer) error {
	o, err := parseSimulate(args, stdout, stderr)
	if err != nil {
		return err
	}
	if o.bench && o.online {
		return runOnlineBench(o, stdout, stderr)
	}
	if o.bench {
		return runBench(o, stdout, stderr)
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
	n0, rng := farm.SearchRange()
	if o.jobs > 0 {
		o.min, o.max = o.jobs, o.jobs
	}
	if rng, err = rng.Bound(o.min, o.max); err != nil {
		return usagef("--min %d --max %d: %w", o.min, o.max, err)
	}
	if o.tune {
		return simulateTune(farm, o, n0, rng, stdout)
	}
	if o.online {
		return simulateOnline(farm, o, n0, rng, stdout)
	}
	return simulateCurve(farm, n0, rng, stdout)
}

// parseSimulate reads and checks jtune simulate's command line.
func parseSimulate(args []string, stdout, stderr io.Writer) (simOptions, error) {
	var o simOptions
	fs := newFlagSet("jtune simulate", stderr)
	fs.StringVar(&o.farm, "farm", "", "farm description `FILE` (JSON), or seed for the built-in seed farm")
	fs.IntVar(&o.hostsUsed, "hosts-used", 0, "use only the first `K` hosts of the farm (default: all)")
	fs.IntVar(&o.jobs, "jobs", 0, "predict one build at -j`N`")
	o.rangeFlags.add(fs)
	fs.BoolVar(&o.tune, "tune", false, "run the real tuner against simulated builds")
	fs.BoolVar(&o.online, "online", false, "tune within one simulated build whose N moves while it runs; with --bench, compare that with offline tuning")
	fs.BoolVar(&o.bench, "bench", false, "measure the tuning quality of every strategy on the seed farm (or --farm) and 30 random farms")
	fs.StringVar(&o.strategy, "strategy", string(tuner.DefaultStrategy), "search `METHOD` for --tune, and the only one --bench measures when given: "+strategyNames())
	fs.IntVar(&o.budget, "budget", tuner.DefaultBudget, "most `BUILDS` per tuning session")
	fs.Uint64Var(&o.seed, "seed", 1, "`SEED` of the simulated noise, for --tune and --online")
	fs.IntVar(&o.seeds, "seeds", 20, "tuning `SESSIONS` per farm and strategy, for --bench")
	fs.Float64Var(&o.noise, "noise", -1, "relative noise of a build, a `FRACTION` such as 0.02, for --tune, --online and --bench, whose online form keeps its own (default: the farm's own)")
	fs.BoolVar(&o.noAbort, "no-early-abort", false, "let every simulated build finish")
	fs.StringVar(&o.plot, "plot", "", "with --tune, draw build time against N into `FILE`, .png or .svg")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err: err}
	}
	o.strategyGiven = fs.Changed("strategy")
	if o.help {
		fmt.Fprint(stdout, simulateUsage, ui.FlagHelp(fs, ui.HelpWidth(stdout)))
		return o, errHelp
	}
	if err := checkStrategy(o.strategy); err != nil {
		return o, err
	}
	if err := checkPlotPath(o.plot); err != nil {
		return o, err
	}
	if err := o.rangeFlags.validate(fs); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, strayWord(fs, args, fs.Arg(0))
	case o.budget < 1:
		return o, usagef("--budget %d must be at least 1", o.budget)
	case o.seeds < 1:
		return o, usagef("--seeds %d must be at least 1", o.seeds)
	case o.noise >= 1:
		return o, usagef("--noise %g must be below 1", o.noise)
	case o.jobs < 0:
		return o, usagef("--jobs %d must be at least 1", o.jobs)
	case o.online && o.tune:
		return o, usagef("--online and --tune are two ways to tune: choose one")
	case o.online && o.jobs > 0:
		return o, usagef("--online moves N itself: give a range with --min and --max, not --jobs")
	case !o.bench && o.farm == "":
		return o, usagef("--farm is required (or --bench), e.g. --farm seed")
	}
	return o, nil
}

// simulateCurve prints the noise-free build at each N of rng and the
// fastest of them.
func simulateCurve(farm sim.Farm, n0 int, rng tuner.Range, stdout io.Writer) error {
	lo, hi := rng.Min, rng.Max
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

// openSimFarm reads the farm named by --farm: the word seed is the
// built-in seed farm, anything else a file.
func openSimFarm(name string) (sim.Farm, error) {
	if name == "seed" {
		return sim.SeedFarm()
	}
	return sim.LoadFarm(name)
}

func simulateTune(farm sim.Farm, o simOptions, n0 int, rng tuner.Range, stdout io.Writer) error {
	lo, hi := rng.Min, rng.Max
	b := &sim.Builder{Farm: farm, Noise: o.noise, Rand: rand.New(rand.NewPCG(o.seed, 0x5eed))}
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
		err = render.Plot(o.plot, simulatedRecord(farm, o, n0, rng, res), res.Analysis)
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
	farms := sim.BenchFarms(seedFarm, sim.BenchFarmCount)
	if o.noise >= 0 {
		for i := range farms {
			farms[i].Noise = o.noise
		}
	}
	strategies := tuner.Strategies
	if o.strategyGiven {
		strategies = []tuner.Strategy{tuner.Strategy(o.strategy)}
	}
	fmt.Fprintf(stderr, "jtune: benchmarking %d strategies on %d farms x %d seeds, budget %d ...\n",
		len(strategies), len(farms), o.seeds, o.budget)
	return sim.WriteBench(stdout, sim.Bench(farms, strategies, o.budget, o.seeds), len(farms), o.seeds, o.budget, o.noise)
}

// simulatedRecord dresses a simulated session as a saved one, so jtune
// simulate --tune --plot draws it like a real session.
func simulatedRecord(farm sim.Farm, o simOptions, n0 int, rng tuner.Range, res *tuner.Result) *session.Record {
	command := []string{"simulate", "--farm", o.farm}
	if o.hostsUsed > 0 {
		command = append(command, "--hosts-used", strconv.Itoa(o.hostsUsed))
	}
	var hosts []distcc.Host
	for _, h := range farm.Hosts {
		hosts = append(hosts, distcc.Host{Name: h.Name})
	}
	r := session.New(session.Record{
		Command: command, Hosts: hosts, FormulaJobs: n0, StartJobs: rng.Clamp(n0),
		Settings: session.Settings{Strategy: o.strategy, MinJobs: rng.Min, MaxJobs: rng.Max, Budget: o.budget},
	})
	r.Finish(res)
	return r
}

// simulateOnline tunes within one live build of the farm, prints its
// windows, and judges the recommendation and the build's time against
// the noise-free curve over rng.
func simulateOnline(farm sim.Farm, o simOptions, n0 int, rng tuner.Range, stdout io.Writer) error {
	noise := o.noise
	if noise < 0 {
		noise = farm.Noise.RelativeSD
	}
	n0 = rng.Clamp(n0)
	sp := tuner.OnlineSpace{Min: rng.Min, Max: rng.Max, Start: n0}
	res, err := sim.TuneOnline(context.Background(), farm, noise, rand.New(rand.NewPCG(o.seed, 0x0411e)), n0, rng)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "one build from -j%d, ramping to -j%d (half the formula's N0 = %d), in %s; speed drifting by %.1f%%\n\n",
		tuner.OnlineStart(sp), tuner.OnlineTarget(sp), n0, rng, 100*noise)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tstart s\tseconds\tjobs\tjobs/s\tfailures\tfair\t")
	for _, w := range res.Windows {
		fair := "yes"
		if !w.Fair {
			fair = w.Cause
		}
		fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%d\t%.2f\t%d\t%s\t\n", w.Jobs, w.StartSeconds, w.Seconds, w.Completed, w.Throughput, w.Failures, fair)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	bf := sim.JudgeFarm(farm.Name, farm, noise, n0, rng)
	bestN, best := bf.Best()
	if bestN == 0 {
		_, err := fmt.Fprintf(stdout, "\nevery N in %s fails: no best fixed N to compare with\n", rng)
		return err
	}
	fmt.Fprintf(stdout, "\nbest fixed N: -j%d (%.1f s noise-free; N whose builds fail are left out)\n", bestN, best)
	fin := res.Final
	if fin.ExitCode != 0 {
		fmt.Fprintf(stdout, "the build BROKE at %.1f s: the master ran out of memory and swap (exit status %d)\n", fin.Seconds, fin.ExitCode)
	} else {
		fmt.Fprintf(stdout, "the build took %.1f s, %.3f builds at the best fixed N; %.0f%% of its compile jobs were measured in fair windows\n",
			fin.Seconds, fin.Seconds/best, 100*res.MeasuredShare)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w.Message)
	}
	if res.Recommended == nil {
		_, err := fmt.Fprintln(stdout, "no recommendation: no window was fair")
		return err
	}
	rec := res.Recommended.Jobs
	fmt.Fprintf(stdout, "recommended: -j%d (%s)\n", rec, res.Recommended.Reason)
	secs, failing, _ := bf.Truth(rec)
	verdict := "a miss"
	if bf.Hit(rec) {
		verdict = "a hit"
	}
	if failing {
		_, err = fmt.Fprintf(stdout, "its builds fail (distcc failures, swap or memory): %s\n", verdict)
		return err
	}
	_, err = fmt.Fprintf(stdout, "its fixed-N time is %.1f s, %.1f%% above the best: %s (within %.0f%%)\n",
		secs, 100*(secs/best-1), verdict, 100*sim.OnlineHitTolerance)
	return err
}

// runOnlineBench compares offline Bayesian search with online tuning on
// the online benchmark's farms.
func runOnlineBench(o simOptions, stdout, stderr io.Writer) error {
	name := o.farm
	if name == "" {
		name = "seed"
	}
	seedFarm, err := openSimFarm(name)
	if err != nil {
		return err
	}
	farms := sim.OnlineBenchFarms(seedFarm, sim.BenchFarmCount)
	fmt.Fprintf(stderr, "jtune: offline bayes (budget %d) against online tuning on %d farms x %d seeds ...\n", o.budget, len(farms), o.seeds)
	return sim.WriteOnlineBench(stdout, sim.OnlineBench(farms, o.seeds, o.budget), o.seeds, o.budget)
}
