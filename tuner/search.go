package tuner

import (
	"fmt"
	"math"
	"sort"
)

// Strategy names a search method.
type Strategy string

// The search strategies.
const (
	Golden Strategy = "golden" // golden-section search seeded at the formula's N0
	Grid   Strategy = "grid"   // evenly spaced N over the range, in ascending order
)

// Strategies lists the valid strategies, for flag help and errors.
var Strategies = []Strategy{Golden, Grid, Bayes}

// DefaultStrategy is the search used when none is chosen: Bayes, which
// meets its targets in the tuning benchmark (jtune simulate --bench) and
// beats the others there on accuracy and on time spent.
const DefaultStrategy = Bayes

// Space is everything a strategy needs to know besides the trials.
type Space struct {
	Min, Max int // inclusive search range
	Start    int // the formula's N0, where golden-section search begins
	Budget   int // the most builds to run, counting repeats

	// Noise is the relative difference below which two build times are
	// treated as equal until both have been measured twice. It stands in
	// for the measured noise before there are repeats.
	Noise float64
	// Tolerance is the relative improvement below which Bayesian search
	// stops. Zero means 1%.
	Tolerance float64
}

// NextFunc chooses the next N to build from what has been observed. It
// returns done when the search has nothing more to learn or the budget is
// spent. It must be a pure function of its arguments.
type NextFunc func(trials []Trial, sp Space) (jobs int, done bool)

// NextFor returns the NextFunc of a strategy.
func NextFor(s Strategy) (NextFunc, error) {
	switch s {
	case Golden:
		return NextGolden, nil
	case Grid:
		return NextGrid, nil
	case Bayes:
		return NextBayes, nil
	}
	return nil, fmt.Errorf("tuner: strategy %q isn't one of %v", s, Strategies)
}

// observations summarises trials by N.
type observations struct {
	times      map[int][]float64 // ok wall times
	lowerBound map[int]float64   // longest timeout or abort at N: the build takes at least this
	capAt      int               // lowest failed or overloaded N; math.MaxInt when none
	builds     int               // builds that count against the budget
}

func observe(trials []Trial) observations {
	o := observations{times: map[int][]float64{}, lowerBound: map[int]float64{}, capAt: math.MaxInt}
	for _, t := range trials {
		if !t.counts() {
			continue
		}
		o.builds++
		switch {
		case t.Status == StatusOK:
			o.times[t.Jobs] = append(o.times[t.Jobs], t.WallSeconds)
		case t.Status == StatusTimeout || t.Status == StatusAborted:
			o.lowerBound[t.Jobs] = math.Max(o.lowerBound[t.Jobs], t.lowerBound())
		case t.Status.caps():
			o.capAt = min(o.capAt, t.Jobs)
		}
	}
	return o
}

// value is the build time the search believes for n. Capped N are
// infinitely slow, so comparisons push the search below them without
// spending a build there.
func (o observations) value(n int) (v float64, known bool) {
	if n >= o.capAt {
		return math.Inf(1), true
	}
	if ts := o.times[n]; len(ts) > 0 {
		return mean(ts), true
	}
	if lb, ok := o.lowerBound[n]; ok {
		return lb, true
	}
	return 0, false
}

func (o observations) samples(n int) int { return len(o.times[n]) }

// best returns the N with the fastest mean ok time below the cap, or 0.
func (o observations) best() (n int, secs float64) {
	secs = math.Inf(1)
	for m, ts := range o.times {
		if m < o.capAt && (mean(ts) < secs || mean(ts) == secs && m < n) {
			n, secs = m, mean(ts)
		}
	}
	return n, secs
}

// built lists every N with a time or a lower bound, in no order.
func (o observations) built() []int {
	var ns []int
	for n := range o.times {
		ns = append(ns, n)
	}
	for n := range o.lowerBound {
		if _, dup := o.times[n]; !dup {
			ns = append(ns, n)
		}
	}
	return ns
}

