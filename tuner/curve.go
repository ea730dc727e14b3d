package tuner

import "math"

// CurvePoint is the model's estimate of the build time at one N.
type CurvePoint struct {
	Jobs int
	// Seconds is the posterior median of the build time and SD its
	// standard deviation, as model.GP.Predict gives them.
	Seconds, SD float64
	// Low and High bound the 95% band: two standard deviations either
	// side in log time, where the model works, so the band is never
	// negative and widens upwards as a log-normal does.
	Low, High float64
}

// MinCurveBuilds is the fewest clean builds Curve fits a model to: with
// fewer, three coefficients of the prior mean are not pinned down and the
// curve is the prior, not a measurement.
const MinCurveBuilds = 3

// Curve fits the model that Bayesian search uses to the trials of any
// strategy and returns its posterior at every N from lo to hi (at most
// maxPoints of them, evenly spread, so a wide range stays cheap), for
// plots and progress estimates. It stops below the lowest failed or
// overloaded N, where the model has nothing to say. ok is false with
// fewer than MinCurveBuilds clean builds or when the fit fails.
func Curve(trials []Trial, lo, hi int) (points []CurvePoint, ok bool) {
	const maxPoints = 400
	clean := 0
	for _, t := range trials {
		if t.Status == StatusOK {
			clean++
		}
	}
	lo = max(lo, 1)
	if clean < MinCurveBuilds || hi < lo {
		return nil, false
	}
	gp, err := fitModel(trials, Space{})
	if err != nil {
		return nil, false
	}
	step := max(1, (hi-lo+maxPoints-1)/maxPoints)
	for n := lo; n <= hi && gp.Feasible(n); n += step {
		mu, sigma := gp.PredictLog(n)
		s, sd := gp.Predict(n)
		points = append(points, CurvePoint{Jobs: n, Seconds: s, SD: sd,
			Low: math.Exp(mu - 2*sigma), High: math.Exp(mu + 2*sigma)})
	}
	return points, len(points) > 0
}

// Predicted is the model's build time at n, for a progress estimate; ok
// is false where Curve would have no point at n.
func Predicted(trials []Trial, n int) (seconds float64, ok bool) {
	pts, ok := Curve(trials, n, n)
	if !ok {
		return 0, false
	}
	return pts[0].Seconds, true
}
