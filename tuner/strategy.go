package tuner

import "fmt"

// Strategy names a search method.
type Strategy string

// The search strategies; Bayes is declared with its search in bayes.go.
const (
	Golden Strategy = "golden" // golden-section search seeded at the formula's N0
	Grid   Strategy = "grid"   // evenly spaced N over the range, in ascending order
)

// Strategies lists the valid strategies, for flag help and errors.
var Strategies = []Strategy{Golden, Grid, Bayes}

// DefaultStrategy is the search used when none is chosen: Bayes, which
// meets its targets in the tuning benchmark (jtune simulate --bench) and
// beats the others there on accuracy and on time spent.
const DefaultStrategy = Bayes

// Space is everything a strategy needs to know besides the trials.
type Space struct {
	Min, Max int // inclusive search range
	Start    int // the formula's N0, where the search begins (clamped into the range)
	Budget   int // the most builds to run, counting repeats

	// Noise is the relative difference below which two build times are
	// treated as equal until both have been measured twice. It stands in
	// for the measured noise before there are repeats.
	Noise float64
	// Tolerance is the relative improvement below which Bayesian search
	// stops, and the slack within which a smaller N is recommended. Zero
	// means 1%.
	Tolerance float64
}

func (sp Space) tolerance() float64 {
	if sp.Tolerance > 0 {
		return sp.Tolerance
	}
	return 0.01
}

// NextFunc chooses the next N to build from the analysis of the builds
// so far. It returns done when the search has nothing more to learn or
// the budget is spent. It must be a pure function of the analysis.
type NextFunc func(a *Analysis) (jobs int, done bool)

// NextFor returns the NextFunc of a strategy. Whatever the strategy, an N
// whose only build failed is built once more first (see retryFailed).
func NextFor(s Strategy) (NextFunc, error) {
	var next NextFunc
	switch s {
	case Golden:
		next = NextGolden
	case Grid:
		next = NextGrid
	case Bayes:
		next = NextBayes
	default:
		return nil, fmt.Errorf("tuner: strategy %q isn't one of %v", s, Strategies)
	}
	return func(a *Analysis) (int, bool) {
		if n, ok := a.obs.retryFailed(); ok && a.obs.builds < a.space.Budget {
			return n, false
		}
		return next(a)
	}, nil
}