// noise is the relative difference that counts as a tie: the assumed noise
// until repeats exist, then twice the pooled relative standard deviation
// of the repeats, never below the assumed floor of half the assumed noise.
func (o observations) noise(assumed float64) float64 {
	var sumSq float64
	var dof int
	for _, ts := range o.times {
		if len(ts) < 2 {
			continue
		}
		m := mean(ts)
		for _, t := range ts {
			sumSq += (t/m - 1) * (t/m - 1)
		}
		dof += len(ts) - 1
	}
	if dof == 0 {
		return assumed
	}
	return math.Max(2*math.Sqrt(sumSq/float64(dof)), assumed/2)
}

// NextGrid walks an evenly spaced grid of Budget points over the range in
// ascending order, like hyperfine's --parameter-scan. It stops at the
// first failed or overloaded N, since every point above it is capped.
func NextGrid(trials []Trial, sp Space) (int, bool) {
	o := observe(trials)
	if o.builds >= sp.Budget {
		return 0, true
	}
	for _, n := range gridPoints(sp.Min, sp.Max, sp.Budget) {
		if _, known := o.value(n); !known {
			return n, false
		}
	}
	return 0, true
}

func gridPoints(lo, hi, k int) []int {
	if k <= 1 || hi <= lo {
		return []int{lo}
	}
	var pts []int
	for i := range k {
		n := lo + int(math.Round(float64(i)*float64(hi-lo)/float64(k-1)))
		if len(pts) == 0 || pts[len(pts)-1] != n {
			pts = append(pts, n)
		}
	}
	return pts
}

// goldenFraction is 2 - φ: where golden-section search puts a new point
// inside the larger of the two segments around the point it keeps.
var goldenFraction = (3 - math.Sqrt(5)) / 2

// NextGolden runs golden-section search over the integers of the range,
// starting at sp.Start. It is written as a replay: the search is run from
// the beginning against the observations, and the first N it needs that
// has not been measured is the answer. That keeps it pure and lets a
// resumed session continue exactly where it stopped.
//
// It is noise-aware: when the two points being compared differ by less
// than the noise, the one with fewer measurements is built again before
// the bracket is cut. If they still tie after two measurements each, both
// are kept by cutting only above the larger N, which favours the smaller
// N that a plateau makes just as good.
func NextGolden(trials []Trial, sp Space) (int, bool) {
	o := observe(trials)
	if o.builds >= sp.Budget {
		return 0, true
	}
	noise := o.noise(sp.Noise)
	// The bracket ends are never built, so widen it by one on each side
	// to make Min and Max reachable.
	a, b := sp.Min-1, sp.Max+1
	x := min(max(sp.Start, sp.Min), sp.Max)
	if _, known := o.value(x); !known {
		return x, false
	}
	for {
		u, ok := goldenPoint(a, x, b)
		if !ok {
			return 0, true
		}
		fu, known := o.value(u)
		if !known {
			return u, false
		}
		fx, _ := o.value(x)
		lo, hi, flo, fhi := x, u, fx, fu
		if u < x {
			lo, hi, flo, fhi = u, x, fu, fx
		}
		if tied(flo, fhi, noise) {
			if n := remeasure(o, lo, hi); n != 0 {
				return n, false
			}
		}
		if flo <= fhi || tied(flo, fhi, noise) {
			b, x = hi, lo
		} else {
			a, x = lo, hi
		}
	}
}

// goldenPoint places the next probe in the larger segment of [a, b]
// around x. ok is false when no untried integer is left inside.
func goldenPoint(a, x, b int) (int, bool) {
	if b-a <= 2 {
		return 0, false
	}
	var u int
	if b-x >= x-a {
		u = x + max(1, int(math.Round(goldenFraction*float64(b-x))))
	} else {
		u = x - max(1, int(math.Round(goldenFraction*float64(x-a))))
	}
	if u <= a || u >= b || u == x {
		return 0, false
	}
	return u, true
}

