package tuner

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/jtune/jtune/model"
)

// Analysis is what the builds of a session say, worked out once per
// decision: the builds summarised by N and, when someone needs it, the
// model of build time fitted to them. The choice of the next N, the
// recommendation, the progress line's expected time and the plot all read
// the same Analysis, so the model is fitted at most once per set of
// builds. It is safe for use by several goroutines.
type Analysis struct {
	trials []Trial
	space  Space
	obs    observations

	fitOnce sync.Once
	gp      *model.GP
	fitErr  error
}

// Analyze summarises trials for a search over sp. It keeps a copy of
// trials, so later changes to the slice do not reach it.
func Analyze(trials []Trial, sp Space) *Analysis {
	trials = slices.Clone(trials)
	return &Analysis{trials: trials, space: sp, obs: observe(trials)}
}

// Trials returns the builds the analysis is of. The caller must not
// change them.
func (a *Analysis) Trials() []Trial { return a.trials }

// Space returns the search space the analysis is for.
func (a *Analysis) Space() Space { return a.space }

// bayesSeed fixes the model's restarts, so that a fit, and with it the
// next N, is a pure function of the trials.
const bayesSeed1, bayesSeed2 = 1, 2

// model returns the Gaussian-process model of log build time fitted to
// the trials, fitting it on first use. The error is model.ErrNoData until
// there is a clean time.
func (a *Analysis) model() (*model.GP, error) {
	a.fitOnce.Do(func() {
		a.gp, a.fitErr = model.FitGP(modelObservations(a.trials, a.obs), model.GPSettings{
			Rand:  rand.New(rand.NewPCG(bayesSeed1, bayesSeed2)),
			Noise: a.space.Noise,
		})
	})
	return a.gp, a.fitErr
}

// modelObservations turns trials into what the model understands: ok
// builds are times, builds stopped for time are lower bounds, and builds
// that cap the search (overloaded, or failed with no clean build above)
// are infeasible.
func modelObservations(trials []Trial, o observations) []model.Observation {
	var obs []model.Observation
	for _, t := range trials {
		switch {
		case t.Status == StatusOK:
			obs = append(obs, model.Observation{Jobs: t.Jobs, Seconds: t.WallSeconds})
		case t.boundsTime():
			obs = append(obs, model.Observation{Jobs: t.Jobs, Seconds: t.lowerBound(), Censored: true})
		case t.Status == StatusOverloaded, t.Status == StatusFailed && o.failureCaps(t.Jobs):
			obs = append(obs, model.Observation{Jobs: t.Jobs, Infeasible: true})
		}
	}
	return obs
}

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

// MinCurveBuilds is the fewest clean builds Curve shows a model for: with
// fewer, three coefficients of the prior mean are not pinned down and the
// curve is the prior, not a measurement.
const MinCurveBuilds = 3

// Curve returns the model's posterior at every N from lo to hi (at most
// maxPoints of them, evenly spread, so a wide range stays cheap), for
// plots and progress estimates, whatever strategy chose the builds. It
// stops below the lowest failed or overloaded N, where the model has
// nothing to say. ok is false with fewer than MinCurveBuilds clean builds
// or when the fit fails.
func (a *Analysis) Curve(lo, hi int) (points []CurvePoint, ok bool) {
	const maxPoints = 400
	clean := 0
	for _, ts := range a.obs.times {
		clean += len(ts)
	}
	lo = max(lo, 1)
	if clean < MinCurveBuilds || hi < lo {
		return nil, false
	}
	gp, err := a.model()
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

// Predict is the model's build time at n, for a progress estimate; ok is
// false where Curve would have no point at n.
func (a *Analysis) Predict(n int) (seconds float64, ok bool) {
	pts, ok := a.Curve(n, n)
	if !ok {
		return 0, false
	}
	return pts[0].Seconds, true
}
