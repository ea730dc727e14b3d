package tuner

import (
	"fmt"
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
			obs = append(obs, model.Observation{Jobs: t.Jobs, Seconds: t.WallSeconds, Censored: true})
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
		// No clean time yet (every start point failed or was cut short):
		// fall back to the bracket search, which handles caps.
		return NextGolden(trials, sp)
	}
	best := gp.BestObservedLog()
	feasible := feasibility(trials, o)
	lo, hi := bracket(o, sp)
	if n, ok := gapStep(o, lo, hi); ok {
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

// gapStep returns a golden-section point between the best build and its
// farther neighbour inside the bracket, while that gap is wider than
// maxGapRatio.
func gapStep(o observations, lo, hi int) (int, bool) {
	bestN, _ := o.best()
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
	if float64(above) <= maxGapRatio*float64(bestN) && float64(bestN) <= maxGapRatio*float64(below) {
		return 0, false
	}
	// The neighbours are the nearest builds, so the point is a new one.
	return goldenPoint(below, bestN, above)
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

// stopFraction divides the tolerance for the stopping rule: the model's
// own uncertainty is optimistic after a few builds, so it stops only when
// the expected gain is well below what the user cares about.
const stopFraction = 3

// minBayesBuilds is the fewest builds before the stopping rule may end the
// search: three start points and four chosen by the model. A smooth model
// fitted to fewer points misses kinks such as the cliff where the master
// saturates.
const minBayesBuilds = 7

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

// RecommendBayes recommends like Recommend, from the measured times:
// with a handful of builds around a kink (a failure wall, the point where
// the master saturates) the smooth model can sit several percent off a
// measured time, which is more than the tolerance. The model adds the
// interval of N that could plausibly be the best: feasible N near a clean
// build whose posterior mean, less two standard deviations, is below the
// lowest posterior mean. ok is false when there is no clean build.
func RecommendBayes(trials []Trial, sp Space, load int) (Recommendation, bool) {
	rec, ok := Recommend(trials, sp.tolerance(), load)
	if !ok {
		return rec, false
	}
	gp, err := fitModel(trials, sp)
	if err != nil {
		return rec, true
	}
	o := observe(trials)
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
