package tuner

import "math"

// observations summarises trials by N.
type observations struct {
	times      map[int][]float64 // ok wall times
	lowerBound map[int]float64   // longest timeout or abort at N: the build takes at least this
	capAt      int               // lowest failed or overloaded N; math.MaxInt when none
	builds     int               // builds that count against the budget
}

func observe(trials []Trial) observations {
	o := observations{times: map[int][]float64{}, lowerBound: map[int]float64{}, capAt: math.MaxInt}
	for _, t := range trials {
		if !t.counts() {
			continue
		}
		o.builds++
		switch {
		case t.Status == StatusOK:
			o.times[t.Jobs] = append(o.times[t.Jobs], t.WallSeconds)
		case t.Status == StatusTimeout || t.Status == StatusAborted:
			o.lowerBound[t.Jobs] = math.Max(o.lowerBound[t.Jobs], t.lowerBound())
		case t.Status.caps():
			o.capAt = min(o.capAt, t.Jobs)
		}
	}
	return o
}

// value is the build time the search believes for n. Capped N are
// infinitely slow, so comparisons push the search below them without
// spending a build there.
func (o observations) value(n int) (v float64, known bool) {
	if n >= o.capAt {
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
		return assumed
	}
	return math.Max(2*math.Sqrt(sumSq/float64(dof)), assumed/2)
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
