// Package ui is what jtune shows on stderr while it works: a line when a
// build starts, a live status area on a terminal (plain lines in a log),
// a summary when the build ends, warnings, and the session's report at
// the end. Whether stderr is a terminal, and whether to use colour, is
// decided once, in New. Results never go here: they go to stdout.
package ui

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"

	"github.com/jtune/jtune/cmd/jtune/internal/render"
	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// Console writes what jtune is doing to stderr.
//
// On a terminal the running build gets one live status area (a bar of
// elapsed against expected time, and a line of what the build is doing);
// anywhere else, and in logs, it is plain lines with no escape codes: a
// line when a build starts, one every plainEvery while it runs, and a
// summary when it ends.
type Console struct {
	w     io.Writer
	quiet bool
	live  bool // stderr is a terminal: draw the live status area
	color bool
	good  *color.Color
	bad   *color.Color
	warm  *color.Color // worth a look, not yet wrong: a build running over its expected time
	faint *color.Color
	bold  *color.Color
	// plainEvery is how often a running build gets a status line in plain
	// mode: often enough to show an overnight log is alive, rarely
	// enough to keep it readable.
	plainEvery time.Duration

	mu       sync.Mutex
	refLines int        // compile lines of a full build of an earlier session; 0 when unknown
	cur      *buildView // the running build; nil between builds
}

// New decides on colour once: only on a terminal, and never with
// --no-color or NO_COLOR. fatih/color's own default looks at stdout, which
// is the wrong stream for progress.
func New(w io.Writer, quiet, noColor bool) *Console {
	term := IsTerminal(w)
	useColor := !noColor && os.Getenv("NO_COLOR") == "" && term
	p := &Console{w: w, quiet: quiet, live: term && !quiet && hasWidth(w), color: useColor, plainEvery: time.Minute}
	p.good, p.bad, p.warm = newColor(useColor, color.FgGreen), newColor(useColor, color.FgRed, color.Bold), newColor(useColor, color.FgYellow)
	p.faint, p.bold = newColor(useColor, color.Faint), newColor(useColor, color.Bold)
	return p
}

func newColor(on bool, attrs ...color.Attribute) *color.Color {
	c := color.New(attrs...)
	if on {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c
}

// hasWidth reports whether the terminal says how wide it is. The live
// area is redrawn in place at that width, and on a terminal of width 0 (a
// pseudo-terminal nobody sized, some editors' shells) it shows nothing, so
// such a terminal gets the plain lines instead.
func hasWidth(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	return err == nil && ws.Col > 0
}

// IsTerminal reports whether w is a terminal that takes escape codes.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd()) && os.Getenv("TERM") != "dumb"
}

// ReportStyle is the colours of the text report on stdout: only for a
// person at a terminal, never with --no-color or NO_COLOR.
func ReportStyle(w io.Writer, noColor bool) render.Style {
	if noColor || os.Getenv("NO_COLOR") != "" || !IsTerminal(w) {
		return render.Style{}
	}
	return render.Style{Good: newColor(true, color.FgGreen), Warm: newColor(true, color.FgYellow),
		Bad: newColor(true, color.FgRed, color.Bold), Strong: newColor(true, color.Bold)}
}

// Printf writes a line of progress, unless quiet.
func (p *Console) Printf(format string, args ...any) {
	if !p.quiet {
		fmt.Fprintf(p.w, format, args...)
	}
}

// Header says what the session will do, before its first build; hosts is
// the host list as jtune read it.
func (p *Console) Header(r *session.Record, hosts string) {
	p.Printf("jtune: tuning %s\n", strings.Join(r.Command, " "))
	if len(r.Hosts) > 0 {
		p.Printf("jtune: distcc hosts from %s: %s (%d slots on hosts that answered)\n", r.HostsSource, hosts, r.SlotSum)
	} else {
		p.Printf("jtune: distcc hosts: %s\n", r.HostsSource)
	}
	p.Printf("jtune: formula N0 = %s\n", r.Formula)
	load := fmt.Sprintf("-l%d", r.Load)
	if r.Load == 0 {
		load = "no -l"
	}
	if r.Online != nil {
		p.Printf("jtune: one build, its N moved within %s while it runs, %s\n", r.Range(), load)
		return
	}
	p.Printf("jtune: %s search over %s, at most %s, %s\n", r.Settings.Strategy, r.Range(), render.Builds(r.Settings.Budget), load)
}

// EarlierLines gives the compile lines of a full build of an earlier
// session of the same command, so even the first build of this run can
// show how far along it is.
func (p *Console) EarlierLines(refLines int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refLines = refLines
}

