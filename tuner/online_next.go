package tuner

import (
	"fmt"
	"math"
	"slices"
)

// OnlineSpace is what the online search needs to know besides the
// windows.
type OnlineSpace struct {
	Min, Max int // inclusive search range
	Start    int // the formula's N0
	// Tolerance is the relative difference in throughput below which a
	// smaller N is preferred. Zero means 1%.
	Tolerance float64
	// Noise is the assumed relative noise of one window before repeats
	// measure it.
	Noise float64
	// MemoryCap is the most jobs the master's memory takes, as the
	// running jobs say; zero means no limit.
	MemoryCap int
}

// onlineStep is the factor between an N and the next one the search
// tries above or below it: a step big enough to see a difference in one
// window, small enough that a step past the peak costs little and a step
// into overload is a small one.
const onlineStep = 1.5

// minGapRatio is the ratio between the best N and a neighbour below which
// the search stops refining: finer than that, windows cannot tell the
// difference, and on a flat peak it does not matter.
const minGapRatio = 1.12

// OnlineStart is the N an online build starts at: the bottom of the range,
// from which RunOnline ramps N up to OnlineTarget.
func OnlineStart(sp OnlineSpace) int { return min(max(sp.Min, 1), sp.Max) }

// OnlineTarget is where the ramp ends and the windows begin: half the
// formula's N0, which on a farm is often near the failure wall and on a
// master with little memory already too many, so the search climbs from
// there rather than start above.
func OnlineTarget(sp OnlineSpace) int {
	return min(max(int(math.Round(float64(sp.Start)/2)), sp.Min, 1), sp.Max)
}

// WindowTrials turns windows into what the offline search and
// recommendation understand: each fair window is a build that takes, at
// its N, the time the whole compile phase (jobs compile jobs) would take
// at the window's throughput; an overloaded window is an overloaded build.
//
// jobs scales the times; zero means the jobs the fair windows completed,
// so that a window's time reads as that of the measured part of the
// build.
func WindowTrials(ws []Window, jobs int) []Trial {
	if jobs == 0 {
		jobs = scaleJobs(ws)
	}
	var trials []Trial
	for _, w := range ws {
		switch {
		case w.Fair && w.Throughput > 0:
			trials = append(trials, Trial{Jobs: w.Jobs, Status: StatusOK,
				Measurement: Measurement{WallSeconds: float64(jobs) / w.Throughput}})
		case w.Cause == CauseOverload:
			trials = append(trials, Trial{Jobs: w.Jobs, Status: StatusOverloaded})
		}
	}
	return trials
}

// scaleJobs is the number of compile jobs windowTrials scales to: the
// jobs the windows completed, so that a window's time reads as the time
// of the part of the build that was measured.
func scaleJobs(ws []Window) int {
	n := 0
	for _, w := range ws {
		if w.Fair {
			n += w.Completed
		}
	}
	return max(n, 1)
}

// NextOnline chooses the N of the next window from the windows so far. It
// is a pure function of its arguments.
//
// It climbs: from the fastest N so far it steps up by onlineStep while
// that is faster, then down when the first step up was not; once the best
// N has a measured neighbour on each side (or the range or the cap ends
// it), it narrows the wider gap golden-section fashion while the
// neighbour there is clearly slower; and where two N stay within the
// noise of each other, it measures them in turn (A, B, A, B) so that the
// build's own drift falls on both. When nothing is left to learn, it stays
// at the best N for the rest of the build.
func NextOnline(ws []Window, sp OnlineSpace) int {
	if len(ws) == 0 {
		return OnlineTarget(sp)
	}
	last := ws[len(ws)-1].Jobs
	o := observe(WindowTrials(ws, scaleJobs(ws)))
	best, bestT := o.best()
	if best == 0 {
		return last // no fair window yet: keep measuring where we are
	}
	top := min(sp.Max, o.capAt-1)
	if sp.MemoryCap > 0 {
		top = min(top, max(sp.MemoryCap, sp.Min))
	}
	noise := o.noise(sp.Noise)
	below, above := 0, 0
	for n := range o.times {
		if n < best {
			below = max(below, n)
		} else if n > best && (above == 0 || n < above) {
			above = n
		}
	}
	up := stepUp(best, top, o.capAt)
	down := max(sp.Min, int(math.Floor(float64(best)/onlineStep)))
	slower := func(n int) bool {
		v, _ := o.value(n)
		return v > bestT*(1+2*noise)
	}
	// On a plateau a step up is no faster, but no slower either: the
	// climb goes on from the highest N while that is within the noise of
	// the best, so that it finds where the plateau begins.
	highest := 0
	for n := range o.times {
		highest = max(highest, n)
	}
	if highest > best && !slower(highest) {
		if next := stepUp(highest, top, o.capAt); next > highest {
			if _, known := o.value(next); !known {
				return next
			}
		}
	}
	switch {
	case above == 0 && up > best && o.capAt > best+1:
		return up
	case below == 0 && down < best && (above != 0 || up <= best):
		return down
	}
	if n, ok := narrowGap(o, sp, best, below, above, top, slower); ok {
		return n
	}
	return rival(o, best, bestT, noise, last)
}

