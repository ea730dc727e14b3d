package main

import (
	"io"
	"runtime"

	"github.com/spf13/pflag"
)

// newFlagSet is a flag set as every jtune command wants it: errors
// returned rather than printed with an exit, flags in the order they were
// defined, and no usage printed by pflag itself.
func newFlagSet(name string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.Usage = func() {}
	return fs
}

// hostFlags choose the distcc farm: jtune and jtune recommend share them.
type hostFlags struct {
	hosts       string
	cores       int
	noHostCheck bool
	set         bool // --hosts was given
}

func (h *hostFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&h.hosts, "hosts", "", "distcc host `list` in DISTCC_HOSTS syntax, e.g. \"localhost/2 buildbox/8,lzo\".\nDefault: $DISTCC_HOSTS, then $DISTCC_DIR/hosts (~/.distcc/hosts), then /etc/distcc/hosts,\nelse this machine alone")
	fs.IntVar(&h.cores, "cores", runtime.NumCPU(), "`cores` of each host that has no /LIMIT, for the formula, e.g. --cores 4")
	fs.BoolVar(&h.noHostCheck, "no-host-check", false, "do not check that each TCP distcc host answers on its port;\nby default a host that does not answer within 2 s is left out of the formula")
}

func (h *hostFlags) validate(fs *pflag.FlagSet) error {
	h.set = fs.Changed("hosts")
	if h.cores < 1 {
		return usagef("--cores %d must be at least 1", h.cores)
	}
	return nil
}

// rangeFlags bound the N jtune tries or simulates; zero leaves that end to
// tuner.DefaultRange.
type rangeFlags struct {
	min, max int
}

func (r *rangeFlags) add(fs *pflag.FlagSet) {
	fs.IntVar(&r.min, "min", 0, "smallest `N` to try, e.g. --min 4 (default: this machine's CPUs)")
	fs.IntVar(&r.max, "max", 0, "largest `N` to try, e.g. --max 64 (default: max(4 x N0, distcc slot sum))")
}

func (r *rangeFlags) validate(fs *pflag.FlagSet) error {
	switch {
	case fs.Changed("min") && r.min < 1:
		return usagef("--min %d must be at least 1", r.min)
	case fs.Changed("max") && r.max < 1:
		return usagef("--max %d must be at least 1", r.max)
	case r.min > 0 && r.max > 0 && r.min > r.max:
		return usagef("--min %d is above --max %d", r.min, r.max)
	}
	return nil
}

// defaultMakeConf is Portage's make.conf, a file or a directory.
const defaultMakeConf = "/etc/portage/make.conf"

// makeConfFlags read and write make.conf: jtune and jtune recommend share
// them.
type makeConfFlags struct {
	path  string // --makeconf: read for warnings
	write string // --write-makeconf: where to write MAKEOPTS
	diff  bool
}

func (m *makeConfFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&m.path, "makeconf", defaultMakeConf, "make.conf `path` (file or directory) to read for warnings")
	fs.StringVar(&m.write, "write-makeconf", "", "write the recommended MAKEOPTS into make.conf at `PATH` (default "+defaultMakeConf+"),\nkeeping everything else and a backup; e.g. --write-makeconf or --write-makeconf=/etc/portage/make.conf")
	fs.Lookup("write-makeconf").NoOptDefVal = defaultMakeConf
	fs.BoolVar(&m.diff, "diff", false, "with --write-makeconf, show the change as a unified diff instead of writing it")
}

func (m *makeConfFlags) validate() error {
	if m.diff && m.write == "" {
		return usagef("--diff needs --write-makeconf")
	}
	return nil
}
