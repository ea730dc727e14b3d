package tuner

import "math"

// NextGrid walks an evenly spaced grid of Budget points over the range in
// ascending order, like hyperfine's --parameter-scan. It stops at the
// first failed or overloaded N, since every point above it is capped.
func NextGrid(a *Analysis) (int, bool) {
	o, sp := a.obs, a.space
	if o.builds >= sp.Budget {
		return 0, true
	}
	for _, n := range gridPoints(sp.Min, sp.Max, sp.Budget) {
		if _, known := o.value(n); !known {
			return n, false
		}
	}
	return 0, true
}

func gridPoints(lo, hi, k int) []int {
	if k <= 1 || hi <= lo {
		return []int{lo}
	}
	var pts []int
	for i := range k {
		n := lo + int(math.Round(float64(i)*float64(hi-lo)/float64(k-1)))
		if len(pts) == 0 || pts[len(pts)-1] != n {
			pts = append(pts, n)
		}
	}
	return pts
}
