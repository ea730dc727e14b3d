package sim

import (
	"math"
	"math/rand/v2"
	"sync"
)

// Result is one simulated build.
type Result struct {
	Jobs    int     // the N of make -jN
	Seconds float64 // wall time of the whole build
	// Failures counts "failed to distribute" fallbacks.
	Failures int
	// UserSeconds is CPU time spent on the master (busy core-seconds), for
	// comparison with `time`'s user+sys.
	UserSeconds float64
	// MaxMasterLoad is the peak number of runnable jobs on the master;
	// make starts N jobs at once, so with distcc it is usually N.
	MaxMasterLoad float64
	// MeanMasterLoad is the time-averaged number of runnable jobs on the
	// master while units compile, what a load average would show.
	MeanMasterLoad float64
	// SwapMB is the most the jobs on the master asked for beyond
	// master.memory_mb: what the master swaps out. Zero when it never
	// runs short.
	SwapMB float64
	// SwapFromSeconds is when the master first ran short of memory, in
	// seconds from the start of the build; meaningful when SwapMB > 0.
	SwapFromSeconds float64
	// Broken means the build ran out of memory: the jobs on the master
	// asked for more than master.memory_mb + master.swap_mb, so the
	// kernel killed a compiler and make failed. BrokenSeconds says when,
	// from the start of the build (noise applied). Simulate's other
	// numbers are those of the build as if it had gone on, as before the
	// break was modelled; a LiveBuild ends there.
	//
	// This is the outcome jtune's guards exist to prevent. Swapping only
	// makes a build slow, and a slow build at a wrong N is the price of
	// measuring it; but a build killed by the OOM killer is lost, with
	// everything the user wanted from it. jtune backs off at once from
	// distcc failure bursts, a high load, swap growth and heat because
	// each of them comes before this point as N grows too large.
	Broken        bool
	BrokenSeconds float64
	// UnitDone holds the completion time of each compile unit, ascending,
	// in seconds from the start of the build (noise applied), so a caller
	// can judge a build from its progress before it ends.
	UnitDone []float64
}

// UnitsDoneAt is the number of compile units finished by time t.
func (r Result) UnitsDoneAt(t float64) int {
	lo, hi := 0, len(r.UnitDone)
	for lo < hi {
		m := (lo + hi) / 2
		if r.UnitDone[m] <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Simulate runs one build at -jN. The build itself (unit times, random host
// order under --randomize) is fixed by the farm and N, so the noise-free
// curve is a function; noise then scales the whole build by a lognormal
// factor with relative standard deviation noise, drawn from rng. A negative
// noise means the farm's noise.relative_sd; a nil rng means no noise.
func (f Farm) Simulate(jobs int, noise float64, rng *rand.Rand) Result {
	f = f.withDefaults()
	jobs = max(jobs, 1)
	s := newEngine(&f, jobs)
	s.run(jobs)

	m := &s.queues[qMaster]
	head := f.Build.OverheadSeconds / f.Master.Speed
	tail := f.Build.LinkSeconds / f.Master.Speed
	compile := 0.0
	if len(s.done) > 0 {
		compile = s.done[len(s.done)-1]
	}
	res := Result{
		Jobs:          jobs,
		Seconds:       head + compile + tail,
		Failures:      s.fails,
		UserSeconds:   head + m.busy + tail,
		MaxMasterLoad: float64(max(m.maxN, 1)),
		SwapMB:        m.maxOverMB,
		UnitDone:      s.done,
	}
	if compile > 0 {
		res.MeanMasterLoad = m.load / compile
	}
	factor := 1.0
	if noise < 0 {
		noise = f.Noise.RelativeSD
	}
	if rng != nil && noise > 0 {
		s2 := math.Log1p(noise * noise)
		factor = math.Exp(math.Sqrt(s2)*rng.NormFloat64() - s2/2)
	}
	res.Seconds *= factor
	if res.SwapMB > 0 {
		res.SwapFromSeconds = (m.overFrom + head) * factor
	}
	if m.broke {
		res.Broken, res.BrokenSeconds = true, (m.brokeAt+head)*factor
	}
	for i := range res.UnitDone {
		res.UnitDone[i] = (res.UnitDone[i] + head) * factor
	}
	return res
}

// Curve returns the noise-free build for each N in [lo, hi].
func (f Farm) Curve(lo, hi int) []Result {
	lo = max(lo, 1)
	if hi < lo {
		return nil
	}
	out := make([]Result, 0, hi-lo+1)
	for n := lo; n <= hi; n++ {
		out = append(out, f.Simulate(n, 0, nil))
	}
	return out
}

// Argmin returns the N in [lo, hi] with the shortest noise-free build (the
// smallest such N on ties) and its result.
func (f Farm) Argmin(lo, hi int) (int, Result) {
	best, bestN := Result{Seconds: math.Inf(1)}, 0
	for _, r := range f.Curve(lo, hi) {
		if r.Seconds < best.Seconds {
			best, bestN = r, r.Jobs
		}
	}
	return bestN, best
}

// workKey is what the unit times of a build depend on.
type workKey struct {
	units    int
	mean, cv float64
	seed     uint64
}

// workCache holds unit times per build: drawing 2000 lognormals costs as
// much as simulating the build, and a benchmark simulates each build
// hundreds of times.
var workCache struct {
	sync.Mutex
	m map[workKey][]float64
}

// unitWork draws the unit times from build.seed and rescales them so
// their total is exactly units × mean: the farm's calibration then does not
// depend on the luck of the draw. The returned slice is shared; do not
// modify it.
func unitWork(b Build) []float64 {
	key := workKey{units: b.Units, mean: b.UnitMeanSeconds, cv: b.UnitCV, seed: b.Seed}
	workCache.Lock()
	w, ok := workCache.m[key]
	workCache.Unlock()
	if ok {
		return w
	}
	w = make([]float64, b.Units)
	if b.UnitCV <= 0 {
		for i := range w {
			w[i] = b.UnitMeanSeconds
		}
	} else {
		r := rand.New(rand.NewPCG(b.Seed, 0x6a74756e65))
		s2 := math.Log1p(b.UnitCV * b.UnitCV)
		s := math.Sqrt(s2)
		sum := 0.0
		for i := range w {
			w[i] = math.Exp(s*r.NormFloat64() - s2/2)
			sum += w[i]
		}
		k := b.UnitMeanSeconds * float64(b.Units) / sum
		for i := range w {
			w[i] *= k
		}
	}
	workCache.Lock()
	if workCache.m == nil || len(workCache.m) >= 1024 {
		workCache.m = map[workKey][]float64{}
	}
	workCache.m[key] = w
	workCache.Unlock()
	return w
}
