package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// options are the parsed command line.
type options struct {
	hosts          string
	cores          int
	minJobs        int
	maxJobs        int
	budget         int
	strategy       string
	maxLoad        float64
	noEarlyAbort   bool
	load           int
	prepare        string
	timeout        time.Duration
	tolerance      float64
	sampleInterval time.Duration
	state          string
	resume         bool
	noHostCheck    bool
	pump           bool
	maxTemp        float64
	resumeTemp     float64
	critTemp       float64
	sensor         string
	requireTemp    bool
	makeConf       string
	writeMakeConf  string
	diff           bool
	timeBudget     time.Duration
	json           bool
	plot           string
	quiet          bool
	noColor        bool
	version        bool
	help           bool

	command  []string
	hostsSet bool
}

func newFlagSet(o *options, stderr io.Writer) *pflag.FlagSet {
	cpus := runtime.NumCPU()
	fs := pflag.NewFlagSet("jtune", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	// The command's own flags (make -C dir) must not be taken for ours.
	fs.SetInterspersed(false)
	fs.SortFlags = false
	fs.StringVar(&o.hosts, "hosts", "", "distcc host `list` in DISTCC_HOSTS syntax, e.g. \"localhost/2 buildbox/8,lzo\".\nDefault: $DISTCC_HOSTS, then $DISTCC_DIR/hosts (~/.distcc/hosts), then /etc/distcc/hosts,\nelse this machine alone")
	fs.BoolVar(&o.noHostCheck, "no-host-check", false, "do not check before tuning that each TCP distcc host answers on its port;\nby default a host that does not answer within 2 s is left out of the formula")
	fs.BoolVar(&o.pump, "pump", false, "run the command under distcc's pump wrapper (pump, or Debian's distcc-pump),\nfor ,cpp,lzo hosts: jtune --pump --hosts \"h1/8,cpp,lzo\" -- make CC=\"distcc gcc\"")
	fs.IntVar(&o.cores, "cores", cpus, "`cores` of each host that has no /LIMIT, for the formula, e.g. --cores 4")
	fs.IntVar(&o.minJobs, "min", 0, "smallest `N` to try, e.g. --min 4 (default: this machine's CPUs)")
	fs.IntVar(&o.maxJobs, "max", 0, "largest `N` to try, e.g. --max 64 (default: max(4 x N0, distcc slot sum))")
	fs.IntVar(&o.budget, "budget", tuner.DefaultBudget, "most `builds` to run, repeats included, e.g. --budget 12")
	fs.StringVar(&o.strategy, "strategy", string(tuner.DefaultStrategy), "search `method`: bayes (Gaussian-process model, expected improvement),\ngolden (golden-section from N0, noise-aware)\nor grid (evenly spaced N, like hyperfine --parameter-scan)")
	fs.Float64Var(&o.maxLoad, "max-load", 0, "mark a build overloaded when the load average goes above `L`, e.g. --max-load 8 (default: no limit)")
	fs.BoolVar(&o.noEarlyAbort, "no-early-abort", false, "let every build finish; by default a build 15% slower than the best so far\nis stopped and kept as a lower bound (status aborted)")
	fs.IntVar(&o.load, "load", cpus, "the make -l `M` value passed with every build and recommended, e.g. --load 2;\n0 leaves -l out")
	fs.StringVar(&o.prepare, "prepare", "", "`command` run with sh -c before every build and not timed,\ne.g. --prepare \"make clean\" or --prepare \"make clean && ccache -C\"")
	fs.Float64Var(&o.maxTemp, "max-temp", 85, "pause the build (SIGSTOP to its process group) when the CPU reaches `C` degrees,\nand wait before each build until it has cooled; 0 turns the thermal guard off")
	fs.Float64Var(&o.resumeTemp, "resume-temp", 0, "resume a paused build, or start the next one, at `C` degrees (default: --max-temp - 10)")
	fs.Float64Var(&o.critTemp, "crit-temp", 0, "stop the build and the session (exit 3) at `C` degrees\n(default: the sensor's own critical value, or --max-temp + 10)")
	fs.StringVar(&o.sensor, "sensor", "", "temperature sensor `key` to watch, e.g. --sensor k10temp_tctl\n(default: the hottest CPU package or core sensor)")
	fs.BoolVar(&o.requireTemp, "require-temp", false, "fail when the machine has no temperature sensor, instead of tuning unguarded")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop a build that runs longer than `DURATION` and record it as timeout, e.g. --timeout 20m (default: no limit)")
	fs.Float64Var(&o.tolerance, "tolerance", 0.01, "recommend the smallest N within this `fraction` of the fastest build, e.g. --tolerance 0.02")
	fs.DurationVar(&o.sampleInterval, "sample-interval", time.Second, "how often to read load, temperature and memory during a build, e.g. --sample-interval 500ms")
	fs.StringVar(&o.state, "state", "jtune-state.json", "`file` rewritten after every build with everything measured so far;\nan existing file is kept as FILE.bak first")
	fs.BoolVar(&o.resume, "resume", false, "continue the session in --state after a crash, power loss or Ctrl-C,\nwithout building again what finished; the command and hosts must be the same")
	fs.DurationVar(&o.timeBudget, "time-budget", 0, "do not start a build that past builds say would not finish within `DURATION`\nof this run, e.g. --time-budget 8h (default: no limit)")
	makeConfFlags(fs, &o.makeConf, &o.writeMakeConf, &o.diff)
	fs.BoolVar(&o.json, "json", false, "print the final report as JSON on stdout (progress still goes to stderr)")
	fs.StringVar(&o.plot, "plot", "", "draw build time against N into `FILE`, PNG or SVG by its extension,\ne.g. --plot tuning.png; jtune report draws it again from a state file")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print no progress on stderr, only the result on stdout")
	fs.BoolVar(&o.noColor, "no-color", false, "no colour in progress or in the text report (also when NO_COLOR is set,\nand on any stream that is not a terminal)")
	fs.BoolVar(&o.version, "version", false, "print jtune's version and exit")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help and exit")
	fs.Usage = func() {}
	return fs
}

const usageHead = `jtune finds the make -j value that builds a tree fastest, by running real
builds at different N and watching the master for overload (load, CPU
temperature, memory, distcc "failed to distribute" lines). It starts from
the rule of thumb N0 = 2 x total cores + 1 and prints MAKEOPTS="-jN -lM".

Usage:
  jtune [flags] -- COMMAND [ARG...]
  jtune recommend --help     MAKEOPTS from a finished session or the formula, no build
  jtune simulate --help      predict and tune builds on a simulated farm
  jtune report --help        show a saved session again: text, JSON, CSV, Markdown or a plot

N reaches the build three ways: {N} and {M} in any argument are replaced by
the job and load values; if there is no placeholder and COMMAND is make,
gmake or ninja, -jN -lM is appended; and every build gets MAKEOPTS="-jN -lM",
JTUNE_JOBS=N and JTUNE_LOAD=M in its environment (and DISTCC_HOSTS with
--hosts), so emerge and scripts work too.

Examples:
  jtune --prepare "make -C examples/cproject clean" -- make -C examples/cproject
  jtune --hosts "localhost/2 buildbox/4 oldbox/4" --prepare "make clean" -- make CC="distcc gcc"
  jtune --strategy grid --min 2 --max 24 --budget 6 -- ninja -C build
  jtune --json -- sh -c 'make -j{N} -l{M} vmlinux'
  jtune --plot tuning.png --prepare "make clean" -- make CC="distcc gcc"

Flags:
`

const usageTail = `
Exit status: 0 success, 1 runtime failure (the first build failed, a
prepare command failed), 2 bad command line, 3 the CPU reached its critical
temperature (the state is saved; continue with --resume), 130 after Ctrl-C
(the best result so far is still printed and saved).
`

func printUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprint(w, usageHead)
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprint(w, usageTail)
}

