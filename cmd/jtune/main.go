// Command jtune finds the make -j value that builds a tree fastest on a
// distcc farm, by running real builds at different N and watching the
// master for overload.
//
//	jtune [flags] -- COMMAND [ARG...]
//	jtune recommend | simulate | report [flags]
//
// Run jtune --help for the flags. Package main is only the command line:
// each command has a file that parses its flags and hands the work to the
// tuner, the probe, the simulator and the internal packages (session,
// render, ui, makeconf).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/jtune/jtune/cmd/jtune/internal/tuning"
	"github.com/jtune/jtune/probe"
)

// version is set at link time with -ldflags "-X main.version=..."; when
// it is not, the module's version comes from the build information that go
// install records (v1.2.3, or a pseudo-version), and a build from a clone
// says "(devel)" with the commit it was built from.
var version = ""

func jtuneVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if v == "(devel)" && rev != "" {
		v += " " + rev[:min(12, len(rev))]
		if modified == "true" {
			v += "+dirty"
		}
	}
	return v
}

func main() {
	// Builds' orphans come back to jtune, which stops what a build left
	// running; without it, jtune still finds them by the build's mark.
	_ = probe.BecomeSubreaper()
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// commands are jtune's commands after the first word; without one, jtune
// tunes (runTune).
var commands = map[string]func(args []string, stdout, stderr io.Writer) error{
	"recommend": runRecommend,
	"simulate":  runSimulate,
	"report":    runReport,
}

// run is jtune without the process around it: it parses args, runs the
// command, and writes results to stdout and progress to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	name, cmd := "", runTune
	if len(args) > 0 {
		if c, ok := commands[args[0]]; ok {
			name, cmd, args = args[0], c, args[1:]
		} else if args[0] == "help" {
			return runHelp(args[1:], stdout, stderr)
		}
	}
	err := cmd(args, stdout, stderr)
	var found tuning.UsageError
	if errors.As(err, &found) {
		err = usageError{err: found.Err}
	}
	var usage usageError
	if errors.As(err, &usage) {
		usage.command = name
		return usage
	}
	return err
}

// runHelp is jtune help [COMMAND]: the help of jtune or of a command.
func runHelp(args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0:
		return runTune([]string{"--help"}, stdout, stderr)
	case len(args) > 1:
		return usagef("jtune help takes one command, got %q", args)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return usagef("jtune has no command %q; the commands are recommend, simulate and report", args[0])
	}
	return cmd([]string{"--help"}, stdout, stderr)
}

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitCritical = 3
)

// usageError marks a mistake on the command line: exit 2. command is the
// jtune command whose line it is ("" for tuning), for the help to point
// at.
type usageError struct {
	err     error
	command string
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{err: fmt.Errorf(format, args...)}
}

// errHelp means --help or --version was answered: exit 0.
var errHelp = errors.New("help shown")

func exitCode(err error, stderr io.Writer) int {
	var usage usageError
	var interrupted tuning.InterruptedError
	var failed tuning.BuildFailedError
	var critical tuning.CriticalError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &interrupted):
		fmt.Fprintf(stderr, "jtune: %v\n", err)
		return interrupted.ExitCode()
	case errors.As(err, &failed):
		fmt.Fprintf(stderr, "jtune: %v\n", err)
		return failed.ExitCode()
	case errors.As(err, &critical):
		fmt.Fprintf(stderr, "jtune: %v\n", err)
		return exitCritical
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "jtune: %v\n", err)
		if usage.command != "" {
			fmt.Fprintf(stderr, "Run 'jtune %s --help' for usage.\n", usage.command)
		} else {
			fmt.Fprintln(stderr, "Run 'jtune --help' for usage.")
		}
		return exitUsage
	default:
		fmt.Fprintf(stderr, "jtune: %v\n", err)
		return exitFailure
	}
}
