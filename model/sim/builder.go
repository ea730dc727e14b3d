package sim

import (
	"context"
	"math/rand/v2"

	"github.com/jtune/jtune/tuner"
)

// Builder runs the tuner's builds on a simulated farm. It stops a build
// early where the real runner would: at the tuner's failure and swap
// limits, when its progress falls behind the reference build, and at the
// time limit.
type Builder struct {
	Farm Farm
	// Noise is the relative standard deviation of a build's time: zero
	// means none, a negative value the farm's noise.relative_sd.
	Noise float64
	// Rand draws the noise; nil means none.
	Rand *rand.Rand
	// Broken counts the builds that broke (Result.Broken) before they
	// ended or were stopped. The break is counted, not reported to the
	// tuner, so that offline tuning and its benchmark run as they did
	// before breaks were modelled; the online benchmark compares them.
	Broken int
}

var _ tuner.Builder = (*Builder)(nil)

// Build simulates one build at req.Jobs.
func (b *Builder) Build(_ context.Context, req tuner.BuildRequest) (m tuner.Measurement, err error) {
	r := b.Farm.Simulate(req.Jobs, b.Noise, b.Rand)
	defer func() {
		if r.Broken && m.WallSeconds >= r.BrokenSeconds {
			b.Broken++
		}
	}()
	return measure(req, r)
}

// measure is what the runner would have measured of build r.
func measure(req tuner.BuildRequest, r Result) (tuner.Measurement, error) {
	m := tuner.Measurement{
		WallSeconds: r.Seconds, UserSeconds: r.UserSeconds, DistccFailures: r.Failures,
		MaxLoad: r.MaxMasterLoad, MeanLoad: r.MeanMasterLoad, SwapGrowthBytes: swapBytes(r),
	}
	// stopAt cuts the build short, with the failures seen so far assuming
	// they come evenly.
	stopAt := func(t, bound float64, why tuner.StopReason) (tuner.Measurement, error) {
		m.DistccFailures = int(float64(r.Failures) * t / r.Seconds)
		m.WallSeconds, m.Aborted, m.BoundSeconds, m.StoppedFor = t, true, bound, why
		return m, nil
	}
	limit := req.AbortAfter.Seconds()
	if stop := req.StopAtFailures; stop > 0 && r.Failures >= stop {
		if t := r.Seconds * float64(stop) / float64(r.Failures); limit <= 0 || t < limit {
			return stopAt(t, 0, tuner.StopFailures)
		}
	}
	if stop := req.StopAtSwapGrowth; stop > 0 && m.SwapGrowthBytes >= stop {
		// The runner sees swap once a second.
		if t := min(r.SwapFromSeconds+1, r.Seconds); limit <= 0 || t < limit {
			return stopAt(t, 0, tuner.StopSwap)
		}
	}
	if ref := req.Reference; ref != nil {
		// The simulator's units report when they finish, which is what
		// the real runner's compile lines say too, a little earlier. It
		// checks progress as often as the runner samples a long build.
		end := r.Seconds
		if limit > 0 {
			end = min(end, limit)
		}
		for step, t := ref.Seconds/100, 0.0; t < end; t += step {
			if bound, behind := ref.Behind(t, r.UnitsDoneAt(t)); behind {
				return stopAt(t, bound, tuner.StopBehind)
			}
		}
	}
	if limit > 0 && r.Seconds > limit {
		return stopAt(limit, 0, tuner.StopSlow)
	}
	m.Progress = tuner.NewProgress(r.UnitDone)
	return m, nil
}

// swapBytes is the swap a simulated build adds on the master.
func swapBytes(r Result) uint64 { return uint64(r.SwapMB * (1 << 20)) }