// run is jtune without the process around it: it parses args, tunes, and
// writes the result to stdout and progress to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "simulate":
			return runSimulate(args[1:], stdout, stderr)
		case "recommend":
			return runRecommend(args[1:], stdout, stderr)
		case "report":
			return runReport(args[1:], stdout, stderr)
		}
	}
	var o options
	fs := newFlagSet(&o, stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if o.help {
		printUsage(stdout, fs)
		return errHelp
	}
	if o.version {
		fmt.Fprintf(stdout, "jtune %s\n", version)
		return errHelp
	}
	o.command = fs.Args()
	if o.pump && len(o.command) > 0 {
		o.command = append([]string{pumpProgram()}, o.command...)
	}
	o.hostsSet = fs.Changed("hosts")
	if err := o.validate(fs); err != nil {
		return err
	}
	f, err := loadFarm(o.hosts, o.hostsSet, os.Getenv, "/etc")
	if err != nil {
		return err
	}
	ctx, stop := interruptContext(stderr)
	defer stop()
	var hostWarnings []string
	if !o.noHostCheck {
		hostWarnings = f.checkHosts(ctx)
	}
	return tune(ctx, o, f, hostWarnings, stdout, stderr)
}

func (o *options) validate(fs *pflag.FlagSet) error {
	switch {
	case len(o.command) == 0:
		return usagef("no command to tune: jtune [flags] -- COMMAND [ARG...], e.g. jtune -- make")
	case o.cores < 1:
		return usagef("--cores %d must be at least 1", o.cores)
	case fs.Changed("min") && o.minJobs < 1:
		return usagef("--min %d must be at least 1", o.minJobs)
	case fs.Changed("max") && o.maxJobs < 1:
		return usagef("--max %d must be at least 1", o.maxJobs)
	case o.budget < 1:
		return usagef("--budget %d must be at least 1", o.budget)
	case o.maxLoad < 0:
		return usagef("--max-load %g must not be negative", o.maxLoad)
	case o.load < 0:
		return usagef("--load %d must not be negative", o.load)
	case o.timeout < 0:
		return usagef("--timeout %s must not be negative", o.timeout)
	case o.tolerance < 0 || o.tolerance >= 1:
		return usagef("--tolerance %g must be in [0, 1)", o.tolerance)
	case o.sampleInterval <= 0:
		return usagef("--sample-interval %s must be positive", o.sampleInterval)
	case o.state == "":
		return usagef("--state must name a file")
	case o.diff && o.writeMakeConf == "":
		return usagef("--diff needs --write-makeconf")
	case o.maxTemp < 0:
		return usagef("--max-temp %g must not be negative", o.maxTemp)
	case o.resumeTemp < 0 || (o.maxTemp > 0 && o.resumeTemp >= o.maxTemp):
		return usagef("--resume-temp %g must be below --max-temp %g", o.resumeTemp, o.maxTemp)
	case o.critTemp < 0 || (o.critTemp > 0 && o.critTemp <= o.maxTemp):
		return usagef("--crit-temp %g must be above --max-temp %g", o.critTemp, o.maxTemp)
	case o.timeBudget < 0:
		return usagef("--time-budget %s must not be negative", o.timeBudget)
	}
	if _, err := tuner.NextFor(tuner.Strategy(o.strategy)); err != nil {
		return usagef("--strategy %q isn't one of %s", o.strategy, strategyNames())
	}
	return checkPlotPath(o.plot)
}

