package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jtune/jtune/cmd/jtune/internal/farm"
	"github.com/jtune/jtune/cmd/jtune/internal/interrupt"
	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/cmd/jtune/internal/ui"
	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// tuneOptions are the command line of a tuning session.
type tuneOptions struct {
	hostFlags
	rangeFlags
	makeConfFlags
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
	pump           bool
	maxTemp        float64
	resumeTemp     float64
	critTemp       float64
	sensor         string
	requireTemp    bool
	timeBudget     time.Duration
	json           bool
	plot           string
	online         bool
	quiet          bool
	noColor        bool
	version        bool
	help           bool

	command []string
	changed func(flag string) bool // the flag was given on the command line
	plan    probe.OnlinePlan       // with --online: how the command runs under jtune's jobserver
}

func newTuneFlags(o *tuneOptions, stderr io.Writer) *pflag.FlagSet {
	fs := newFlagSet("jtune", stderr)
	// The command's own flags (make -C dir) must not be taken for ours.
	fs.SetInterspersed(false)
	o.hostFlags.add(fs)
	fs.BoolVar(&o.pump, "pump", false, "run the command under distcc's pump wrapper (pump, or Debian's distcc-pump), for ,cpp,lzo hosts")
	o.rangeFlags.add(fs)
	fs.IntVar(&o.budget, "budget", tuner.DefaultBudget, "most `BUILDS` to run, repeats included")
	fs.StringVar(&o.strategy, "strategy", string(tuner.DefaultStrategy), "search `METHOD`: bayes (a Gaussian-process model of build time), golden (golden-section search from N0) or grid (evenly spaced N)")
	fs.Float64Var(&o.maxLoad, "max-load", 0, "a build whose load average goes above `L` is overloaded (default: no limit)")
	fs.BoolVar(&o.noEarlyAbort, "no-early-abort", false, "let every build finish; by default a build already 15% slower than the best is stopped and kept as a lower bound")
	fs.IntVar(&o.load, "load", runtime.NumCPU(), "the make -l value `M` passed with every build and recommended; 0 leaves -l out")
	fs.StringVar(&o.prepare, "prepare", "", "`COMMAND` run with sh -c before every build, not timed, e.g. \"make clean\"")
	fs.Float64Var(&o.maxTemp, "max-temp", 85, "pause the build (SIGSTOP) when the CPU reaches `C` degrees, and wait before each build until it has cooled; 0 turns the guard off")
	fs.Float64Var(&o.resumeTemp, "resume-temp", 0, "resume a paused build, or start the next, at `C` degrees (default: --max-temp - 10)")
	fs.Float64Var(&o.critTemp, "crit-temp", 0, "stop the build and the session (exit 3) at `C` degrees (default: the sensor's critical value, or --max-temp + 10)")
	fs.StringVar(&o.sensor, "sensor", "", "temperature sensor `KEY` to watch, e.g. k10temp_tctl (default: the hottest CPU sensor)")
	fs.BoolVar(&o.requireTemp, "require-temp", false, "fail on a machine without a temperature sensor instead of tuning unguarded")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop a build that runs longer than `DURATION`, e.g. 20m, and record it as timeout (default: no limit)")
	fs.Float64Var(&o.tolerance, "tolerance", 0.01, "recommend the smallest N within this `FRACTION` of the fastest build")
	fs.DurationVar(&o.sampleInterval, "sample-interval", time.Second, "`DURATION` between readings of load, temperature and memory during a build")
	fs.StringVar(&o.state, "state", "jtune-state.json", "`FILE` rewritten after every build with all that was measured; a file an earlier session left is kept as FILE.bak")
	fs.BoolVar(&o.resume, "resume", false, "continue the session in --state after a crash, power loss or Ctrl-C, without building again what finished")
	fs.DurationVar(&o.timeBudget, "time-budget", 0, "start no build that would not finish within `DURATION` of this run, e.g. 8h (default: no limit)")
	o.makeConfFlags.add(fs)
	fs.BoolVar(&o.online, "online", false, "tune within one build: jtune is make's jobserver and moves N while the build runs (make 4.3 and later, ninja 1.13 and later, emerge with make 4.4 and later)")
	fs.BoolVar(&o.json, "json", false, "print the final report as JSON on stdout")
	fs.StringVar(&o.plot, "plot", "", "draw build time against N into `FILE`, .png or .svg")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print no progress on stderr")
	fs.BoolVar(&o.noColor, "no-color", false, "no colour (also with NO_COLOR set, and on a stream that is not a terminal)")
	fs.BoolVar(&o.version, "version", false, "print jtune's version")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help")
	return fs
}

