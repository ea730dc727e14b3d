package tuner

import "fmt"

// Range is an inclusive span of N, the values a search may build.
type Range struct{ Min, Max int }

// DefaultRange is the search range when the user bounds neither end. It
// runs from this machine's CPU count (or start, when that is smaller) up to
// four times start or distcc's slot sum, whichever is larger: more jobs
// than the slot sum only wait for a slot lock, and the best N of a real
// farm has been found up to about three times the rule of thumb. start is
// where the search begins, normally the rule of thumb's N0.
func DefaultRange(start, localCPUs, slotSum int) Range {
	lo := max(1, min(localCPUs, start))
	return Range{Min: lo, Max: max(4*start, slotSum, lo)}
}

// Bound applies the user's bounds to r, a default range; zero leaves that
// end as it is. The user's choice wins: when only one end is given and it
// lies beyond the other end of r, that end moves out of the way (the top to
// four times the bottom, as DefaultRange does with its start, or the
// bottom down to the top). Only bounds that contradict each other, or a
// bound below 1, are an error.
func (r Range) Bound(lo, hi int) (Range, error) {
	switch {
	case lo < 0 || hi < 0:
		return r, fmt.Errorf("tuner: range bounds %d..%d must be positive", lo, hi)
	case lo > 0 && hi > 0 && lo > hi:
		return r, fmt.Errorf("tuner: range bottom %d is above its top %d", lo, hi)
	}
	if lo > 0 {
		r.Min = lo
		if hi == 0 && r.Max < lo {
			r.Max = 4 * lo
		}
	}
	if hi > 0 {
		r.Max = hi
		if lo == 0 && r.Min > hi {
			r.Min = hi
		}
	}
	return r, nil
}

// ConfirmBudget is the default budget of an offline session that
// confirms an online result: the online session already did the search.
const ConfirmBudget = 3

// ConfirmRange is the range an offline session searches to confirm an
// online recommendation: the N the online model could not rule out as the
// best (or the recommended N alone), widened by a quarter at each end and
// by at least one N, so that a best N just outside it can still win. It
// stays within def, the default range, unless the recommendation itself
// lies outside.
func ConfirmRange(rec Recommendation, def Range) Range {
	lo, hi := rec.Jobs, rec.Jobs
	if len(rec.PlausibleJobs) == 2 {
		lo, hi = min(lo, rec.PlausibleJobs[0]), max(hi, rec.PlausibleJobs[1])
	}
	lo, hi = min(lo-1, lo*4/5), max(hi+1, (hi*5+3)/4)
	return Range{Min: min(rec.Jobs, max(1, lo, def.Min)), Max: max(rec.Jobs, min(hi, def.Max))}
}

// Clamp returns the N of r nearest to n.
func (r Range) Clamp(n int) int { return min(max(n, r.Min), r.Max) }

// Contains reports whether n lies in r.
func (r Range) Contains(n int) bool { return n >= r.Min && n <= r.Max }

// String renders r as jtune prints it: -j2..-j52.
func (r Range) String() string {
	if r.Min == r.Max {
		return fmt.Sprintf("-j%d", r.Min)
	}
	return fmt.Sprintf("-j%d..-j%d", r.Min, r.Max)
}