func strategyNames() string {
	var names []string
	for _, s := range tuner.Strategies {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

// interruptContext is cancelled by the first SIGINT or SIGTERM, so the
// running build is stopped and the best result so far is saved and shown.
// A second signal exits at once.
func interruptContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigc:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "\njtune: stopping the build and saving (press Ctrl-C again to quit at once)")
		cancel()
		select {
		case <-sigc:
			fmt.Fprintln(stderr, "jtune: quit")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigc)
		close(done)
		cancel()
	}
}

// plan is the resolved session: the farm, the formula and the range.
type plan struct {
	farm      farm
	localCPUs int
	formulaN  int
	formula   string
	minJobs   int
	maxJobs   int
	load      int
	strategy  tuner.Strategy
	budget    int
	tolerance float64
	maxLoad   float64
	timeout   time.Duration
	// earlyAbort stops builds already clearly slower than the best.
	earlyAbort bool
	prepare    string
	command    []string
	statePath  string
}

func makePlan(o options, f farm, localCPUs int) (plan, error) {
	p := plan{
		farm: f, localCPUs: localCPUs, load: o.load, strategy: tuner.Strategy(o.strategy),
		budget: o.budget, tolerance: o.tolerance, maxLoad: o.maxLoad, timeout: o.timeout, earlyAbort: !o.noEarlyAbort,
		prepare: o.prepare, command: o.command, statePath: o.state,
	}
	formula, err := f.formula(p.localCPUs, o.cores)
	if err != nil {
		return p, usagef("--cores %d: %w", o.cores, err)
	}
	p.formulaN, p.formula = formula.Jobs, formula.Text
	p.minJobs, p.maxJobs = o.minJobs, o.maxJobs
	if p.minJobs == 0 {
		p.minJobs = min(p.localCPUs, p.formulaN)
	}
	if p.maxJobs == 0 {
		p.maxJobs = max(4*p.formulaN, f.slotSum(), p.minJobs)
	}
	switch {
	case p.minJobs > p.maxJobs:
		return p, usagef("--min %d is above --max %d", p.minJobs, p.maxJobs)
	case p.formulaN < p.minJobs || p.formulaN > p.maxJobs:
		return p, usagef("the range --min %d --max %d must contain the formula's N0 = %d (%s)", p.minJobs, p.maxJobs, p.formulaN, p.formula)
	}
	return p, nil
}