// BuildStart announces a build, with what the builds so far (a) say about
// its length.
func (p *Console) BuildStart(jobs, index, budget int, a *tuner.Analysis) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := &buildView{jobs: jobs, index: index, budget: budget, exp: expect(a, jobs, p.refLines)}
	p.cur = v
	line := fmt.Sprintf("%s build %d/%d at -j%d", p.faint.Sprint("jtune:"), index, budget, jobs)
	if e := v.exp.describe(); e != "" {
		line += ", " + e
	}
	p.Printf("%s ...\n", line)
}

// Status takes a report from the running build. It is called from the
// build's sampling goroutine.
func (p *Console) Status(st probe.BuildStatus) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.cur
	if v == nil {
		return
	}
	v.update(st, time.Now())
	if p.live {
		if v.bar == nil {
			v.bar = startLiveBar(p, v)
		}
		return
	}
	if st.Elapsed-v.logged >= p.plainEvery {
		v.logged = st.Elapsed
		fmt.Fprintf(p.w, "jtune:   -j%d %s\n", v.jobs, v.plainText(st))
	}
}

// StopLive removes the live status area, if a build left one.
func (p *Console) StopLive() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil && p.cur.bar != nil {
		p.cur.bar.stop()
		p.cur.bar = nil
	}
}

// BuildDone ends the running build's status area and prints its one-line
// summary.
func (p *Console) BuildDone(trials []tuner.Trial) {
	p.StopLive()
	p.mu.Lock()
	p.cur = nil
	p.mu.Unlock()
	t := trials[len(trials)-1]
	line := fmt.Sprintf("jtune:   -j%d %s in %s, %d distcc failures, max load %.2f, max temp %s",
		t.Jobs, p.statusColor(t.Status).Sprint(t.Status), render.BuildTime(t), t.DistccFailures, t.MaxLoad, render.Celsius(t.MaxTempC))
	if t.CompileLines > 0 {
		line += fmt.Sprintf(", %d compile lines", t.CompileLines)
	}
	if t.Reason != "" {
		line += " (" + t.Reason + ")"
	}
	if last := lastLine(t.StderrTail); t.Status == tuner.StatusFailed && last != "" {
		line += ": " + last
	}
	p.Printf("%s\n", line)
}

// statusColor is how a status is painted: green when clean, yellow for a
// build that was only stopped early (not an error), red otherwise.
func (p *Console) statusColor(s tuner.Status) *color.Color {
	switch s {
	case tuner.StatusOK:
		return p.good
	case tuner.StatusAborted, tuner.StatusTimeout, tuner.StatusInterrupted:
		return p.warm
	}
	return p.bad
}

// lastLine is the last line of text that is not blank.
func lastLine(text string) string {
	lines := nonBlank(text)
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}

func nonBlank(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimRight(l, "\r"))
		}
	}
	return out
}

// SessionEnd says on stderr that the session is over; the report itself
// goes to stdout only, its one place.
func (p *Console) SessionEnd(r *session.Record) {
	p.Printf("jtune: finished: %s; the report is on stdout\n", render.Outcome(r))
}

// Warn shows a warning with the advice for its kind.
func (p *Console) Warn(w tuner.Warning) {
	p.Printf("%s %s\n", p.bad.Sprint("jtune: warning:"), render.Warning(w))
}

// BrokenCommand shows the tail of a failed first build even with --quiet:
// it is the error message the user needs.
func (p *Console) BrokenCommand(e *tuner.BrokenCommandError) {
	fmt.Fprintf(p.w, "%s the first build failed (exit code %d); the end of its output:\n", p.bad.Sprint("jtune:"), e.ExitCode)
	for _, line := range nonBlank(e.StderrTail) {
		fmt.Fprintf(p.w, "  | %s\n", line)
	}
}

// Window shows a window of an online build as it ends, and the N the
// build goes on at.
func (p *Console) Window(w tuner.Window, next int) {
	kind := "fair"
	if !w.Fair {
		kind = w.Cause
		if w.Reason != "" {
			kind += ": " + w.Reason
		}
	}
	p.Printf("jtune:   -j%d for %s: %d jobs done, %.2f jobs/s, %d distcc failures (%s); now -j%d\n",
		w.Jobs, shortDuration(secondsDuration(w.Seconds)), w.Completed, w.Throughput, w.Failures, kind, next)
}

// CoolDown returns the status reporter for the wait before a build: one
// line per reading while the CPU is above target.
func (p *Console) CoolDown(target float64) func(tempC float64) {
	return func(tempC float64) {
		if tempC > target {
			p.Printf("jtune: cooling down: CPU at %.0f °C, next build at %.0f °C (%.0f to go)\n", tempC, target, tempC-target)
		}
	}
}
