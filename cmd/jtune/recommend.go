package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/jtune/jtune/cmd/jtune/internal/makeconf"
	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/tuning"
	"github.com/jtune/jtune/cmd/jtune/internal/ui"
	"github.com/jtune/jtune/tuner"
)

const recommendUsage = `jtune recommend prints MAKEOPTS="-jN -lM" without running a build: from a
finished tuning session for the same hosts when there is one, otherwise from
the formula over the hosts that answer, capped by distcc's slot sum. It also
reads make.conf and warns about common distcc pitfalls.

Usage:
  jtune recommend [flags]

Examples:
  jtune recommend --hosts "localhost/2 hostA/4 hostB/4"
  jtune recommend --state overnight.json --write-makeconf
  jtune recommend --write-makeconf=/tmp/make.conf.test --diff

Flags:
`

type recommendOptions struct {
	hostFlags
	makeConfFlags
	load       int
	state      string
	stateGiven bool // --state was given: a file that cannot be used is an error
	help       bool
}

func runRecommend(args []string, stdout, stderr io.Writer) error {
	o, err := parseRecommend(args, stdout, stderr)
	if err != nil {
		return err
	}
	f, err := loadFarm(o.hostFlags)
	if err != nil {
		return err
	}
	var warnings []tuner.Warning
	if !o.noHostCheck {
		warnings = f.Check(context.Background())
	}
	jobs, load, rule := 0, 0, ""
	if r, err := tuning.FinishedFor(o.state, f); err != nil {
		if o.stateGiven {
			return fmt.Errorf("--state %s: %w", o.state, err)
		}
		fmt.Fprintf(stderr, "jtune: no tuning session used: %v\n", err)
	} else {
		jobs, load = r.Recommended.Jobs, r.Recommended.Load
		rule = fmt.Sprintf("the tuning session in %s (%s, %s)", o.state, render.Builds(r.Builds()), r.Recommended.Reason)
	}
	if rule == "" {
		formula, err := f.Formula(runtime.NumCPU(), o.cores)
		if err != nil {
			return usagef("--cores %d: %w", o.cores, err)
		}
		jobs, load, rule = formula.Jobs, o.load, "the formula N0 = "+formula.Text
		if slots := f.SlotSum(); slots > 0 && slots < formula.Jobs {
			jobs = slots
			rule += fmt.Sprintf(", capped by distcc's %d slots", slots)
		}
	}
	warnings = append(warnings, makeconf.Pitfalls(o.path, o.write, len(f.Live().Hosts) > 0)...)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "jtune: warning: %s\n", render.Warning(w))
	}
	fmt.Fprintf(stdout, "rule: %s\n", rule)
	makeopts := tuner.MakeOpts(jobs, load)
	fmt.Fprintf(stdout, "MAKEOPTS=%q\n", makeopts)
	if o.write != "" {
		return makeconf.Apply(o.write, makeopts, o.diff, stdout, stderr)
	}
	return nil
}

// parseRecommend reads and checks jtune recommend's command line.
func parseRecommend(args []string, stdout, stderr io.Writer) (recommendOptions, error) {
	var o recommendOptions
	fs := newFlagSet("jtune recommend", stderr)
	o.hostFlags.add(fs)
	fs.IntVar(&o.load, "load", runtime.NumCPU(), "the make -l value `M` to recommend; 0 leaves -l out (default: this machine's CPU count)")
	fs.StringVar(&o.state, "state", "jtune-state.json", "a tuning session's state `FILE` to take the answer from")
	o.makeConfFlags.add(fs)
	fs.BoolVarP(&o.help, "help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return o, usageError{err: err}
	}
	if o.help {
		fmt.Fprint(stdout, recommendUsage, ui.FlagHelp(fs, ui.HelpWidth(stdout)))
		return o, errHelp
	}
	o.stateGiven = fs.Changed("state")
	switch {
	case fs.NArg() > 0:
		return o, strayWord(fs, args, fs.Arg(0))
	case o.load < 0:
		return o, usagef("--load %d must not be negative", o.load)
	}
	if err := o.hostFlags.validate(fs); err != nil {
		return o, err
	}
	return o, o.makeConfFlags.validate()
}
