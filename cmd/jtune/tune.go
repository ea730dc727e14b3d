package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jtune/jtune/cmd/jtune/internal/atomicfile"
	"github.com/jtune/jtune/cmd/jtune/internal/interrupt"
	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/tuning"
	"github.com/jtune/jtune/cmd/jtune/internal/ui"
	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// tuneOptions are the command line of a tuning session: the session's
// options, and the flag groups and flags that only the command line has.
type tuneOptions struct {
	tuning.Options
	hostFlags
	rangeFlags
	makeConfFlags
	pump    bool
	version bool
	help    bool
}

func newTuneFlags(o *tuneOptions, stderr io.Writer) *pflag.FlagSet {
	fs := newFlagSet("jtune", stderr)
	// The command's own flags (make -C dir) must not be taken for ours.
	fs.SetInterspersed(false)
	o.hostFlags.add(fs)
	fs.BoolVar(&o.pump, "pump", false, "run the command under distcc's pump wrapper (pump, or Debian's distcc-pump), for ,cpp,lzo hosts")
	o.rangeFlags.add(fs)
	fs.IntVar(&o.Budget, "budget", tuner.DefaultBudget, "most `BUILDS` to run, repeats included")
	fs.StringVar(&o.Strategy, "strategy", string(tuner.DefaultStrategy), "search `METHOD`: bayes (a Gaussian-process model of build time), golden (golden-section search from N0) or grid (evenly spaced N)")
	fs.Float64Var(&o.MaxLoad, "max-load", 0, "a build whose load average goes above `L` is overloaded (default: no limit)")
	fs.BoolVar(&o.NoEarlyAbort, "no-early-abort", false, "let every build finish; by default a build already 15% slower than the best is stopped and kept as a lower bound")
	fs.IntVar(&o.Load, "load", runtime.NumCPU(), "the make -l value `M` passed with every build and recommended; 0 leaves -l out (default: this machine's CPU count)")
	fs.StringVar(&o.Prepare, "prepare", "", "`COMMAND` run with sh -c before every build, not timed, e.g. \"make clean\"")
	fs.Float64Var(&o.MaxTemp, "max-temp", 85, "pause the build (SIGSTOP) when the CPU reaches `C` degrees, and wait before each build until it has cooled; 0 turns the guard off")
	fs.Float64Var(&o.ResumeTemp, "resume-temp", 0, "resume a paused build, or start the next, at `C` degrees (default: --max-temp - 10)")
	fs.Float64Var(&o.CritTemp, "crit-temp", 0, "stop the build and the session (exit 3) at `C` degrees (default: the sensor's critical value, or --max-temp + 10)")
	fs.StringVar(&o.Sensor, "sensor", "", "temperature sensor `KEY` to watch, e.g. k10temp_tctl (default: the hottest CPU sensor)")
	fs.BoolVar(&o.RequireTemp, "require-temp", false, "fail on a machine without a temperature sensor instead of tuning unguarded")
	fs.DurationVar(&o.Timeout, "timeout", 0, "stop a build that runs longer than `DURATION`, e.g. 20m, and record it as timeout; with --online, stop the one build (default: no limit)")
	fs.Float64Var(&o.Tolerance, "tolerance", 0.01, "recommend the smallest N within this `FRACTION` of the fastest build")
	fs.DurationVar(&o.SampleInterval, "sample-interval", time.Second, "`DURATION` between readings of load, temperature and memory during a build")
	fs.StringVar(&o.State, "state", "jtune-state.json", "`FILE` rewritten after every build with all that was measured; a file an earlier session left is kept as FILE.bak")
	fs.BoolVar(&o.Resume, "resume", false, "continue the session in --state after a crash, power loss or Ctrl-C, without building again what finished")
	fs.DurationVar(&o.TimeBudget, "time-budget", 0, "start no build that would not finish within `DURATION` of this run, e.g. 8h (default: no limit)")
	o.makeConfFlags.add(fs)
	fs.BoolVar(&o.Online, "online", false, "tune within one build: jtune is make's jobserver and moves N while the build runs (make 4.3 and later, ninja 1.13 and later, emerge with make 4.4 and later)")
	fs.StringVar(&o.From, "from", "", "confirm the online session in `FILE` with full builds: start at its recommendation, search around its plausible best N, 3 builds unless --budget is given")
	fs.BoolVar(&o.JSON, "json", false, "print the final report as JSON on stdout")
	fs.StringVar(&o.Plot, "plot", "", "draw build time against N into `FILE`, .png or .svg")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print no progress on stderr")
	fs.BoolVar(&o.NoColor, "no-color", false, "no colour (also with NO_COLOR set, and on a stream that is not a terminal)")
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
  jtune --online --state online.json -- make
  jtune --from online.json --prepare "make clean" -- make

Flags:
`

const usageTail = `
Exit status: 0 success; 1 runtime failure (the first build or --prepare
failed, no build finished cleanly); 2 bad command line; 3 the CPU reached its
critical temperature (the state is saved: continue with --resume); 128 + the
signal after SIGINT (130, Ctrl-C), SIGTERM (143) or SIGHUP (129): the build
was stopped, the state saved and the best result so far printed. With
--online, a build that fails gives its own exit status, after the report.
`

// runTune is the tuning session, jtune's main command.
func runTune(args []string, stdout, stderr io.Writer) error {
	o, err := parseTune(args, stdout, stderr)
	if err != nil {
		return err
	}
	// Before anything is checked on the network or touched on disk: a
	// session that cannot start must leave everything as it was.
	if err := probe.CheckCommand(o.Command); err != nil {
		return usageError{err: err}
	}
	if err := checkOnline(&o); err != nil {
		return err
	}
	if err := checkOutputs("--state", o.State, "--plot", o.Plot); err != nil {
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
	o.Min, o.Max, o.Cores = o.min, o.max, o.cores
	o.ReadMakeConf, o.WriteMakeConf, o.Diff = o.path, o.write, o.diff
	if o.set {
		o.DistccHosts = strings.TrimSpace(o.hosts) // distcc gets the list exactly as the user wrote it
	}
	return tuning.Run(sigs, o.Options, f, hostWarnings, stdout, stderr)
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
	o.Command, o.Given = fs.Args(), fs.Changed
	// pflag stops at the first word that is not a flag: unless that was
	// after "--", a "--" still to come means the word was meant as a flag
	// or a value.
	if first := len(args) - len(o.Command); len(o.Command) > 0 && (first == 0 || args[first-1] != "--") && slices.Contains(o.Command, "--") {
		return o, strayWord(fs, args, o.Command[0])
	}
	if o.pump && len(o.Command) > 0 {
		o.Command = append([]string{probe.PumpProgram()}, o.Command...)
	}
	return o, o.validate(fs)
}

func (o *tuneOptions) validate(fs *pflag.FlagSet) error {
	if len(o.Command) == 0 {
		return usagef("no command to tune: jtune [flags] -- COMMAND [ARG...], e.g. jtune -- make")
	}
	for _, err := range []error{o.hostFlags.validate(fs), o.rangeFlags.validate(fs), o.makeConfFlags.validate()} {
		if err != nil {
			return err
		}
	}
	switch {
	case o.Budget < 1:
		return usagef("--budget %d must be at least 1", o.Budget)
	case o.MaxLoad < 0:
		return usagef("--max-load %g must not be negative", o.MaxLoad)
	case o.Load < 0:
		return usagef("--load %d must not be negative", o.Load)
	case o.Timeout < 0:
		return usagef("--timeout %s must not be negative", o.Timeout)
	case o.Tolerance < 0 || o.Tolerance >= 1:
		return usagef("--tolerance %g must be in [0, 1)", o.Tolerance)
	case o.SampleInterval <= 0:
		return usagef("--sample-interval %s must be positive", o.SampleInterval)
	case o.Online && o.Prepare != "":
		return usagef("--prepare runs before every build, and --online runs one: run %q before jtune", o.Prepare)
	case o.Online && o.Resume:
		return usagef("--resume continues builds that were cut short; an --online session is one build: run it again")
	case o.From != "" && o.Online:
		return usagef("--from confirms an online session with full builds; leave out --online")
	case o.From != "" && o.Resume:
		return usagef("--from starts a session and --resume continues one: use one of them")
	case o.State == "":
		return usagef("--state must name a file")
	case o.MaxTemp < 0:
		return usagef("--max-temp %g must not be negative", o.MaxTemp)
	case o.ResumeTemp < 0 || (o.MaxTemp > 0 && o.ResumeTemp >= o.MaxTemp):
		return usagef("--resume-temp %g must be below --max-temp %g", o.ResumeTemp, o.MaxTemp)
	case o.CritTemp < 0 || (o.CritTemp > 0 && o.CritTemp <= o.MaxTemp):
		return usagef("--crit-temp %g must be above --max-temp %g", o.CritTemp, o.MaxTemp)
	case o.TimeBudget < 0:
		return usagef("--time-budget %s must not be negative", o.TimeBudget)
	}
	if err := checkStrategy(o.Strategy); err != nil {
		return err
	}
	return checkPlotPath(o.Plot)
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

// checkOnline refuses, before anything starts, a command that cannot run
// under jtune's jobserver (a -j of its own, a {N}, a make or ninja that is
// no jobserver client, emerge with a make that only takes inherited
// descriptors), and says how it will run otherwise.
func checkOnline(o *tuneOptions) error {
	if !o.Online {
		return nil
	}
	plan, err := probe.CheckOnline(o.Command, nil)
	var bad *probe.OnlineError
	if errors.As(err, &bad) {
		return usagef("--online: %w", err)
	}
	if err != nil {
		return fmt.Errorf("--online: %w", err)
	}
	o.Plan = plan
	return nil
}

// checkOutputs makes sure the files a session writes can be written
// before its first build. It takes pairs of a flag and its path; an empty
// path is not written.
func checkOutputs(flagsAndPaths ...string) error {
	for i := 0; i+1 < len(flagsAndPaths); i += 2 {
		flag, p := flagsAndPaths[i], flagsAndPaths[i+1]
		if p == "" {
			continue
		}
		if err := atomicfile.CheckWritable(p); err != nil {
			return usagef("%s %s cannot be written: %v", flag, p, err)
		}
	}
	return nil
}
