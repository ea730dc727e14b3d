package main

import (
	"errors"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/jtune/jtune/cmd/jtune/internal/farm"
	"github.com/jtune/jtune/cmd/jtune/internal/makeconf"
	"github.com/jtune/jtune/probe/distcc"
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
	fs.StringVar(&h.hosts, "hosts", "", "distcc host `LIST` in DISTCC_HOSTS syntax, e.g. \"localhost/2 buildbox/8,lzo\" (default: $DISTCC_HOSTS, $DISTCC_DIR/hosts, ~/.distcc/hosts, /etc/distcc/hosts, else this machine alone)")
	fs.IntVar(&h.cores, "cores", runtime.NumCPU(), "`CORES` of each host without a /LIMIT, for the formula (default: this machine's CPU count)")
	fs.BoolVar(&h.noHostCheck, "no-host-check", false, "do not check that each TCP host answers; by default one that does not within 2 s is left out of the formula")
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
	fs.IntVar(&r.min, "min", 0, "smallest `N` to try (default: this machine's CPUs)")
	fs.IntVar(&r.max, "max", 0, "largest `N` to try (default: 4 x N0, or distcc's slot sum if larger)")
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

// makeConfFlags read and write make.conf: jtune and jtune recommend share
// them.
type makeConfFlags struct {
	path  string // --makeconf: read for warnings
	write string // --write-makeconf: where to write MAKEOPTS
	diff  bool
}

func (m *makeConfFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&m.path, "makeconf", makeconf.DefaultPath, "make.conf `PATH` (file or directory) to check for distcc pitfalls, unless --write-makeconf names another")
	fs.StringVar(&m.write, "write-makeconf", "", "write the recommended MAKEOPTS into make.conf at `PATH` (default "+makeconf.DefaultPath+"), keeping everything else and a backup; the path goes after =")
	fs.Lookup("write-makeconf").NoOptDefVal = makeconf.DefaultPath
	fs.BoolVar(&m.diff, "diff", false, "with --write-makeconf, show the change as a diff instead of writing it")
}

func (m *makeConfFlags) validate() error {
	if m.diff && m.write == "" {
		return usagef("--diff needs --write-makeconf")
	}
	return nil
}

// strayWord explains a word the command line has where a flag belongs: most
// often the value of a flag that takes it only after "=" (pflag takes
// "--write-makeconf PATH" as the flag alone, followed by a word), or the
// second word of a value that needed quotes ("--prepare make clean").
func strayWord(fs *pflag.FlagSet, args []string, word string) error {
	tunes := fs.Name() == "jtune"
	i := slices.Index(args, word)
	flagAt := func(j int) *pflag.Flag {
		if j < 0 || !strings.HasPrefix(args[j], "--") || strings.Contains(args[j], "=") {
			return nil
		}
		return fs.Lookup(strings.TrimPrefix(args[j], "--"))
	}
	if f := flagAt(i - 1); f != nil && f.NoOptDefVal != "" && f.Value.Type() != "bool" {
		return usagef("--%s takes its %s after =: --%s=%s", f.Name, placeholder(f), f.Name, word)
	}
	if f := flagAt(i - 2); f != nil && placeholder(f) == "command" {
		return usagef("%q is not a flag; quote a command of several words: --%s %q", word, f.Name, args[i-1]+" "+word)
	}
	if !tunes {
		return usagef("%s takes no arguments, got %q", fs.Name(), word)
	}
	return usagef("%q is not a flag; the command to tune goes after --, as in jtune [flags] -- COMMAND", word)
}

func placeholder(f *pflag.Flag) string {
	name, _ := pflag.UnquoteUsage(f)
	return strings.ToLower(name)
}

// loadFarm is the farm the host flags name, a bad host list being a
// mistake on the command line.
func loadFarm(h hostFlags) (farm.Farm, error) {
	f, err := farm.Load(h.hosts, h.set, os.Getenv, "/etc")
	var bad *distcc.HostSpecError
	if errors.As(err, &bad) {
		return f, usageError{err: err}
	}
	return f, err
}