const usageHead = `jtune finds the make -j value that builds a tree fastest, by running real
builds at different N and watching the master for overload (load, CPU
temperature, memory, distcc "failed to distribute" lines). It starts from
the rule of thumb N0 = 2 x total cores + 1 and prints MAKEOPTS="-jN -lM".

Usage:
  jtune [flags] -- COMMAND [ARG...]
  jtune recommend [flags]   MAKEOPTS without a build, from a session or N0
  jtune simulate [flags]    predict and tune builds on a simulated farm
  jtune report STATE        show a saved session: text, JSON, CSV, Markdown
  jtune help [COMMAND]      this help, or a command's

N reaches the build three ways: {N} and {M} in any argument become the job
and load values; without them, -jN -lM is appended when COMMAND is make,
gmake or ninja; and every build gets MAKEOPTS="-jN -lM", JTUNE_JOBS=N and
JTUNE_LOAD=M in its environment (and DISTCC_HOSTS with --hosts), so emerge
and scripts work too. Flags go before the --, the command after it.

Examples:
  jtune --prepare "make -C examples/cproject clean" -- make -C examples/cproject
  jtune --hosts "localhost/2 buildbox/4 oldbox/4" --prepare "make clean" \
    -- make CC="distcc gcc"
  jtune --strategy grid --min 2 --max 24 --budget 6 -- ninja -C build
  jtune --json -- sh -c 'make -j{N} -l{M} vmlinux'
  jtune --plot tuning.png --write-makeconf --prepare "make clean" -- make

Flags:
`

const usageTail = `
Exit status: 0 success; 1 runtime failure (the first build or --prepare
failed, no build finished cleanly); 2 bad command line; 3 the CPU reached its
critical temperature (the state is saved: continue with --resume); 128 + the
signal after SIGINT (130, Ctrl-C), SIGTERM (143) or SIGHUP (129): the build
was stopped, the state saved and the best result so far printed.
`

// runTune is the tuning session, jtune's main command.
func runTune(args []string, stdout, stderr io.Writer) error {
	o, err := parseTune(args, stdout, stderr)
	if err != nil {
		return err
	}
	// Before anything is checked on the network or touched on disk: a
	// session that cannot start must leave everything as it was.
	if err := checkCommand(o.command); err != nil {
		return err
	}
	if err := checkOnline(&o); err != nil {
		return err
	}
	if err := checkOutputs("--state", o.state, "--plot", o.plot); err != nil {
		return err
	}
	f, err := loadFarm(o.hostFlags)
	if err != nil {
		return err
	}
	sigs := interrupt.Listen(stderr)
	defer sigs.Stop()
	var hostWarnings []tuner.Warning
	if !o.noHostCheck {
		hostWarnings = f.Check(sigs.Ctx)
	}
	return tune(sigs, o, f, hostWarnings, stdout, stderr)
}