func tied(f1, f2 float64, noise float64) bool {
	if math.IsInf(f1, 1) || math.IsInf(f2, 1) {
		return false
	}
	return math.Abs(f1-f2) <= noise*math.Min(f1, f2)
}

// remeasure returns which of two tied points to build again, or 0 when
// both have already been measured twice.
func remeasure(o observations, lo, hi int) int {
	switch {
	case o.samples(lo) < 2 && o.samples(lo) <= o.samples(hi):
		return lo
	case o.samples(hi) < 2:
		return hi
	}
	return 0
}

// Recommendation is the N that jtune advises.
type Recommendation struct {
	Jobs            int     `json:"jobs"`
	Load            int     `json:"load"`
	ExpectedSeconds float64 `json:"expected_seconds"`
	Reason          string  `json:"reason"`
	// PlausibleJobs is the interval [lo, hi] of N that the model cannot
	// rule out as the best; only model-based strategies give it.
	PlausibleJobs []int `json:"plausible_jobs,omitempty"`
}

// MakeOpts renders the recommendation as a MAKEOPTS value.
func (r Recommendation) MakeOpts() string { return MakeOpts(r.Jobs, r.Load) }

// MakeOpts renders -jN -lM as MAKEOPTS wants it; a load of zero means no -l.
func MakeOpts(jobs, load int) string {
	if load > 0 {
		return fmt.Sprintf("-j%d -l%d", jobs, load)
	}
	return fmt.Sprintf("-j%d", jobs)
}

// Recommend picks the smallest N whose mean ok time is within tolerance of
// the best mean: on a plateau a smaller N is as fast, and cheaper and
// safer. Failed and overloaded N, and everything above them, are never
// recommended. ok is false when there is no ok build below the cap.
func Recommend(trials []Trial, tolerance float64, load int) (Recommendation, bool) {
	o := observe(trials)
	ns := o.cleanBelowCap()
	if len(ns) == 0 {
		return Recommendation{}, false
	}
	measured := func(n int) float64 { return mean(o.times[n]) }
	pick, best := pickWithin(ns, measured, tolerance)
	bestTime := measured(best)
	rec := Recommendation{Jobs: pick, Load: load, ExpectedSeconds: measured(pick)}
	switch {
	case pick == best:
		rec.Reason = fmt.Sprintf("fastest build: %.1f s at -j%d%s", bestTime, best, repeats(o, best))
	default:
		rec.Reason = fmt.Sprintf("-j%d took %.1f s, within %.3g%% of the fastest (%.1f s at -j%d), with fewer jobs",
			pick, rec.ExpectedSeconds, tolerance*100, bestTime, best)
	}
	rec.Reason += o.capNote()
	return rec, true
}

// cleanBelowCap lists, ascending, the N with a clean build below the cap:
// the candidates for a recommendation.
func (o observations) cleanBelowCap() []int {
	var ns []int
	for n := range o.times {
		if n < o.capAt {
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	return ns
}

// pickWithin returns the fastest of ns by seconds, and the smallest N
// whose seconds are within tolerance of the fastest. ns is ascending and
// not empty.
func pickWithin(ns []int, seconds func(n int) float64, tolerance float64) (pick, best int) {
	best = ns[0]
	for _, n := range ns {
		if seconds(n) < seconds(best) {
			best = n
		}
	}
	for _, n := range ns {
		if seconds(n) <= seconds(best)*(1+tolerance) {
			return n, best
		}
	}
	return best, best
}

// capNote is the part of a recommendation's reason that names the cap.
func (o observations) capNote() string {
	if o.capAt == math.MaxInt {
		return ""
	}
	return fmt.Sprintf("; -j%d and above are capped by a failed or overloaded build", o.capAt)
}

func repeats(o observations, n int) string {
	if k := o.samples(n); k > 1 {
		return fmt.Sprintf(" (mean of %d builds)", k)
	}
	return ""
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
