package tuner

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/jtune/jtune/model"
)

// Bayes is Bayesian optimisation on a Gaussian-process model of log build
// time: after a small start design it builds the N with the largest
// expected improvement, stepping into wide gaps beside the best build
// first, and stops when no N is expected to improve on the best by more
// than a fraction of the tolerance.
const Bayes Strategy = "bayes"

// bayesSeed fixes the model's restarts, so the next N is a pure function
// of the trials.
const bayesSeed1, bayesSeed2 = 1, 2

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

// modelObservations turns trials into what the model understands: ok
// builds are times, timeouts and aborted builds are lower bounds, and
// failed or overloaded builds are infeasible.
func modelObservations(trials []Trial) []model.Observation {
	var obs []model.Observation
	for _, t := range trials {
		switch {
		case t.Status == StatusOK:
			obs = append(obs, model.Observation{Jobs: t.Jobs, Seconds: t.WallSeconds})
		case t.Status == StatusTimeout || t.Status == StatusAborted:
			obs = append(obs, model.Observation{Jobs: t.Jobs, Seconds: t.lowerBound(), Censored: true})
		case t.Status.caps():
			obs = append(obs, model.Observation{Jobs: t.Jobs, Infeasible: true})
		}
	}
	return obs
}

func fitModel(trials []Trial, sp Space) (*model.GP, error) {
	return model.FitGP(modelObservations(trials), model.GPSettings{
		Rand:  rand.New(rand.NewPCG(bayesSeed1, bayesSeed2)),
		Noise: sp.Noise,
	})
}

// NextBayes chooses the next N by expected improvement of log build time
// over every feasible integer N of the range. EI in log space is a
// relative improvement, so the stopping rule compares it with the
// tolerance directly.
func NextBayes(trials []Trial, sp Space) (int, bool) {
	o := observe(trials)
	if o.builds >= sp.Budget {
		return 0, true
	}
	for _, n := range startDesign(o, sp) {
		if _, known := o.value(n); !known {
			return n, false
		}
	}
	gp, err := fitModel(trials, sp)
	if err != nil {
		// No clean time yet: every start point failed, overloaded or was
		// cut short. Where the master swapped, the swap says how far
		// down the wall is; otherwise the bracket search handles caps.
		if n, ok := belowSwapWall(trials, sp, o); ok {
			return n, false
		}
		return NextGolden(trials, sp)
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
		return 0, true
	}
	return bestN, false
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
		if t.counts() && !t.Status.caps() && t.Jobs < o.capAt {
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

func (sp Space) tolerance() float64 {
	if sp.Tolerance > 0 {
		return sp.Tolerance
	}
	return 0.01
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

// smoothedPick is RecommendBayes's choice among the clean builds below
// the cap, by the model's posterior mean at each.
func smoothedPick(o observations, gp *model.GP, tolerance float64, load int) (Recommendation, bool) {
	ns := o.cleanBelowCap()
	if len(ns) == 0 {
		return Recommendation{}, false
	}
	byModel := make(map[int]float64, len(ns))
	for _, n := range ns {
		mu, _ := gp.PredictLog(n)
		byModel[n] = math.Exp(mu)
	}
	modelled := func(n int) float64 { return byModel[n] }
	pick, best := pickWithin(ns, modelled, tolerance)
	rec := Recommendation{Jobs: pick, Load: load, ExpectedSeconds: modelled(pick)}
	measured := fmt.Sprintf("measured %.1f s%s", mean(o.times[pick]), repeats(o, pick))
	if pick == best {
		rec.Reason = fmt.Sprintf("fastest by the model: %.1f s at -j%d (%s)", rec.ExpectedSeconds, pick, measured)
	} else {
		rec.Reason = fmt.Sprintf("-j%d: %.1f s by the model (%s), within %.3g%% of the fastest (%.1f s at -j%d), with fewer jobs",
			pick, rec.ExpectedSeconds, measured, tolerance*100, modelled(best), best)
	}
	rec.Reason += o.capNote()
	return rec, true
}

// nearBuilt reports whether a clean build ran at n or within 10% of it:
// the model interpolates well there, while far from any build a smooth
// fit can look flat where the real curve is not.
func nearBuilt(o observations, n int) bool {
	for m := range o.times {
		if math.Abs(math.Log(float64(n)/float64(m))) <= 0.1 {
			return true
		}
	}
	return false
}

// RecommendBayes recommends the smallest built N whose posterior mean is
// within the tolerance of the lowest posterior mean at any built N. Near
// the optimum the curve is flat and one build's noise (1% to 4%) is larger
// than the differences that matter; the model's mean at a built N pools
// that build with its neighbours. Only built N are candidates: between
// builds around a kink (a failure wall, the point where the master
// saturates) a smooth model can be several percent off.
//
// The model adds the interval of N that could plausibly be the best:
// feasible N near a clean build whose posterior mean, less two standard
// deviations, is below the lowest posterior mean. ok is false when there
// is no clean build; without a model it recommends as Recommend does.
func RecommendBayes(trials []Trial, sp Space, load int) (Recommendation, bool) {
	gp, err := fitModel(trials, sp)
	if err != nil {
		return Recommend(trials, sp.tolerance(), load)
	}
	o := observe(trials)
	rec, ok := smoothedPick(o, gp, sp.tolerance(), load)
	if !ok {
		return rec, false
	}
	type estimate struct {
		n         int
		mu, sigma float64
	}
	var ests []estimate
	minMu := math.Inf(1)
	for n := sp.Min; n <= sp.Max && n < o.capAt; n++ {
		if !nearBuilt(o, n) {
			continue
		}
		mu, sigma := gp.PredictLog(n)
		ests = append(ests, estimate{n, mu, sigma})
		minMu = math.Min(minMu, mu)
	}
	lo, hi := 0, 0
	for _, e := range ests {
		if e.mu-2*e.sigma <= minMu {
			if lo == 0 {
				lo = e.n
			}
			hi = e.n
		}
	}
	if lo > 0 {
		rec.PlausibleJobs = []int{min(lo, rec.Jobs), max(hi, rec.Jobs)}
		rec.Reason += fmt.Sprintf("; the model puts the best N in -j%d..-j%d", rec.PlausibleJobs[0], rec.PlausibleJobs[1])
	}
	return rec, true
}
