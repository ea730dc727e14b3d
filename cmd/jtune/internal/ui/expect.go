package ui

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

// expectation is what is known in advance about a build's length.
type expectation struct {
	seconds float64 // expected wall time; 0 when unknown
	from    string  // where seconds comes from, for the user
	lines   int     // compile lines of a full build; 0 when unknown
}

// expect estimates the build at jobs from the builds so far (a; nil
// before the first): the model's prediction once it has enough clean
// builds, else the clean build at the nearest N (by ratio, as build time
// scales with 1/N). The compile lines of a full build are kept too: for a
// first build they are the only measure of progress there is.
func expect(a *tuner.Analysis, jobs, refLines int) expectation {
	e := expectation{lines: refLines}
	if a == nil {
		return e
	}
	trials := a.Trials()
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
	if s, ok := a.Predict(jobs); ok {
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