func tune(ctx context.Context, o options, f farm, hostWarnings []string, stdout, stderr io.Writer) error {
	p, err := makePlan(o, f, runtime.NumCPU())
	if err != nil {
		return err
	}
	out := newProgress(stderr, o.quiet, o.noColor)
	out.header(p)

	rep := newReport(p)
	for _, w := range append(hostWarnings, makeConfWarnings(o.makeConf, f)...) {
		rep.Warnings = append(rep.Warnings, w)
		out.warn(w)
	}
	var state *stateFile
	var prior []tuner.Trial
	if o.resume {
		var old *report
		if state, old, err = resumeState(p.statePath); err != nil {
			return err
		}
		if err := sameSession(p.statePath, old, rep); err != nil {
			state.close()
			return err
		}
		prior = old.Trials
		rep.Trials = prior
		for _, w := range old.Warnings {
			if !slices.Contains(rep.Warnings, w) { // this run found many of them again
				rep.Warnings = append(rep.Warnings, w)
			}
		}
		out.printf("jtune: resuming %s: %d builds done\n", p.statePath, len(prior))
	} else if state, err = openState(p.statePath); err != nil {
		return err
	}
	defer state.close()
	if state.backup != "" {
		w := fmt.Sprintf("the earlier state file was kept as %s", state.backup)
		rep.Warnings = append(rep.Warnings, w)
		out.warn(w)
	}
	if err := state.save(rep); err != nil {
		return err
	}
	// distcc gets the list exactly as the user wrote it.
	distccHosts := ""
	if o.hostsSet {
		distccHosts = strings.TrimSpace(o.hosts)
	}
	runner := &probe.Runner{
		Command: p.command, Prepare: p.prepare, Timeout: p.timeout,
		SampleInterval: o.sampleInterval, DistccHosts: distccHosts,
		Sampler: probe.SystemSampler{Sensor: o.sensor},
	}
	guardWarning, err := thermalGuard(ctx, o, runner, out)
	if err != nil {
		return err
	}
	if guardWarning != "" {
		rep.Warnings = append(rep.Warnings, guardWarning)
		out.warn(guardWarning)
	}
	// The live display measures the first build against a full build of
	// the earlier session, when that was the same command.
	out.history(prior, earlierCompileLines(state.backup, rep.Command))
	runner.Progress = out.status
	defer out.stopLive()
	settings := tuner.Settings{
		FormulaJobs: p.formulaN, Min: p.minJobs, Max: p.maxJobs, Load: p.load,
		Budget: p.budget, Strategy: p.strategy, Tolerance: p.tolerance, MaxLoad: p.maxLoad,
		NoEarlyAbort: !p.earlyAbort, Prior: prior, TimeBudget: o.timeBudget,
		OnStart: func(jobs, index int) { out.buildStart(jobs, index, p.budget) },
		OnTrial: func(trials []tuner.Trial) error {
			out.buildDone(trials)
			rep.Trials = trials
			return state.save(rep)
		},
	}
	res, runErr := tuner.Run(ctx, runner, settings)
	if res == nil {
		return runErr
	}
	rep.finish(res)
	if err := state.save(rep); err != nil && runErr == nil {
		runErr = err
	}
	var broken *tuner.BrokenCommandError
	switch {
	case errors.As(runErr, &broken):
		out.brokenCommand(broken)
		return fmt.Errorf("%w; fix the command and run again (its stderr is above)", runErr)
	case errors.Is(runErr, tuner.ErrCriticalTemp):
		return criticalError{fmt.Errorf("%w; the build was stopped and the state saved in %s: let the machine cool and check its cooling, then continue with --resume", runErr, p.statePath)}
	case runErr != nil && !errors.Is(runErr, tuner.ErrInterrupted):
		return runErr
	}
	// The table and recommendation go to stderr too, unless the text
	// report is about to show them in the same place.
	if o.json || !sameFile(stdout, stderr) {
		out.sessionEnd(rep)
	}
	if o.json {
		err = writeJSON(stdout, rep)
	} else {
		err = writeTextStyle(stdout, rep, terminalStyle(stdout, o.noColor))
	}
	if err != nil {
		return err
	}
	if o.plot != "" {
		if err := writePlot(o.plot, rep); err != nil {
			return err
		}
		out.printf("jtune: plot written to %s\n", o.plot)
	}
	if errors.Is(runErr, tuner.ErrInterrupted) {
		return errInterrupted
	}
	if rep.Recommended == nil {
		return errors.New("no build finished cleanly, so there is nothing to recommend")
	}
	if o.writeMakeConf != "" {
		// The report went to stdout; the diff goes to stderr so --json
		// output stays one JSON object.
		return writeMakeConf(o.writeMakeConf, rep.MakeOpts, o.diff, stderr, stderr)
	}
	return nil
}

