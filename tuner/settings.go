package tuner

import (
	"fmt"
	"runtime"
	"time"
)

// Settings configure a tuning session. The zero value is usable: every
// field documents what its zero value means.
type Settings struct {
	// FormulaJobs is where the search starts: the rule of thumb's N0,
	// which the caller works out for its farm. It need not lie inside the
	// range; the search starts at the nearest N that does. Zero means
	// this machine's CPU count.
	FormulaJobs int
	// Min and Max bound the search. Zero takes that end from
	// DefaultRange(FormulaJobs, this machine's CPUs, 0).
	Min, Max int
	// Load is the -l value passed with every build. Zero means no -l.
	Load int
	// Budget is the most builds to run. Zero means DefaultBudget.
	Budget int
	// Strategy chooses the search. Zero means DefaultStrategy.
	Strategy Strategy
	// Tolerance is the relative slack within which a smaller N is
	// preferred to the fastest one. Zero means 1%.
	Tolerance float64
	// Noise is the assumed relative run-to-run noise before repeats
	// measure it. Zero means 2%.
	Noise float64
	// MaxLoad marks a build overloaded when its load average goes above
	// it. Zero means no limit.
	MaxLoad float64
	// NoEarlyAbort keeps every build running to the end. By default a
	// build is stopped once it is AbortMargin slower than the best build
	// so far, and kept as a lower bound: most of a search's cost is builds
	// at poor N, which are often two or three times slower than the best.
	NoEarlyAbort bool
	// AbortMargin is how much slower than the best a build may run before
	// it is aborted. Zero means 15%, well above run-to-run noise.
	AbortMargin float64
	// Prior holds trials of an earlier session to continue from.
	Prior []Trial
	// TimeBudget is how long this session may run. A build that past
	// builds say would not finish in time is not started. Zero means no
	// limit.
	TimeBudget time.Duration
	// Now stamps each trial's start. Nil means time.Now.
	Now func() time.Time
	// OnTrial is called after every build with all trials so far, so the
	// caller can save them; an error ends the session. Nil means no call.
	OnTrial func(trials []Trial) error
	// OnStart is called before every build with the N about to be built,
	// its number in the session, and the analysis that chose it (for an
	// estimate of its time). Nil means no call.
	OnStart func(jobs, index int, a *Analysis)
}

// DefaultBudget is the number of builds when Settings.Budget is zero.
const DefaultBudget = 8

func (s Settings) withDefaults() Settings {
	if s.FormulaJobs == 0 {
		s.FormulaJobs = runtime.NumCPU()
	}
	def := DefaultRange(s.FormulaJobs, runtime.NumCPU(), 0)
	if s.Min == 0 {
		s.Min = min(def.Min, max(s.Max, 1))
	}
	if s.Max == 0 {
		s.Max = max(def.Max, s.Min)
	}
	if s.Budget == 0 {
		s.Budget = DefaultBudget
	}
	if s.Strategy == "" {
		s.Strategy = DefaultStrategy
	}
	if s.Tolerance == 0 {
		s.Tolerance = 0.01
	}
	if s.Noise == 0 {
		s.Noise = 0.02
	}
	if s.AbortMargin == 0 {
		s.AbortMargin = 0.15
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	return s
}

// Validate reports settings that cannot work, naming the field.
func (s Settings) Validate() error {
	s = s.withDefaults()
	switch {
	case s.Min < 1:
		return fmt.Errorf("tuner: min jobs %d must be at least 1", s.Min)
	case s.Min > s.Max:
		return fmt.Errorf("tuner: min jobs %d is above max jobs %d", s.Min, s.Max)
	case s.Budget < 1:
		return fmt.Errorf("tuner: budget %d must be at least 1", s.Budget)
	case s.Tolerance < 0 || s.Tolerance >= 1:
		return fmt.Errorf("tuner: tolerance %g must be in [0, 1)", s.Tolerance)
	case s.Load < 0:
		return fmt.Errorf("tuner: load %d must not be negative", s.Load)
	case s.AbortMargin < 0:
		return fmt.Errorf("tuner: abort margin %g must not be negative", s.AbortMargin)
	}
	_, err := NextFor(s.Strategy)
	return err
}

// Range is the range the session searches.
func (s Settings) Range() Range {
	s = s.withDefaults()
	return Range{Min: s.Min, Max: s.Max}
}

// space is what the strategies need of the settings.
func (s Settings) space() Space {
	return Space{Min: s.Min, Max: s.Max, Start: s.FormulaJobs, Budget: s.Budget, Noise: s.Noise, Tolerance: s.Tolerance}
}
