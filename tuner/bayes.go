package tuner

import (
	"maps"
	"math"
	"slices"

	"github.com/jtune/jtune/model"
)

// Bayes is Bayesian optimisation on a Gaussian-process model of log build
// time: after a small start design it builds the N with the largest
// expected improvement, stepping into wide gaps beside the best build
// first, and stops when no N is expected to improve on the best by more
// than a fraction of the tolerance.
const Bayes Strategy = "bayes"

// startDesign is where Bayesian search begins, before the model has
// enough points: the formula's N0, then half of it, then a step of two in
// whichever direction was faster, a quarter or twice N0. Going down first
// is cheaper and safer, since the formula tends to overshoot on a small
// master; going up stays out of the top quarter of the range, where
// overload is most likely.
func startDesign(o observations, sp Space) []int {
	clamp := func(n int) int { return min(max(n, sp.Min), sp.Max) }
	half := func(n int) int { return clamp(int(math.Round(float64(n) / 2))) }
	n0 := clamp(sp.Start)
	pts := []int{n0, half(n0)}
	f0, known0 := o.value(n0)
	fh, knownH := o.value(pts[1])
	if known0 && knownH {
		next := half(pts[1])
		if f0 <= fh {
			next = min(2*n0, sp.Min+int(math.Round(0.75*float64(sp.Max-sp.Min))))
		}
		pts = append(pts, clamp(next))
	}
	var uniq []int
	for _, n := range pts {
		if !slices.Contains(uniq, n) {
			uniq = append(uniq, n)
		}
	}
	return uniq
}

// NextBayes chooses the next N by expected improvement of log build time
// over every feasible integer N of the range. EI in log space is a
// relative improvement, so the stopping rule compares it with the
// tolerance directly.
func NextBayes(a *Analysis) (int, bool) {
	o, sp, trials := a.obs, a.space, a.trials
	if o.builds >= sp.Budget {
		return 0, true
	}
	for _, n := range startDesign(o, sp) {
		if _, known := o.value(n); !known {
			return n, false
		}
	}
	gp, err := a.model()
	if err != nil {
		// No clean time yet: every start point failed, overloaded or was
		// cut short. Where the master swapped, the swap says how far
		// down the wall is; otherwise the bracket search handles caps.
		if n, ok := belowSwapWall(trials, sp, o); ok {
			return n, false
		}
		return nextGolden(o, sp)
	}
	best := gp.BestObservedLog()
	feasible := feasibility(trials, o)
	lo, hi := bracket(o, sp)
	if n, ok := gapStep(o, lo, hi, sp); ok {
		return n, false
	}
	bestN, bestScore, maxEI := 0, math.Inf(-1), math.Inf(-1)
	for n := lo; n <= hi && gp.Feasible(n); n++ {
		mu, sigma := gp.PredictLog(n)
		ei := model.LogExpectedImprovement(mu, sigma, best)
		maxEI = math.Max(maxEI, ei)
		if score := ei + math.Log(feasible(n)); score > bestScore {
			bestN, bestScore = n, score
		}
	}
	// The stopping rule ignores the risk of failure: an N just below a
	// failure wall can still be worth a build, and the weighting above
	// already makes the search approach the wall in halving steps.
	if bestN == 0 || (o.builds >= minBayesBuilds && maxEI < math.Log(math.Log1p(sp.tolerance())/stopFraction)) {
		return confirm(a)
	}
	return bestN, false
}

// confirm is the last step of Bayesian search: before it stops, the
// leading candidates are built again, when the builds are noisy. The N it would recommend is built a
// second time; then, while the noise is larger than the tolerance (4% to
// 8% on a busy or shared machine), each clean N whose builds could still
// plausibly beat it (less than one standard error behind) is built again,
// up to three times. One build's luck is otherwise larger than the
// differences that matter near the optimum, a lucky first build wins on
// its luck alone, and an unlucky one hides the best N; the repeats also
// measure the noise.
func confirm(a *Analysis) (int, bool) {
	o := a.obs
	rec, ok := a.RecommendByModel(0)
	if !ok || o.builds >= a.space.Budget {
		return 0, true
	}
	if !a.noisy() {
		return 0, true
	}
	lead := rec.Jobs
	if o.samples(lead) < 2 {
		return lead, false
	}
	// A pair or two of repeats can agree by chance: the measured noise is
	// never trusted below the assumed.
	sd, _ := o.relativeSD()
	sd = math.Max(sd, a.space.Noise)
	if sd <= a.space.tolerance() {
		return 0, true
	}
	leadT, leadK := mean(o.times[lead]), float64(o.samples(lead))
	rival, rivalZ := 0, math.Inf(1)
	for _, n := range o.cleanBelowCap() {
		ts := o.times[n]
		if n == lead || len(ts) >= 3 {
			continue
		}
		se := sd * leadT * math.Sqrt(1/float64(len(ts))+1/leadK)
		if z := (mean(ts) - leadT) / se; z < rivalZ {
			rival, rivalZ = n, z
		}
	}
	if rival != 0 && rivalZ < 1 {
		return rival, false
	}
	return 0, true
}

