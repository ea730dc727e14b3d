package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"

	"github.com/jtune/jtune/tuner"
)

// progress writes what jtune is doing to stderr. Results never go here.
type progress struct {
	w     io.Writer
	quiet bool
	good  *color.Color
	bad   *color.Color
	faint *color.Color
}

// newProgress decides on colour once: only on a terminal, and never with
// --no-color or NO_COLOR. fatih/color's own default looks at stdout, which
// is the wrong stream for progress.
func newProgress(w io.Writer, quiet, noColor bool) *progress {
	useColor := !noColor && os.Getenv("NO_COLOR") == "" && isTerminal(w)
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if useColor {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return &progress{w: w, quiet: quiet, good: mk(color.FgGreen), bad: mk(color.FgRed, color.Bold), faint: mk(color.Faint)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

func (p *progress) printf(format string, args ...any) {
	if !p.quiet {
		fmt.Fprintf(p.w, format, args...)
	}
}

func (p *progress) header(pl plan) {
	p.printf("jtune: tuning %s\n", strings.Join(pl.command, " "))
	if len(pl.farm.Hosts.Hosts) > 0 {
		p.printf("jtune: distcc hosts from %s: %s (%d slots on hosts that answered)\n", pl.farm.Source, pl.farm.Hosts.String(), pl.farm.slotSum())
	} else {
		p.printf("jtune: distcc hosts: %s\n", pl.farm.Source)
	}
	p.printf("jtune: formula N0 = %s\n", pl.formula)
	p.printf("jtune: %s search over -j%d..-j%d, at most %d builds, -l%d\n", pl.strategy, pl.minJobs, pl.maxJobs, pl.budget, pl.load)
}

func (p *progress) buildStart(jobs, index, budget int) {
	p.printf("%s build %d/%d at -j%d ...\n", p.faint.Sprint("jtune:"), index, budget, jobs)
}

func (p *progress) buildDone(t tuner.Trial) {
	status := p.good.Sprint(t.Status)
	if t.Status != tuner.StatusOK {
		status = p.bad.Sprint(t.Status)
	}
	line := fmt.Sprintf("jtune:   -j%d %s in %.1f s, %d distcc failures, max load %.2f, max temp %s",
		t.Jobs, status, t.WallSeconds, t.DistccFailures, t.MaxLoad, celsius(t.MaxTempC))
	if t.Reason != "" {
		line += " (" + t.Reason + ")"
	}
	p.printf("%s\n", line)
}

func (p *progress) warn(msg string) {
	p.printf("%s %s\n", p.bad.Sprint("jtune: warning:"), msg)
}

// brokenCommand shows the tail of a failed first build even with --quiet:
// it is the error message the user needs.
func (p *progress) brokenCommand(e *tuner.BrokenCommandError) {
	fmt.Fprintf(p.w, "%s the first build failed (exit code %d); the end of its output:\n", p.bad.Sprint("jtune:"), e.ExitCode)
	for _, line := range strings.Split(strings.TrimRight(e.StderrTail, "\n"), "\n") {
		fmt.Fprintf(p.w, "  | %s\n", line)
	}
}

// coolDown returns the status reporter for the wait before a build: one
// line per reading while the CPU is above target.
func (p *progress) coolDown(target float64) func(tempC float64) {
	return func(tempC float64) {
		if tempC > target {
			p.printf("jtune: cooling down: CPU at %.0f °C, next build at %.0f °C (%.0f to go)\n", tempC, target, tempC-target)
		}
	}
}