// stepUp is the N a step above n, within top: onlineStep times n, or,
// when that would land right below the cap, a golden-section point
// between n and the cap first.
func stepUp(n, top, capAt int) int {
	up := min(top, int(math.Ceil(float64(n)*onlineStep)))
	if capAt != math.MaxInt && up >= capAt-1 && capAt-n > 2 {
		up = n + max(1, int(math.Round(goldenFraction*float64(capAt-n))))
	}
	return up
}

// narrowGap returns an N inside a gap beside best (between below and
// best, or best and above; 0 means none measured there), when the
// neighbour on that side is clearly slower. The wider gap goes first: a
// kink (the master saturating, a failure wall) hides in a wide gap, and
// the peak is nearer the slower side's other neighbour.
func narrowGap(o observations, sp OnlineSpace, best, below, above, top int, slower func(int) bool) (int, bool) {
	if above == 0 {
		above = top + 1
	}
	if below == 0 {
		below = sp.Min - 1
	}
	gaps := []struct{ lo, hi int }{{best, above}, {below, best}}
	slices.SortFunc(gaps, func(a, b struct{ lo, hi int }) int {
		return cmpRatio(b.hi, b.lo, a.hi, a.lo)
	})
	for _, g := range gaps {
		far := g.hi
		if g.hi == best {
			far = g.lo
		}
		if g.lo < sp.Min || g.hi > top || float64(g.hi) <= minGapRatio*float64(max(g.lo, 1)) {
			continue
		}
		if _, known := o.value(far); known && !slower(far) {
			continue // flat there: nothing to gain between
		}
		if n, ok := goldenPoint(g.lo, best, g.hi); ok && n > g.lo && n < g.hi {
			if _, known := o.value(n); !known {
				return n, true
			}
		}
	}
	return 0, false
}

// cmpRatio compares the ratios a1/a0 and b1/b0 of two gaps.
func cmpRatio(a1, a0, b1, b0 int) int {
	ra, rb := float64(a1)/float64(max(a0, 1)), float64(b1)/float64(max(b0, 1))
	switch {
	case ra < rb:
		return -1
	case ra > rb:
		return 1
	}
	return 0
}

// rivalWindows is how many fair windows the best N and a rival within the
// noise each get before the search settles on the best.
const rivalWindows = 3

// rival alternates between the best N and the measured N nearest to it in
// time, while they are within the noise of each other and either has
// fewer than rivalWindows windows; then it stays at the best.
func rival(o observations, best int, bestT, noise float64, last int) int {
	r, rT := 0, math.Inf(1)
	for n, ts := range o.times {
		if n != best && n < o.capAt && mean(ts) < rT {
			r, rT = n, mean(ts)
		}
	}
	if r == 0 || rT > bestT*(1+2*noise) {
		return best
	}
	if o.samples(best) >= rivalWindows && o.samples(r) >= rivalWindows {
		return best
	}
	// A, B, A, B: the one not measured last, else the one with fewer.
	switch {
	case last == best && o.samples(r) < rivalWindows:
		return r
	case last == r && o.samples(best) < rivalWindows:
		return best
	case o.samples(r) < o.samples(best):
		return r
	}
	return best
}

// BackOff is the N to go to at once from jobs when a guard fires: below an
// overload, the fastest N measured clean below it, else two thirds of
// it; for heat (the window under way is marked so), three quarters.
func BackOff(ws []Window, sp OnlineSpace, jobs int) int {
	last := ws[len(ws)-1]
	n := int(math.Floor(float64(jobs) * 2 / 3))
	if last.Cause == CauseHeat {
		n = int(math.Floor(float64(jobs) * 3 / 4))
	} else {
		o := observe(WindowTrials(ws, scaleJobs(ws)))
		if best, _ := o.best(); best > 0 && best < jobs {
			n = best
		}
	}
	return min(max(n, sp.Min, 1), jobs)
}

// RecommendOnline recommends an N from the fair windows of a session, as
// Bayesian search recommends from builds: each N's windows are pooled
// into the time the measured compile jobs would take at it, the model of
// build time smooths them, and the smallest N within the tolerance of the
// fastest wins. Overloaded N and everything above are never recommended.
// ok is false when no window was fair.
func RecommendOnline(ws []Window, sp OnlineSpace, load int) (Recommendation, bool) {
	jobs := scaleJobs(ws)
	a := Analyze(WindowTrials(ws, jobs), Space{Min: sp.Min, Max: sp.Max, Start: sp.Start, Tolerance: sp.Tolerance, Noise: sp.Noise})
	rec, ok := a.RecommendByModel(load)
	if !ok {
		return rec, false
	}
	// The reason in the windows' own terms: jobs per second, not the
	// time of a build that was never run on its own.
	windows := 0
	for _, w := range ws {
		if w.Fair && w.Jobs == rec.Jobs {
			windows++
		}
	}
	rec.Reason = fmt.Sprintf("%.2f compile jobs per second by the model, measured in %d window%s", float64(jobs)/rec.ExpectedSeconds, windows, plural(windows))
	if len(rec.PlausibleJobs) == 2 {
		rec.Reason += fmt.Sprintf("; the model puts the best N in %s", Range{rec.PlausibleJobs[0], rec.PlausibleJobs[1]})
	}
	rec.Reason += a.obs.capNote()
	return rec, true
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