// belowSwapWall estimates the highest N at which the master does not
// swap, from the builds that were overloaded by swapping. Each job holds
// about the same memory, so the swap a build adds grows in a straight
// line with N above the point where memory runs out; the two swapping
// builds nearest that point give the line. It aims where the line gives
// half the swap that counts as overload, to land below the wall.
func belowSwapWall(trials []Trial, sp Space, o observations) (int, bool) {
	swapped := map[int]float64{}
	for _, t := range trials {
		if t.Status == StatusOverloaded && t.SwapGrowthBytes >= swapOverload {
			swapped[t.Jobs] = max(swapped[t.Jobs], float64(t.SwapGrowthBytes))
		}
	}
	ns := slices.Sorted(maps.Keys(swapped))
	if len(ns) < 2 {
		return 0, false
	}
	n1, n2 := ns[0], ns[1]
	slope := (swapped[n2] - swapped[n1]) / float64(n2-n1)
	if slope <= 0 {
		return 0, false
	}
	target := float64(n1) - (swapped[n1]-swapOverload/2)/slope
	n := min(max(int(math.Floor(target)), sp.Min), o.capAt-1)
	if _, known := o.value(n); known {
		return 0, false
	}
	return n, true
}

// bracket is the range of N that can still hold the optimum of a
// unimodal curve: strictly between the nearest N on each side of the best
// build that were clearly slower than it. Without it, a build cut short
// far below the optimum looks to the model like a point to explore.
func bracket(o observations, sp Space) (lo, hi int) {
	lo, hi = sp.Min, min(sp.Max, o.capAt-1)
	bestN, best := o.best()
	if bestN == 0 {
		return lo, hi
	}
	slower := best * (1 + 2*o.noise(sp.Noise))
	for n := range o.times {
		if v, _ := o.value(n); v > slower {
			lo, hi = tighten(lo, hi, n, bestN)
		}
	}
	for n, lb := range o.lowerBound {
		if lb > slower {
			lo, hi = tighten(lo, hi, n, bestN)
		}
	}
	return lo, hi
}

func tighten(lo, hi, slowN, bestN int) (int, int) {
	if slowN < bestN {
		return max(lo, slowN+1), hi
	}
	return lo, min(hi, slowN-1)
}

// maxGapRatio is the widest ratio between the best build's N and its
// nearest built neighbour that Bayesian search leaves to the model. A
// smooth model rounds off kinks, such as the cliff where the master
// saturates, inside wider gaps; a golden-section step into the gap finds
// them.
const maxGapRatio = 1.2

// gapStep returns a golden-section point between the best build and a
// neighbour inside the bracket, while that gap is wider than maxGapRatio
// and the neighbour is clearly slower than the best (or is the edge of the
// bracket). A neighbour within the noise of the best means a flat stretch,
// where a kink cannot hide and the model does well on its own.
func gapStep(o observations, lo, hi int, sp Space) (int, bool) {
	bestN, best := o.best()
	if bestN == 0 {
		return 0, false
	}
	below, above := lo-1, hi+1
	for _, n := range o.built() {
		if n < bestN {
			below = max(below, n)
		} else if n > bestN {
			above = min(above, n)
		}
	}
	slower := best * (1 + 2*o.noise(sp.Noise))
	steep := func(n int) bool {
		v, known := o.value(n)
		return !known || v > slower
	}
	wideBelow := float64(bestN) > maxGapRatio*float64(below) && steep(below)
	wideAbove := float64(above) > maxGapRatio*float64(bestN) && steep(above)
	// The neighbours are the nearest builds, so the point is a new one.
	switch {
	case wideBelow && wideAbove:
		return goldenPoint(below, bestN, above)
	case wideBelow:
		return goldenPoint(below, bestN, bestN)
	case wideAbove:
		return goldenPoint(bestN, bestN, above)
	}
	return 0, false
}

// feasibility is the probability that a build at n does not fail or
// overload. It is 1 up to the highest N that built without failing, 0 from
// the lowest N that failed, and falls linearly in between. Weighting EI
// by it makes the search bisect towards a failure wall instead of walking
// down from it one N at a time.
func feasibility(trials []Trial, o observations) func(n int) float64 {
	highestOK := 0
	for _, t := range trials {
		if t.counts() && t.Status != StatusFailed && t.Status != StatusOverloaded && t.Jobs < o.capAt {
			highestOK = max(highestOK, t.Jobs)
		}
	}
	return func(n int) float64 {
		switch {
		case n <= highestOK || o.capAt == math.MaxInt:
			return 1
		case n >= o.capAt:
			return 0
		}
		return float64(o.capAt-n) / float64(o.capAt-highestOK)
	}
}

// stopFraction divides the tolerance for the stopping rule. With the
// steps into steep gaps above and the recommendation read from the
// model's mean, stopping once the expected gain is below the tolerance
// itself loses no accuracy in the benchmark (jtune simulate --bench) and
// saves a build or two; a stricter rule only spends builds.
const stopFraction = 2

// minBayesBuilds is the fewest builds before the stopping rule may end the
// search: three start points and two chosen by the model. A smooth model
// fitted to fewer points misses kinks such as the cliff where the master
// saturates.
const minBayesBuilds = 5

// noisy reports whether the builds vary more than assumed: by the repeats,
// when there are any, else by the model's fitted noise. Only then do
// repeats pay for themselves.
func (a *Analysis) noisy() bool {
	if sd, ok := a.obs.relativeSD(); ok {
		return sd > a.space.Noise
	}
	gp, err := a.model()
	if err != nil {
		return false
	}
	_, _, noiseVar := gp.Hyper()
	return math.Sqrt(noiseVar) > a.space.Noise
}