// sameSession refuses to resume a state made for another command or farm:
// its times would mean nothing for this one.
func sameSession(path string, old, now *report) error {
	switch {
	case strings.Join(old.Command, "\x00") != strings.Join(now.Command, "\x00"):
		return usagef("--resume: %s was made for the command %q, not %q; run without --resume or pass another --state",
			path, strings.Join(old.Command, " "), strings.Join(now.Command, " "))
	case old.HostsSpec != now.HostsSpec:
		return usagef("--resume: %s was made for the hosts %q, not %q; run without --resume or pass another --state",
			path, old.HostsSpec, now.HostsSpec)
	}
	return nil
}

// thermalGuard sets up the runner's thermal guard from the flags. A
// machine without a sensor tunes unguarded with a warning, or fails with
// --require-temp.
func thermalGuard(ctx context.Context, o options, r *probe.Runner, out *progress) (warning string, err error) {
	if o.maxTemp == 0 {
		return "", nil
	}
	sampler := probe.SystemSampler{Sensor: o.sensor}
	if !probe.HasTemperature(ctx, sampler) {
		what := "this machine has no temperature sensor"
		if o.sensor != "" {
			what = fmt.Sprintf("there is no temperature sensor %q", o.sensor)
		}
		if o.requireTemp {
			return "", fmt.Errorf("--require-temp: %s; run without it to tune unguarded", what)
		}
		return what + ": the thermal guard is off", nil
	}
	policy := probe.ThermalPolicy{MaxC: o.maxTemp, ResumeC: o.resumeTemp, CritC: o.critTemp}
	if policy.CritC == 0 {
		policy.CritC = o.maxTemp + 10
		if c, ok := probe.CriticalTemp(sampler); ok && c > o.maxTemp {
			policy.CritC = c
		}
	}
	r.Thermal = policy
	r.CoolDown = out.coolDown(policy.Resume())
	return "", nil
}

// pumpProgram is distcc's pump wrapper: "pump" upstream, "distcc-pump"
// in Debian and Ubuntu, which install no "pump".
func pumpProgram() string {
	if _, err := exec.LookPath("pump"); err == nil {
		return "pump"
	}
	if _, err := exec.LookPath("distcc-pump"); err == nil {
		return "distcc-pump"
	}
	return "pump" // the error then names the upstream name
}
