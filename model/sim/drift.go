package sim

import (
	"math"
	"math/rand/v2"
)

// Noise within a live build.
//
// Offline, noise scales a whole build by one lognormal factor: the build
// is one number, and that is all a tuner sees of it. A live build is seen
// in windows of a few percent of it, and with one factor per build every
// window would be noise-free, which no real build is: other users of the
// master and of the farm come and go, caches warm and cool, the page
// cache fills. So a live build's machines run at a speed that drifts.
//
// Two factors divide the speeds: one the master's (the serial head and
// tail, cpp, local and fallback compiles), one shared by every remote
// machine (other clients of the farm). Each is exp(x) with x a discrete
// Ornstein-Uhlenbeck process, independent of the other:
//
//	x[k+1] = m + a (x[k] - m) + s sqrt(1 - a²) ε,   a = exp(-Δ/τ)
//
// with ε standard normal, s² = log(1 + noise²) and m = -s²/2, so that the
// factor is lognormal with mean 1 and relative standard deviation noise
// at every moment, the same marginal law as the offline factor; x starts
// in that law. Its correlation time τ is driftShare of the farm's ideal
// build time (every CPU busy, idealSeconds), so that a window of a few
// percent of the build sees one to a few swings, and the factor holds
// still for Δ = τ/driftSteps between changes. Over a whole build the
// swings mostly average out: what varies from build to build offline,
// varies from window to window here.
const (
	driftShare = 0.03
	driftSteps = 5
)

// drift draws the speed factors of a live build.
type drift struct {
	rng          *rand.Rand
	s, m, a, b   float64 // stationary sd and mean, AR(1) coefficient, innovation sd
	step         float64 // Δ, seconds between changes
	k            int     // changes so far
	master, farm float64 // the log-factors now
}

// newDrift starts the factors of a build whose ideal time is ideal
// seconds; nil when there is no noise.
func newDrift(noise, ideal float64, rng *rand.Rand) *drift {
	if noise <= 0 || rng == nil || !(ideal > 0) {
		return nil
	}
	tau := driftShare * ideal
	d := &drift{rng: rng, step: tau / driftSteps}
	d.s = math.Sqrt(math.Log1p(noise * noise))
	d.m = -d.s * d.s / 2
	d.a = math.Exp(-1.0 / driftSteps)
	d.b = d.s * math.Sqrt(1-d.a*d.a)
	d.master = d.m + d.s*rng.NormFloat64()
	d.farm = d.m + d.s*rng.NormFloat64()
	return d
}

// next is when the factors change next, in seconds from the start of the
// build.
func (d *drift) next() float64 { return float64(d.k+1) * d.step }

// advance moves the factors one step on.
func (d *drift) advance() {
	d.k++
	d.master = d.m + d.a*(d.master-d.m) + d.b*d.rng.NormFloat64()
	d.farm = d.m + d.a*(d.farm-d.m) + d.b*d.rng.NormFloat64()
}

// slowdowns are the factors that divide the master's speed and the
// farm's now.
func (d *drift) slowdowns() (master, farm float64) {
	return math.Exp(d.master), math.Exp(d.farm)
}

// idealSeconds is a lower bound of the build's time: the serial head and
// tail, and the units' CPU time spread over every core of the master and
// of the farm.
func (f Farm) idealSeconds() float64 {
	f = f.withDefaults()
	m := f.Master
	cpu := float64(m.Cores) * m.Speed
	seen := map[string]bool{}
	if f.Distributed() {
		for _, h := range f.Hosts {
			if h.Machine != "" {
				if seen[h.Machine] {
					continue
				}
				seen[h.Machine] = true
			}
			cpu += float64(h.Cores) * h.Speed
		}
	}
	b := f.Build
	return (b.OverheadSeconds+b.LinkSeconds)/m.Speed + float64(b.Units)*b.UnitMeanSeconds/cpu
}
