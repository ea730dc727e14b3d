package tuner

import "math"

// observations summarises trials by N.
type observations struct {
	times      map[int][]float64 // ok wall times
	lowerBound map[int]float64   // longest timeout or abort at N: the build takes at least this
	failed     map[int]int       // builds at N that exited non-zero
	capAt      int               // lowest N that caps the search (see caps); math.MaxInt when none
	builds     int               // builds that count against the budget
}

func observe(trials []Trial) observations {
	o := observations{times: map[int][]float64{}, lowerBound: map[int]float64{}, failed: map[int]int{}, capAt: math.MaxInt}
	for _, t := range trials {
		if !t.counts() {
			continue
		}
		o.builds++
		switch {
		case t.Status == StatusOK:
			o.times[t.Jobs] = append(o.times[t.Jobs], t.WallSeconds)
		case t.Status == StatusFailed:
			o.failed[t.Jobs]++
		case t.Status == StatusOverloaded:
			o.capAt = min(o.capAt, t.Jobs)
		case t.boundsTime():
			o.lowerBound[t.Jobs] = math.Max(o.lowerBound[t.Jobs], t.lowerBound())
		}
	}
	for n := range o.failed {
		if o.failureCaps(n) {
			o.capAt = min(o.capAt, n)
		}
	}
	return o
}

// failureCaps reports whether the failed builds at n cap the search. A
// build that fails because N is too high fails at every higher N too, so
// a clean build above n says the failure was not N's doing (a flaky test,
// a race in the Makefile): n is left out, the range above stays open.
func (o observations) failureCaps(n int) bool {
	for m := range o.times {
		if m > n {
			return false
		}
	}
	return true
}

// retried reports whether a failed N has had its second build. With one
// failure and nothing else at n, it has not.
func (o observations) retried(n int) bool { return o.failed[n] >= 2 || len(o.times[n]) > 0 }

// retryFailed returns an N whose only build failed, to build it once more
// before the failure caps the search or rules the N out: one failure can
// be flaky, and a flaky failure must not cap the range.
func (o observations) retryFailed() (int, bool) {
	retry := 0
	for n, k := range o.failed {
		if k == 1 && !o.retried(n) && (retry == 0 || n < retry) {
			retry = n
		}
	}
	return retry, retry > 0
}

// value is the build time the search believes for n. Capped N are
// infinitely slow, so comparisons push the search below them without
// spending a build there, and so is an N that failed twice without a
// clean build: it can never be recommended.
func (o observations) value(n int) (v float64, known bool) {
	if n >= o.capAt || o.failed[n] >= 2 && len(o.times[n]) == 0 {
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
	sd, ok := o.relativeSD()
	if !ok {
		return assumed
	}
	return math.Max(2*sd, assumed/2)
}

// relativeSD is the pooled relative standard deviation of repeated builds
// at one N; ok is false before any N was built twice.
func (o observations) relativeSD() (sd float64, ok bool) {
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
		return 0, false
	}
	return math.Sqrt(sumSq / float64(dof)), true
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