// parseTune reads and checks a tuning session's command line. It answers
// --help and --version on stdout, returning errHelp.
func parseTune(args []string, stdout, stderr io.Writer) (tuneOptions, error) {
	var o tuneOptions
	fs := newTuneFlags(&o, stderr)
	if err := fs.Parse(args); err != nil {
		return o, usageError{err: err}
	}
	if o.help {
		fmt.Fprint(stdout, usageHead, ui.FlagHelp(fs, ui.HelpWidth(stdout)), usageTail)
		return o, errHelp
	}
	if o.version {
		fmt.Fprintf(stdout, "jtune %s\n", jtuneVersion())
		return o, errHelp
	}
	o.command, o.changed = fs.Args(), fs.Changed
	// pflag stops at the first word that is not a flag: unless that was
	// after "--", a "--" still to come means the word was meant as a flag
	// or a value.
	if first := len(args) - len(o.command); len(o.command) > 0 && (first == 0 || args[first-1] != "--") && slices.Contains(o.command, "--") {
		return o, strayWord(fs, args, o.command[0])
	}
	if o.pump && len(o.command) > 0 {
		o.command = append([]string{pumpProgram()}, o.command...)
	}
	return o, o.validate(fs)
}

func (o *tuneOptions) validate(fs *pflag.FlagSet) error {
	if len(o.command) == 0 {
		return usagef("no command to tune: jtune [flags] -- COMMAND [ARG...], e.g. jtune -- make")
	}
	for _, err := range []error{o.hostFlags.validate(fs), o.rangeFlags.validate(fs), o.makeConfFlags.validate()} {
		if err != nil {
			return err
		}
	}
	switch {
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
	case o.online && o.prepare != "":
		return usagef("--prepare runs before every build, and --online runs one: run %q before jtune", o.prepare)
	case o.online && o.resume:
		return usagef("--resume continues builds that were cut short; an --online session is one build: run it again")
	case o.online && o.timeout > 0:
		return usagef("--timeout stops a build jtune runs to measure; with --online the build is yours: leave it out")
	case o.state == "":
		return usagef("--state must name a file")
	case o.maxTemp < 0:
		return usagef("--max-temp %g must not be negative", o.maxTemp)
	case o.resumeTemp < 0 || (o.maxTemp > 0 && o.resumeTemp >= o.maxTemp):
		return usagef("--resume-temp %g must be below --max-temp %g", o.resumeTemp, o.maxTemp)
	case o.critTemp < 0 || (o.critTemp > 0 && o.critTemp <= o.maxTemp):
		return usagef("--crit-temp %g must be above --max-temp %g", o.critTemp, o.maxTemp)
	case o.timeBudget < 0:
		return usagef("--time-budget %s must not be negative", o.timeBudget)
	}
	if err := checkStrategy(o.strategy); err != nil {
		return err
	}
	return checkPlotPath(o.plot)
}

// checkStrategy refuses a --strategy that is not one of tuner.Strategies.
func checkStrategy(s string) error {
	if _, err := tuner.NextFor(tuner.Strategy(s)); err != nil {
		return usagef("--strategy %q isn't one of %s", s, strategyNames())
	}
	return nil
}

