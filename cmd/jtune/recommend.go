package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"github.com/jtune/jtune/cmd/jtune/internal/makeconf"
	"github.com/jtune/jtune/tuner"
)

// defaultMakeConf is Portage's make.conf, a file or a directory.
const defaultMakeConf = "/etc/portage/make.conf"

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
	hosts       string
	cores       int
	load        int
	state       string
	makeConf    string
	write       string
	diff        bool
	noHostCheck bool
	help        bool
}

// makeConfFlags are the make.conf flags that jtune and jtune recommend
// share.
func makeConfFlags(fs *pflag.FlagSet, makeConf, write *string, diff *bool) {
	fs.StringVar(makeConf, "makeconf", defaultMakeConf, "make.conf `path` (file or directory) to read for warnings")
	fs.StringVar(write, "write-makeconf", "", "write the recommended MAKEOPTS into make.conf at `PATH` (default "+defaultMakeConf+"),\nkeeping everything else and a backup; e.g. --write-makeconf or --write-makeconf=/etc/portage/make.conf")
	fs.Lookup("write-makeconf").NoOptDefVal = defaultMakeConf
	fs.BoolVar(diff, "diff", false, "with --write-makeconf, show the change as a unified diff instead of writing it")
}

func runRecommend(args []string, stdout, stderr io.Writer) error {
	var o recommendOptions
	flags := pflag.NewFlagSet("jtune recommend", pflag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.SortFlags = false
	flags.Usage = func() {}
	cpus := runtime.NumCPU()
	flags.StringVar(&o.hosts, "hosts", "", "distcc host `list`; default: $DISTCC_HOSTS, $DISTCC_DIR/hosts, /etc/distcc/hosts")
	flags.IntVar(&o.cores, "cores", cpus, "`cores` of each host that has no /LIMIT")
	flags.IntVar(&o.load, "load", cpus, "the -l `M` value; 0 leaves -l out")
	flags.StringVar(&o.state, "state", "jtune-state.json", "a tuning session's state `file` to take the answer from")
	makeConfFlags(flags, &o.makeConf, &o.write, &o.diff)
	flags.BoolVar(&o.noHostCheck, "no-host-check", false, "count every host, without checking that it answers")
	flags.BoolVarP(&o.help, "help", "h", false, "show this help and exit")
	if err := flags.Parse(args); err != nil {
		return usageError{err}
	}
	if o.help {
		fmt.Fprint(stdout, recommendUsage+flags.FlagUsages())
		return errHelp
	}
	switch {
	case flags.NArg() > 0:
		return usagef("jtune recommend takes no arguments, got %q", flags.Arg(0))
	case o.cores < 1:
		return usagef("--cores %d must be at least 1", o.cores)
	case o.load < 0:
		return usagef("--load %d must not be negative", o.load)
	case o.diff && o.write == "":
		return usagef("--diff needs --write-makeconf")
	}
	f, err := loadFarm(o.hosts, flags.Changed("hosts"), os.Getenv, "/etc")
	if err != nil {
		return err
	}
	var warnings []string
	if !o.noHostCheck {
		warnings = f.checkHosts(context.Background())
	}
	jobs, load, rule := recommendFromState(o.state, f)
	if rule == "" {
		formula, err := f.formula(cpus, o.cores)
		if err != nil {
			return usagef("--cores %d: %w", o.cores, err)
		}
		jobs, load, rule = formula.Jobs, o.load, "the formula N0 = "+formula.Text
		if slots := f.slotSum(); slots > 0 && slots < formula.Jobs {
			jobs = slots
			rule += fmt.Sprintf(", capped by distcc's %d slots", slots)
		}
	}
	warnings = append(warnings, makeConfWarnings(o.makeConf, f)...)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "jtune: warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "rule: %s\n", rule)
	makeopts := tuner.MakeOpts(jobs, load)
	fmt.Fprintf(stdout, "MAKEOPTS=%q\n", makeopts)
	if o.write != "" {
		return writeMakeConf(o.write, makeopts, o.diff, stdout, stderr)
	}
	return nil
}

// makeConfWarnings reads make.conf for the seed's pitfalls. A missing
// default make.conf is normal off Gentoo; any other problem is reported.
func makeConfWarnings(path string, f farm) []string {
	conf, err := makeconf.Load(path)
	switch {
	case err == nil:
		return conf.Warnings(len(f.live().Hosts) > 0)
	case errors.Is(err, fs.ErrNotExist) && path == defaultMakeConf:
		return nil
	}
	return []string{fmt.Sprintf("%s could not be read: %v", path, err)}
}

// recommendFromState takes the answer from a finished session in path
// for the same host list. rule is empty when there is none.
func recommendFromState(path string, f farm) (jobs, load int, rule string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, ""
	}
	var r report
	if json.Unmarshal(data, &r) != nil || r.Recommended == nil || r.Outcome == "running" ||
		r.HostsSpec != strings.TrimSpace(f.Spec) {
		return 0, 0, ""
	}
	rule = fmt.Sprintf("the tuning session in %s (%d builds, %s)", path, len(r.Trials), r.Recommended.Reason)
	return r.Recommended.Jobs, r.Recommended.Load, rule
}

// writeMakeConf sets MAKEOPTS in make.conf at path, or shows the change.
func writeMakeConf(path, makeopts string, diff bool, stdout, stderr io.Writer) error {
	conf, err := makeconf.Load(path)
	if err != nil {
		return fmt.Errorf("--write-makeconf: %w", err)
	}
	target, before, after, err := conf.SetMakeopts(makeopts)
	if err != nil {
		return fmt.Errorf("--write-makeconf: %w", err)
	}
	if diff {
		_, err := fmt.Fprint(stdout, makeconf.Diff(target, before, after))
		return err
	}
	backup, err := makeconf.Write(target, before, after)
	if err != nil {
		return fmt.Errorf("--write-makeconf: %w", err)
	}
	if backup != "" {
		fmt.Fprintf(stderr, "jtune: wrote MAKEOPTS=%q to %s (the previous file is kept as %s)\n", makeopts, target, backup)
	} else {
		fmt.Fprintf(stderr, "jtune: wrote MAKEOPTS=%q to %s\n", makeopts, target)
	}
	return nil
}
