package tuner

import (
	"fmt"
	"math"
	"sort"

	"github.com/jtune/jtune/model"
)

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

// MakeOpts renders -jN -lM as MAKEOPTS wants it; a load of zero means no
// -l.
func MakeOpts(jobs, load int) string {
	if load > 0 {
		return fmt.Sprintf("-j%d -l%d", jobs, load)
	}
	return fmt.Sprintf("-j%d", jobs)
}

// Recommend picks the N to advise, the way the strategy that chose the
// builds does: Bayesian search by its model, the others by the measured
// times. ok is false when no build finished cleanly below the cap.
func (a *Analysis) Recommend(s Strategy, load int) (Recommendation, bool) {
	if s == Bayes {
		return a.RecommendByModel(load)
	}
	return a.RecommendMeasured(load)
}

// RecommendMeasured picks the smallest N whose mean ok time is within the
// tolerance of the best mean: on a plateau a smaller N is as fast, and
// cheaper and safer. Failed and overloaded N, and everything above them,
// are never recommended. ok is false when there is no ok build below the
// cap.
func (a *Analysis) RecommendMeasured(load int) (Recommendation, bool) {
	return recommendMeasured(a.obs, a.space.tolerance(), load)
}

func recommendMeasured(o observations, tolerance float64, load int) (Recommendation, bool) {
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

// RecommendByModel recommends the smallest built N whose posterior mean is
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
// is no clean build; without a model it recommends as RecommendMeasured
// does.
func (a *Analysis) RecommendByModel(load int) (Recommendation, bool) {
	gp, err := a.model()
	if err != nil {
		return a.RecommendMeasured(load)
	}
	o, sp := a.obs, a.space
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
		rec.Reason += fmt.Sprintf("; the model puts the best N in %s", Range{rec.PlausibleJobs[0], rec.PlausibleJobs[1]})
	}
	return rec, true
}

// smoothedPick is RecommendByModel's choice among the clean builds below
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