func strategyNames() string {
	var names []string
	for _, s := range tuner.Strategies {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

// checkPlotPath refuses a --plot file whose extension names no format we
// draw, before any build runs, so a night of builds does not end in an
// unwritable plot.
func checkPlotPath(path string) error {
	if path == "" {
		return nil
	}
	if err := render.CheckPlotPath(path); err != nil {
		return usagef("--plot %q: %w", path, err)
	}
	return nil
}

// newRecord is the record of the session the options describe on farm f:
// the formula, the range (the user's bounds win over the default; the
// search starts at the N of the range nearest to N0) and the settings.
func newRecord(o tuneOptions, f farm.Farm, localCPUs int) (*session.Record, error) {
	formula, err := f.Formula(localCPUs, o.cores)
	if err != nil {
		return nil, usagef("--cores %d: %w", o.cores, err)
	}
	n0 := formula.Jobs
	rng, err := tuner.DefaultRange(n0, localCPUs, f.SlotSum()).Bound(o.min, o.max)
	if err != nil {
		return nil, usagef("--min %d --max %d: %w", o.min, o.max, err)
	}
	var unreachable []session.Unreachable
	for i, h := range f.Hosts.Hosts {
		if err, down := f.Down[i]; down {
			unreachable = append(unreachable, session.Unreachable{Name: h.Name, Port: h.Port, Error: err.Error()})
		}
	}
	var online *session.Online
	if o.online {
		online = &session.Online{Jobserver: o.plan.Form.String(), Client: o.plan.Client.Program + " " + o.plan.Client.Version.String()}
	}
	return session.New(session.Record{
		Online: online, Command: o.command, HostsSpec: f.Hosts.String(), HostsSource: f.Source, Hosts: f.Hosts.Hosts, Unreachable: unreachable,
		SlotSum: f.SlotSum(), FormulaJobs: n0, Formula: formula.Text, StartJobs: rng.Clamp(n0), Load: o.load,
		Settings: session.Settings{
			Strategy: strategyOf(o), MinJobs: rng.Min, MaxJobs: rng.Max, Budget: o.budget,
			Tolerance: o.tolerance, MaxLoad: o.maxLoad, TimeoutSeconds: o.timeout.Seconds(), EarlyAbort: !o.noEarlyAbort,
			Prepare: o.prepare, LocalCPUs: localCPUs,
		},
	}), nil
}

// openSession takes the state file: a new session, or the saved one with
// --resume, whose builds are not run again and whose settings the session
// keeps (see resumeAs).
func openSession(o *tuneOptions, rec *session.Record) (*session.Store, error) {
	if !o.resume {
		return session.Create(o.state)
	}
	store, old, err := session.Resume(o.state)
	if errors.Is(err, session.ErrNoFile) {
		return nil, usagef("--resume: there is no state file %s to resume; run without --resume to start a session", o.state)
	}
	if err != nil {
		return nil, fmt.Errorf("--resume: %w; it was left untouched: move it away and run without --resume", err)
	}
	if err := resumeAs(o, old, rec); err != nil {
		store.Close()
		return nil, err
	}
	rec.Trials = old.Trials
	rec.Warn(old.Warnings...)
	return store, nil
}

// resumeAs makes a resumed session run as the saved one ran, so its builds
// stay comparable: the command and the hosts must be the same; --prepare,
// --load, --strategy and the range come from the state file unless given
// again, and given again they must agree, except the range, which the
// user may widen or narrow.
func resumeAs(o *tuneOptions, old, now *session.Record) error {
	refuse := func(what, saved, given string) error {
		return usagef("--resume: %s was made with %s %s, not %s; run without --resume or pass another --state",
			o.state, what, saved, given)
	}
	switch {
	case !slices.Equal(old.Command, now.Command):
		return refuse("the command", strconv.Quote(strings.Join(old.Command, " ")), strconv.Quote(strings.Join(now.Command, " ")))
	case !farm.Same(old.HostsSpec, now.HostsSpec):
		return refuse("the hosts", strconv.Quote(old.HostsSpec), strconv.Quote(now.HostsSpec))
	case o.changed("prepare") && o.prepare != old.Settings.Prepare:
		return refuse("--prepare", strconv.Quote(old.Settings.Prepare), strconv.Quote(o.prepare))
	case o.changed("load") && o.load != old.Load:
		return refuse("--load", strconv.Itoa(old.Load), strconv.Itoa(o.load))
	case o.changed("strategy") && o.strategy != old.Settings.Strategy:
		return refuse("--strategy", old.Settings.Strategy, o.strategy)
	}
	o.prepare, now.Settings.Prepare = old.Settings.Prepare, old.Settings.Prepare
	o.load, now.Load = old.Load, old.Load
	o.strategy, now.Settings.Strategy = old.Settings.Strategy, old.Settings.Strategy
	if !o.changed("min") && !o.changed("max") {
		now.Settings.MinJobs, now.Settings.MaxJobs, now.StartJobs = old.Settings.MinJobs, old.Settings.MaxJobs, old.StartJobs
	}
	return nil
}

// thermalGuard sets up the runner's thermal guard from the flags. A
// machine without a sensor tunes unguarded with a warning, or fails with
// --require-temp.
func thermalGuard(ctx context.Context, o tuneOptions, r *probe.Runner, out *ui.Console) (*tuner.Warning, error) {
	if o.maxTemp == 0 {
		return nil, nil
	}
	sampler := probe.SystemSampler{Sensor: o.sensor}
	if !probe.HasTemperature(ctx, sampler) {
		what := "this machine has no temperature sensor"
		if o.sensor != "" {
			what = fmt.Sprintf("there is no temperature sensor %q", o.sensor)
		}
		if o.requireTemp {
			return nil, fmt.Errorf("--require-temp: %s; run without it to tune unguarded", what)
		}
		return &tuner.Warning{Kind: warnNoSensor, Subject: o.sensor, Message: what + ": the thermal guard is off"}, nil
	}
	policy := probe.ThermalPolicy{MaxC: o.maxTemp, ResumeC: o.resumeTemp, CritC: o.critTemp}
	if policy.CritC == 0 {
		policy.CritC = o.maxTemp + 10
		if c, ok := probe.CriticalTemp(sampler); ok && c > o.maxTemp {
			policy.CritC = c
		}
	}
	r.Thermal = policy
	r.CoolDown = out.CoolDown(policy.Resume())
	return nil, nil
}

// warnNoSensor is the kind of warning that the thermal guard is off for
// lack of a sensor.
const warnNoSensor tuner.WarningKind = "no_temperature_sensor"

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

// tuneRun is a tuning session under way: what the command line asked,
// the farm, the session's record and state file, and where progress goes.
// Offline sessions (several builds) and online ones (one build, steered)
// share it.
type tuneRun struct {
	o              tuneOptions
	f              farm.Farm
	sigs           *interrupt.Signals
	rec            *session.Record
	out            *ui.Console
	store          *session.Store
	stdout, stderr io.Writer
	announced      bool // the backup of the earlier state file was named
}

// tune runs the session: the builds, the report on stdout, the plot and
// make.conf.
func tune(sigs *interrupt.Signals, o tuneOptions, f farm.Farm, hostWarnings []tuner.Warning, stdout, stderr io.Writer) error {
	t := &tuneRun{o: o, f: f, sigs: sigs, stdout: stdout, stderr: stderr, out: ui.New(stderr, o.quiet, o.noColor || o.online)}
	refLines := session.EarlierCompileLines(o.state, o.command)
	if err := t.start(hostWarnings); err != nil {
		return err
	}
	defer t.store.Close()
	var err error
	if t.o.online {
		err = t.online()
	} else {
		t.out.EarlierLines(refLines)
		err = t.offline()
	}
	if sig, ok := sigs.Received(); ok && (err == nil || errors.Is(err, tuner.ErrInterrupted)) {
		return interruptedError{sig}
	}
	return err
}

// start makes the session's record, warns about what is known before any
// build, takes the state file and stops a build that a jtune which died
// left running.
func (t *tuneRun) start(hostWarnings []tuner.Warning) error {
	rec, err := newRecord(t.o, t.f, runtime.NumCPU())
	if err != nil {
		return err
	}
	t.rec = rec
	t.warn(hostWarnings...)
	t.warn(t.f.Warnings()...)
	t.warn(makeConfWarnings(t.o.path, t.o.write, len(t.f.Live().Hosts) > 0)...)
	if own, ok := probe.OwnJobs(t.o.command); ok && !t.o.online {
		t.warn(tuner.Warning{Kind: warnOwnJobs, Subject: own,
			Message: fmt.Sprintf("the command's own %s is overridden by the -jN jtune appends to every build", own)})
	}
	if t.store, err = openSession(&t.o, rec); err != nil {
		return err
	}
	var stale probe.BuildProcess
	if t.store.StaleBuild(&stale) {
		if stopped, err := probe.StopStale(stale); stopped {
			t.out.Printf("jtune: stopped the build (process group %d) that a jtune which died left running\n", stale.Pgid)
		} else if err != nil {
			t.out.Printf("jtune: could not stop the build a jtune which died left running (process group %d): %v\n", stale.Pgid, err)
		}
		_ = t.store.RunningBuild(nil)
	}
	t.out.Header(rec, t.f.Hosts.String())
	if rec.StartJobs != rec.FormulaJobs && !t.o.online {
		t.out.Printf("jtune: N0 = %d lies outside %s: the search starts at -j%d\n", rec.FormulaJobs, rec.Range(), rec.StartJobs)
	}
	if t.o.resume {
		t.out.Printf("jtune: resuming %s: %s done\n", t.o.state, builds(rec.Builds()))
	}
	return nil
}

// warnOwnJobs is the kind of warning that the command sets its own -j.
const warnOwnJobs tuner.WarningKind = "command_sets_jobs"

// warn adds warnings to the record and shows the new ones.
func (t *tuneRun) warn(ws ...tuner.Warning) {
	for _, w := range ws {
		n := len(t.rec.Warnings)
		if t.rec.Warn(w); len(t.rec.Warnings) > n {
			t.out.Warn(w)
		}
	}
}

// save writes the record, once the session has begun in earnest: until
// then an earlier session's file is left alone.
func (t *tuneRun) save() error {
	if !t.o.resume && !t.rec.Started() && t.rec.Online == nil {
		return nil
	}
	if err := t.store.Save(t.rec); err != nil {
		return err
	}
	if b := t.store.Backup(); b != "" && !t.announced {
		t.out.Printf("jtune: the earlier state file was kept as %s\n", b)
		t.announced = true
	}
	return nil
}

// runner is the probe that runs the real builds, with the thermal guard,
// the kill that the second Ctrl-C demands, and the running build recorded
// in the lock file for a jtune that resumes after this one died.
func (t *tuneRun) runner() (*probe.Runner, error) {
	o := t.o
	// distcc gets the list exactly as the user wrote it.
	distccHosts := ""
	if o.set {
		distccHosts = strings.TrimSpace(o.hosts)
	}
	r := &probe.Runner{
		Command: o.command, Prepare: o.prepare, Timeout: o.timeout,
		SampleInterval: o.sampleInterval, DistccHosts: distccHosts,
		Sampler: probe.SystemSampler{Sensor: o.sensor},
		Kill:    t.sigs.Insist,
		OnStart: func(bp probe.BuildProcess) { _ = t.store.RunningBuild(bp) },
	}
	guardWarning, err := thermalGuard(t.sigs.Ctx, o, r, t.out)
	if err != nil {
		return nil, err
	}
	if guardWarning != nil {
		t.warn(*guardWarning)
	}
	return r, nil
}

// offline runs builds at different N until the search has its answer.
func (t *tuneRun) offline() error {
	runner, err := t.runner()
	if err != nil {
		return err
	}
	runner.OnStatus = t.out.Status
	defer t.out.StopLive()
	rec := t.rec
	res, runErr := tuner.Run(t.sigs.Ctx, runner, tuner.Settings{
		FormulaJobs: rec.StartJobs, Min: rec.Settings.MinJobs, Max: rec.Settings.MaxJobs, Load: rec.Load,
		Budget: rec.Settings.Budget, Strategy: tuner.Strategy(rec.Settings.Strategy), Tolerance: rec.Settings.Tolerance,
		MaxLoad: t.o.maxLoad, NoEarlyAbort: t.o.noEarlyAbort, Prior: rec.Trials, TimeBudget: t.o.timeBudget,
		OnStart: func(jobs, index int, a *tuner.Analysis) { t.out.BuildStart(jobs, index, rec.Settings.Budget, a) },
		// Save first, then print: the state file is the record, and a
		// print can fail.
		OnTrial: func(trials []tuner.Trial) error {
			_ = t.store.RunningBuild(nil)
			rec.Trials = trials
			err := t.save()
			t.out.BuildDone(trials)
			return err
		},
	})
	if res == nil {
		return runErr
	}
	// The session's own warnings show on stderr as they come, like
	// the builds' warnings did.
	t.warn(res.Warnings...)
	rec.Finish(res)
	if err := t.save(); err != nil && runErr == nil {
		runErr = err
	}
	return t.report(res.Analysis, runErr)
}

// report ends the session: the report on stdout (and a line on stderr),
// the plot, and make.conf.
func (t *tuneRun) report(a *tuner.Analysis, runErr error) error {
	o, rec, out := t.o, t.rec, t.out
	var broken *tuner.BrokenCommandError
	switch {
	case errors.As(runErr, &broken):
		out.BrokenCommand(broken)
		return fmt.Errorf("%w; fix the command and run again (its stderr is above)", runErr)
	case errors.Is(runErr, tuner.ErrCriticalTemp):
		return criticalError{fmt.Errorf("%w; the build was stopped and the state saved in %s: let the machine cool and check its cooling, then continue with --resume", runErr, o.state)}
	case runErr != nil && !errors.Is(runErr, tuner.ErrInterrupted):
		return runErr
	}
	if !sameFile(t.stdout, t.stderr) {
		out.SessionEnd(rec)
	}
	var err error
	if o.json {
		err = render.JSON(t.stdout, rec)
	} else {
		err = render.Text(t.stdout, rec, ui.ReportStyle(t.stdout, o.noColor))
	}
	if err != nil {
		return err
	}
	if o.plot != "" {
		if err := render.Plot(o.plot, rec, a); err != nil {
			return fmt.Errorf("--plot %w", err)
		}
		out.Printf("jtune: plot written to %s\n", o.plot)
	}
	if errors.Is(runErr, tuner.ErrInterrupted) {
		return runErr
	}
	if rec.Recommended == nil {
		return errors.New("no build finished cleanly, so there is nothing to recommend")
	}
	if o.write != "" {
		// The report went to stdout; the diff goes to stderr so --json
		// output stays one JSON object.
		return writeMakeConf(o.write, rec.MakeOpts, o.diff, t.stderr, t.stderr)
	}
	return nil
}

// sameFile reports whether two writers are the same open file, as when
// stdout and stderr both go to one terminal or log.
func sameFile(a, b io.Writer) bool {
	fa, ok1 := a.(*os.File)
	fb, ok2 := b.(*os.File)
	if !ok1 || !ok2 {
		return false
	}
	sa, err1 := fa.Stat()
	sb, err2 := fb.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// builds says how many builds, in words: "1 build", "3 builds".
func builds(n int) string {
	if n == 1 {
		return "1 build"
	}
	return fmt.Sprintf("%d builds", n)
}

// checkCommand refuses a command that cannot run: a program that is not
// there or not executable, and the pump wrapper's program too.
func checkCommand(command []string) error {
	for i, word := range command {
		if _, err := exec.LookPath(word); err != nil {
			return usagef("cannot run %q: %v", word, unwrapExec(err))
		}
		if i > 0 || filepath.Base(word) != pumpProgram() {
			break
		}
	}
	return nil
}

func unwrapExec(err error) error {
	var e *exec.Error
	if errors.As(err, &e) {
		return e.Err
	}
	return err
}

// checkOutputs makes sure the files a session writes can be written
// before its first build, so a night of builds does not end in an error:
// each must be in a directory that exists and takes new files. It takes
// pairs of a flag and its path; an empty path is not written.
func checkOutputs(flagsAndPaths ...string) error {
	for i := 0; i+1 < len(flagsAndPaths); i += 2 {
		flag, p := flagsAndPaths[i], flagsAndPaths[i+1]
		if p == "" {
			continue
		}
		dir := filepath.Dir(p)
		f, err := os.CreateTemp(dir, ".jtune-check-*")
		if err != nil {
			return usagef("%s %s cannot be written: %v", flag, p, unwrapPath(err))
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}

// unwrapPath drops the temporary name from an error about the directory.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("directory %s: %w", filepath.Dir(pe.Path), pe.Err)
	}
	return err
}

// strategyOf is the search the record names: online, or the offline
// strategy.
func strategyOf(o tuneOptions) string {
	if o.online {
		return session.StrategyOnline
	}
	return o.strategy
}
