package tuner

import "math"

// goldenFraction is 2 - φ: where golden-section search puts a new point
// inside the larger of the two segments around the point it keeps.
var goldenFraction = (3 - math.Sqrt(5)) / 2

// NextGolden runs golden-section search over the integers of the range,
// starting at the space's Start. It is written as a replay: the search is
// run from the beginning against the observations, and the first N it
// needs that has not been measured is the answer. That keeps it pure and
// lets a resumed session continue exactly where it stopped.
//
// It is noise-aware: when the two points being compared differ by less
// than the noise, the one with fewer measurements is built again before
// the bracket is cut. If they still tie after two measurements each, both
// are kept by cutting only above the larger N, which favours the smaller
// N that a plateau makes just as good.
func NextGolden(a *Analysis) (int, bool) {
	return nextGolden(a.obs, a.space)
}

func nextGolden(o observations, sp Space) (int, bool) {
	if o.builds >= sp.Budget {
		return 0, true
	}
	noise := o.noise(sp.Noise)
	// The bracket ends are never built, so widen it by one on each side
	// to make Min and Max reachable.
	lo, hi := sp.Min-1, sp.Max+1
	x := min(max(sp.Start, sp.Min), sp.Max)
	if _, known := o.value(x); !known {
		return x, false
	}
	for {
		u, ok := goldenPoint(lo, x, hi)
		if !ok {
			return 0, true
		}
		fu, known := o.value(u)
		if !known {
			return u, false
		}
		fx, _ := o.value(x)
		left, right, fleft, fright := x, u, fx, fu
		if u < x {
			left, right, fleft, fright = u, x, fu, fx
		}
		if tied(fleft, fright, noise) {
			if n := remeasure(o, left, right); n != 0 {
				return n, false
			}
		}
		if fleft <= fright || tied(fleft, fright, noise) {
			hi, x = right, left
		} else {
			lo, x = left, right
		}
	}
}

// goldenPoint places the next probe in the larger segment of [a, b]
// around x. ok is false when no untried integer is left inside.
func goldenPoint(a, x, b int) (int, bool) {
	if b-a <= 2 {
		return 0, false
	}
	var u int
	if b-x >= x-a {
		u = x + max(1, int(math.Round(goldenFraction*float64(b-x))))
	} else {
		u = x - max(1, int(math.Round(goldenFraction*float64(x-a))))
	}
	if u <= a || u >= b || u == x {
		return 0, false
	}
	return u, true
}

func tied(f1, f2 float64, noise float64) bool {
	if math.IsInf(f1, 1) || math.IsInf(f2, 1) {
		return false
	}
	return math.Abs(f1-f2) <= noise*math.Min(f1, f2)
}

// remeasure returns which of two tied points to build again, or 0 when
// both have already been measured twice.
func remeasure(o observations, lo, hi int) int {
	switch {
	case o.samples(lo) < 2 && o.samples(lo) <= o.samples(hi):
		return lo
	case o.samples(hi) < 2:
		return hi
	}
	return 0
}
