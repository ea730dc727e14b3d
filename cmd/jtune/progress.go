package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"

	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// progress writes what jtune is doing to stderr. Results never go here.
//
// On a terminal the running build gets one live status area (a bar of
// elapsed against expected time, and a line of what the build is doing);
// anywhere else, and in logs, it is plain lines with no escape codes: a
// line when a build starts, one every plainEvery while it runs, and a
// summary when it ends.
type progress struct {
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
	trials   []tuner.Trial // every build so far, for the next one's expected time
	refLines int           // compile lines of a full build of an earlier session; 0 when unknown
	cur      *buildView    // the running build; nil between builds
}

// newProgress decides on colour once: only on a terminal, and never with
// --no-color or NO_COLOR. fatih/color's own default looks at stdout, which
// is the wrong stream for progress.
func newProgress(w io.Writer, quiet, noColor bool) *progress {
	term := isTerminal(w) && os.Getenv("TERM") != "dumb"
	useColor := !noColor && os.Getenv("NO_COLOR") == "" && term
	p := &progress{w: w, quiet: quiet, live: term && !quiet && hasWidth(w), color: useColor, plainEvery: time.Minute}
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

// history gives the builds of a resumed session, and the compile lines of
// a full build of an earlier one, so even the first build of this run can
// show how far along it is.
func (p *progress) history(trials []tuner.Trial, refLines int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trials, p.refLines = trials, refLines
}

func (p *progress) buildStart(jobs, index, budget int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := &buildView{jobs: jobs, index: index, budget: budget, exp: expect(p.trials, jobs, p.refLines)}
	p.cur = v
	line := fmt.Sprintf("%s build %d/%d at -j%d", p.faint.Sprint("jtune:"), index, budget, jobs)
	if e := v.exp.describe(); e != "" {
		line += ", " + e
	}
	p.printf("%s ...\n", line)
}

// status takes a report from the running build. It is called from the
// build's sampling goroutine.
func (p *progress) status(st probe.BuildStatus) {
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

// stopLive removes the live status area, if a build left one.
func (p *progress) stopLive() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil && p.cur.bar != nil {
		p.cur.bar.stop()
		p.cur.bar = nil
	}
}

// buildDone ends the running build's status area and prints its one-line
// summary.
func (p *progress) buildDone(trials []tuner.Trial) {
	p.stopLive()
	p.mu.Lock()
	p.trials, p.cur = trials, nil
	p.mu.Unlock()
	t := trials[len(trials)-1]
	status := p.good.Sprint(t.Status)
	if t.Status != tuner.StatusOK {
		status = p.bad.Sprint(t.Status)
	}
	line := fmt.Sprintf("jtune:   -j%d %s in %.1f s, %d distcc failures, max load %.2f, max temp %s",
		t.Jobs, status, t.WallSeconds, t.DistccFailures, t.MaxLoad, celsius(t.MaxTempC))
	if t.CompileLines > 0 {
		line += fmt.Sprintf(", %d compile lines", t.CompileLines)
	}
	if t.Reason != "" {
		line += " (" + t.Reason + ")"
	}
	p.printf("%s\n", line)
}

// sessionEnd prints the compact table and the recommendation on stderr,
// unless the text report is already on its way to the same place.
func (p *progress) sessionEnd(r *report) {
	if p.quiet {
		return
	}
	fmt.Fprintln(p.w)
	_ = writeTextStyle(p.w, r, p.textStyle())
}

func (p *progress) textStyle() textStyle {
	if !p.color {
		return textStyle{}
	}
	return textStyle{good: p.good, bad: p.bad, strong: p.bold}
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

// expectation is what is known in advance about a build's length.
type expectation struct {
	seconds float64 // expected wall time; 0 when unknown
	from    string  // where seconds comes from, for the user
	lines   int     // compile lines of a full build; 0 when unknown
}

// expect estimates the build at jobs from the builds so far: the model's
// prediction once it has enough clean builds, else the clean build at the
// nearest N (by ratio, as build time scales with 1/N). The compile lines
// of a full build are kept too: for a first build they are the only
// measure of progress there is.
func expect(trials []tuner.Trial, jobs, refLines int) expectation {
	e := expectation{lines: refLines}
	nearest, dist := 0, math.Inf(1)
	sum := map[int]float64{}
	count := map[int]int{}
	for _, t := range trials {
		if t.Status != tuner.StatusOK {
			continue
		}
		e.lines = max(e.lines, t.CompileLines)
		sum[t.Jobs] += t.WallSeconds
		count[t.Jobs]++
		if d := math.Abs(math.Log(float64(t.Jobs) / float64(jobs))); d < dist {
			nearest, dist = t.Jobs, d
		}
	}
	if s, ok := tuner.Predicted(trials, jobs); ok {
		e.seconds, e.from = s, "the model"
	} else if nearest > 0 {
		e.seconds, e.from = sum[nearest]/float64(count[nearest]), fmt.Sprintf("-j%d", nearest)
	}
	return e
}

// describe says what the build is expected to take, for its start line.
func (e expectation) describe() string {
	switch {
	case e.seconds > 0:
		return fmt.Sprintf("expected %s (from %s)", shortDuration(secondsDuration(e.seconds)), e.from)
	case e.lines > 0:
		return fmt.Sprintf("progress by %d compile lines of an earlier build", e.lines)
	}
	return ""
}

// buildView is the state of the running build that the display shows. The
// live bar reads it from its own goroutine, hence its mutex, which is
// never held while calling into the bar.
type buildView struct {
	jobs, index, budget int
	exp                 expectation
	logged              time.Duration // plain mode: elapsed time of the last status line
	bar                 *liveBar

	mu     sync.Mutex
	last   probe.BuildStatus
	lastAt time.Time
}

func (v *buildView) update(st probe.BuildStatus, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.last, v.lastAt = st, now
}

// snapshot is the last status with its clock moved on to now, so the
// display's clock runs smoothly between samples.
func (v *buildView) snapshot(now time.Time) probe.BuildStatus {
	v.mu.Lock()
	defer v.mu.Unlock()
	st := v.last
	if !v.lastAt.IsZero() {
		st.Elapsed += now.Sub(v.lastAt)
	}
	return st
}

// fraction is how far along the build is, and whether that is known:
// elapsed against expected time, or else compile lines against a full
// build's. It may pass 1 when a build runs long.
func (e expectation) fraction(st probe.BuildStatus) (float64, bool) {
	switch {
	case e.seconds > 0:
		return st.Elapsed.Seconds() / e.seconds, true
	case e.lines > 0:
		return float64(st.CompileLines) / float64(e.lines), true
	}
	return 0, false
}

// eta is the time left, and whether it can be told: from the expected
// time, or by extrapolating the compile lines once a few are in.
func (e expectation) eta(st probe.BuildStatus) (time.Duration, bool) {
	switch {
	case e.seconds > 0:
		return secondsDuration(e.seconds) - st.Elapsed, true
	case e.lines > 0 && st.CompileLines >= max(3, e.lines/50):
		f := float64(st.CompileLines) / float64(e.lines)
		return time.Duration(float64(st.Elapsed) * max(0, 1-f) / f), true
	}
	return 0, false
}

// timeText is the part after the bar: elapsed against expected, and the
// time left.
func (e expectation) timeText(st probe.BuildStatus) (text string, over bool) {
	el := shortDuration(st.Elapsed)
	switch {
	case e.seconds > 0:
		left := secondsDuration(e.seconds) - st.Elapsed
		text = fmt.Sprintf("%s / %s", el, shortDuration(secondsDuration(e.seconds)))
		if left < 0 {
			return text + fmt.Sprintf("  %s over", shortDuration(-left)), true
		}
		return text + fmt.Sprintf("  ETA %s", shortDuration(left)), false
	case e.lines > 0:
		text = fmt.Sprintf("%s  %d/%d compile lines", el, st.CompileLines, e.lines)
		if left, ok := e.eta(st); ok {
			text += "  ETA " + shortDuration(left)
		}
		return text, false
	}
	return el, false
}

// statsText is the line under the bar: what the build is doing now.
func statsText(st probe.BuildStatus) string {
	parts := []string{
		fmt.Sprintf("%d compile lines", st.CompileLines),
		fmt.Sprintf("%d distcc failures", st.DistccFailures),
		fmt.Sprintf("load %.2f", st.Load1),
	}
	if st.HasTemp {
		parts = append(parts, fmt.Sprintf("%.0f °C", st.TempC))
	}
	if st.Paused {
		parts = append(parts, "paused to cool down")
	}
	return strings.Join(parts, " · ")
}

// plainText is the periodic status line for logs.
func (v *buildView) plainText(st probe.BuildStatus) string {
	line := "running for " + shortDuration(st.Elapsed)
	if v.exp.seconds > 0 {
		line += fmt.Sprintf(" of about %s", shortDuration(secondsDuration(v.exp.seconds)))
	} else if v.exp.lines > 0 {
		line += fmt.Sprintf(", %d of %d compile lines", st.CompileLines, v.exp.lines)
	}
	return line + ", " + strings.ReplaceAll(statsText(st), " · ", ", ")
}

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// shortDuration renders a duration the way a status line wants it: 7s,
// 2m05s, 1h02m.
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}
