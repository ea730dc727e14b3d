package tuner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Builder runs one build of the command being tuned.
//
// A build that runs but exits non-zero, times out, is aborted or is
// interrupted is not an error: it is reported in the Measurement. An error
// means the build could not be run at all (the prepare step failed, the
// command does not exist) and ends the session.
type Builder interface {
	Build(ctx context.Context, req BuildRequest) (Measurement, error)
}

// BuildRequest is one build the tuner asks for.
type BuildRequest struct {
	Jobs int // make -j
	Load int // make -l; zero means none
	// AbortAfter stops the build once it has run this long, because it is
	// already clearly slower than the best build so far. Zero means never.
	AbortAfter time.Duration
	// Reference, when not nil, is the best build so far with its compile
	// lines over time: a build whose progress falls clearly behind it is
	// stopped before AbortAfter (see Reference.Behind).
	Reference *Reference
	// StopAtFailures stops the build once distcc has printed this many
	// "failed to distribute" lines: a failure cascade is overload, and
	// the rest of the build would measure nothing more. Zero means never.
	StopAtFailures int
	// StopAtSwapGrowth stops the build once the master has swapped out
	// this many bytes more than when it started: it is overloaded, and a
	// swapping master is at risk. Zero means never.
	StopAtSwapGrowth uint64
}

// Settings configure a tuning session. The zero value is usable: every
// field documents what its zero value means.
type Settings struct {
	// FormulaJobs is the rule of thumb's N0 = 2 x cores + 1, where the
	// search starts. Zero means 2 x this machine's CPUs + 1.
	FormulaJobs int
	// Min and Max bound the search. Zero Min means 1; zero Max means
	// 4 x FormulaJobs.
	Min, Max int
	// Load is the -l value passed with every build. Zero means no -l.
	Load int
	// Budget is the most builds to run. Zero means 8.
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
	// OnStart is called before every build. Nil means no call.
	OnStart func(jobs, index int)
}

// DefaultBudget is the number of builds when Settings.Budget is zero.
const DefaultBudget = 8

func (s Settings) withDefaults() Settings {
	if s.FormulaJobs == 0 {
		s.FormulaJobs = 2*runtime.NumCPU() + 1
	}
	if s.Min == 0 {
		s.Min = 1
	}
	if s.Max == 0 {
		s.Max = max(4*s.FormulaJobs, s.Min)
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

// Outcome says how a session ended.
type Outcome string

// The outcomes of a session.
const (
	Converged   Outcome = "converged"    // the search had nothing more to learn
	BudgetSpent Outcome = "budget_spent" // it ran out of builds first
	Interrupted Outcome = "interrupted"  // the context was cancelled
	Broken      Outcome = "broken"       // the first build failed: the command itself is broken
	Aborted     Outcome = "aborted"      // a build could not be run or saved
	OutOfTime   Outcome = "out_of_time"  // the next build would not finish within the time budget
	Critical    Outcome = "critical"     // the CPU reached its critical temperature
)

// Result is what a session found. It is returned even with an error, so
// the best recommendation so far can be shown.
type Result struct {
	Trials      []Trial
	Recommended *Recommendation // nil when no build finished cleanly
	Outcome     Outcome
	Warnings    []string
}

// ErrInterrupted is returned when the context is cancelled during a
// session.
var ErrInterrupted = errors.New("tuner: interrupted")

// ErrCriticalTemp is returned when a build reached the critical CPU
// temperature: the session stops, whatever the search still wanted.
var ErrCriticalTemp = errors.New("tuner: the CPU reached its critical temperature")

// BrokenCommandError reports that the very first build failed, which
// points at the command rather than at N.
type BrokenCommandError struct {
	Jobs       int
	ExitCode   int
	StderrTail string
}

func (e *BrokenCommandError) Error() string {
	return fmt.Sprintf("the first build (-j%d) failed with exit code %d, so the command itself is broken", e.Jobs, e.ExitCode)
}

// Run tunes the number of jobs by running builds through b until the
// search converges, the budget is spent or ctx is cancelled.
func Run(ctx context.Context, b Builder, s Settings) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	next, _ := NextFor(s.Strategy)
	sp := Space{Min: s.Min, Max: s.Max, Start: s.FormulaJobs, Budget: s.Budget, Noise: s.Noise, Tolerance: s.Tolerance}
	res := &Result{Trials: append([]Trial(nil), s.Prior...)}
	started := s.Now()
	finish := func(o Outcome, err error) (*Result, error) {
		res.Outcome = o
		if rec, ok := recommend(res.Trials, s, sp); ok {
			res.Recommended = &rec
		}
		res.Warnings = append(res.Warnings, sessionWarnings(res.Trials, s)...)
		return res, err
	}
	for {
		jobs, done := next(res.Trials, sp)
		if done {
			if observe(res.Trials).builds >= s.Budget {
				return finish(BudgetSpent, nil)
			}
			return finish(Converged, nil)
		}
		if ctx.Err() != nil {
			return finish(Interrupted, ErrInterrupted)
		}
		if s.TimeBudget > 0 {
			left := s.TimeBudget - s.Now().Sub(started)
			if need := expectedBuild(res.Trials); need > left {
				res.Warnings = append(res.Warnings, fmt.Sprintf("stopped before -j%d: a build takes about %s and only %s of --time-budget is left",
					jobs, need.Round(time.Second), max(left, 0).Round(time.Second)))
				return finish(OutOfTime, nil)
			}
		}
		if s.OnStart != nil {
			s.OnStart(jobs, observe(res.Trials).builds+1)
		}
		t := Trial{Jobs: jobs, Load: s.Load, StartedAt: s.Now()}
		m, err := b.Build(ctx, BuildRequest{
			Jobs: jobs, Load: s.Load,
			AbortAfter: s.abortAfter(res.Trials), Reference: s.reference(res.Trials), StopAtFailures: s.stopAtFailures(res.Trials, jobs),
			StopAtSwapGrowth: s.stopAtSwapGrowth(),
		})
		if err != nil {
			return finish(Aborted, fmt.Errorf("build at -j%d: %w", jobs, err))
		}
		t.Measurement = m
		t.Status, t.Reason = Classify(m, jobs, res.Trials, s.MaxLoad)
		if t.Status == StatusOK {
			t.StderrTail = "" // only failures need their stderr kept
		}
		first := observe(res.Trials).builds == 0
		res.Trials = append(res.Trials, t)
		reclassify(res.Trials, s.MaxLoad, s.Min)
		if s.OnTrial != nil {
			if err := s.OnTrial(res.Trials); err != nil {
				return finish(Aborted, err)
			}
		}
		switch {
		case t.Status == StatusInterrupted:
			return finish(Interrupted, ErrInterrupted)
		case m.Critical:
			return finish(Critical, ErrCriticalTemp)
		case first && t.Status == StatusFailed:
			return finish(Broken, &BrokenCommandError{Jobs: jobs, ExitCode: m.ExitCode, StderrTail: m.StderrTail})
		}
	}
}

// expectedBuild is how long the next build will take, going by the past:
// the longest clean build, or the longest build of any kind before there
// is a clean one. Zero before the first build.
func expectedBuild(trials []Trial) time.Duration {
	var clean, any float64
	for _, t := range trials {
		if !t.counts() {
			continue
		}
		any = math.Max(any, t.WallSeconds-t.PausedSeconds)
		if t.Status == StatusOK {
			clean = math.Max(clean, t.WallSeconds)
		}
	}
	if clean == 0 {
		clean = any
	}
	return time.Duration(clean * float64(time.Second))
}

// recommend picks from the measured times; model-based search adds the
// model's interval of plausible best N.
func recommend(trials []Trial, s Settings, sp Space) (Recommendation, bool) {
	if s.Strategy == Bayes {
		if rec, ok := RecommendBayes(trials, sp, s.Load); ok {
			return rec, true
		}
	}
	return Recommend(trials, s.Tolerance, s.Load)
}

// cascadeFailures is the fewest distcc failures at which a build is
// stopped as overloaded, and cascadeFactor how far above the failures of
// any clean build at lower N they must be. Both are well above what
// Classify calls overload, so that a build is stopped only in a clear
// cascade, and a broken host's steady trickle of failures does not stop
// every build.
const (
	cascadeFailures = 10
	cascadeFactor   = 4
)

// stopAtFailures is the failure count at which a build at jobs is
// stopped, or zero when early abort is off.
func (s Settings) stopAtFailures(trials []Trial, jobs int) int {
	if s.NoEarlyAbort {
		return 0
	}
	return max(cascadeFailures, cascadeFactor*failureBaseline(trials, jobs)+1)
}

// failureBaseline is the most distcc failures of a clean build below
// jobs: every build compiles the same units, so this is the failure rate
// that has nothing to do with too many jobs.
func failureBaseline(trials []Trial, jobs int) int {
	baseline := 0
	for _, t := range trials {
		if t.Status == StatusOK && t.Jobs < jobs {
			baseline = max(baseline, t.DistccFailures)
		}
	}
	return baseline
}

// stopAtSwapGrowth is the swap growth at which a build is stopped as
// overloaded, the same amount that makes Classify call it so; zero when
// early abort is off.
func (s Settings) stopAtSwapGrowth() uint64 {
	if s.NoEarlyAbort {
		return 0
	}
	return swapOverload
}

// abortAfter is how long the next build may run: AbortMargin beyond the
// fastest mean time at any N so far, or zero for no limit.
func (s Settings) abortAfter(trials []Trial) time.Duration {
	if s.NoEarlyAbort {
		return 0
	}
	best := math.Inf(1)
	for _, ts := range observe(trials).times {
		best = math.Min(best, mean(ts))
	}
	if math.IsInf(best, 1) {
		return 0
	}
	return time.Duration(best * (1 + s.AbortMargin) * float64(time.Second))
}

// Overload thresholds on distcc's "failed to distribute" count. A build is
// overloaded when it has at least overloadMinFailures failures and more
// than overloadFactor times the most seen at any lower N. A failure level
// that lower N share points at a broken host, not at too many jobs.
const (
	overloadMinFailures = 3
	overloadFactor      = 2
)

// swapOverload is how much swap a build may add before it counts as
// overloaded: a master that swaps under a big -j is the classic failure,
// while a few MiB move out for unrelated reasons on any busy machine.
const swapOverload = 64 << 20

// Classify gives the status of a build at jobs from its measurement and
// the other builds of the session. Only clean builds at lower N set the
// failure level that counts as overload: an overloaded build below says
// nothing about what is normal.
func Classify(m Measurement, jobs int, others []Trial, maxLoad float64) (Status, string) {
	switch {
	case m.Interrupted:
		return StatusInterrupted, "stopped by the user"
	case m.Critical:
		return StatusThermal, "stopped at the critical CPU temperature"
	case m.Thermal:
		return StatusThermal, fmt.Sprintf("paused %.0f s to cool down; the time is not a clean measurement", m.PausedSeconds)
	case m.ExitCode != 0 && !m.TimedOut && !m.Aborted:
		// A build jtune stopped exits non-zero; that is not a failure.
		return StatusFailed, fmt.Sprintf("exit code %d", m.ExitCode)
	case maxLoad > 0 && m.MaxLoad > maxLoad:
		return StatusOverloaded, fmt.Sprintf("load average %.1f went above --max-load %g", m.MaxLoad, maxLoad)
	case m.SwapGrowthBytes >= swapOverload:
		return StatusOverloaded, fmt.Sprintf("the master swapped out %d MiB during the build", m.SwapGrowthBytes>>20)
	}
	// Overload is judged before a stop for time: the failures, load and
	// swap of a build cut short only grow with more time, and a build
	// stopped in the middle of a failure cascade is a cap on N, not just
	// a slow one.
	baseline := failureBaseline(others, jobs)
	switch {
	case m.DistccFailures >= overloadMinFailures && m.DistccFailures > overloadFactor*baseline:
		return StatusOverloaded, fmt.Sprintf("%d distcc failures, against at most %d at lower -j", m.DistccFailures, baseline)
	case m.TimedOut:
		return StatusTimeout, fmt.Sprintf("stopped after %.0f s", m.WallSeconds)
	case m.Aborted && m.BoundSeconds > m.WallSeconds:
		return StatusAborted, fmt.Sprintf("stopped after %.1f s: its compile lines fell clearly behind the best build's; it would take at least %.1f s", m.WallSeconds, m.BoundSeconds)
	case m.Aborted:
		return StatusAborted, fmt.Sprintf("stopped after %.1f s, already clearly slower than the best build", m.WallSeconds)
	}
	return StatusOK, ""
}

// reclassify judges the completed builds again in the light of all the
// others, since a build at a lower N, run later, can show that a failure
// level was there all along: the mark of a broken or refusing host, not
// of too many jobs. Builds at or below floorJobs (the bottom of the
// range, this machine's CPU count by default) are never overloaded by
// distcc failures, as so few jobs cannot overload distcc.
func reclassify(trials []Trial, maxLoad float64, floorJobs int) {
	// From the lowest N up, so each build is judged against final
	// verdicts below it.
	order := make([]int, len(trials))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return trials[a].Jobs - trials[b].Jobs })
	for _, i := range order {
		t := trials[i]
		if t.Status != StatusOK && t.Status != StatusOverloaded {
			continue
		}
		trials[i].Status, trials[i].Reason = Classify(t.Measurement, t.Jobs, trials, maxLoad)
		if t.Jobs <= floorJobs && trials[i].Status == StatusOverloaded {
			calm := t.Measurement
			calm.DistccFailures = 0
			if st, reason := Classify(calm, t.Jobs, trials, maxLoad); st != StatusOverloaded {
				trials[i].Status, trials[i].Reason = st, reason
			}
		}
	}
}

func sessionWarnings(trials []Trial, s Settings) []string {
	var w []string
	o := observe(trials)
	if rec, ok := Recommend(trials, s.Tolerance, s.Load); ok {
		if rec.Jobs == s.Max && o.capAt == math.MaxInt {
			w = append(w, fmt.Sprintf("the best N is the top of the range (-j%d); raise --max to look further", s.Max))
		}
	} else if o.builds > 0 {
		w = append(w, "no build finished cleanly, so there is no measured recommendation")
	}
	if lo := lowestFailures(trials); lo >= overloadMinFailures {
		w = append(w, fmt.Sprintf("every build had at least %d distcc failures, at low N too: that points at a broken or refusing host, not at too many jobs; check the hosts and distccd's --allow", lo))
	}
	w = append(w, brokenHostWarnings(trials)...)
	for _, t := range trials {
		for _, msg := range t.Warnings {
			w = appendUnique(w, msg)
		}
	}
	return w
}

// brokenHostWarnings names the hosts that distcc reported errors for
// (refused or failed connections) in every build of the session, at low
// N as at high N. distcc 3.4 moves the jobs of a dead host to the other
// hosts, so such a host shows up as errors rather than failures, and
// since it fails at every N it says nothing about N: overload grows with
// N instead. One build is not enough to tell the two apart.
func brokenHostWarnings(trials []Trial) []string {
	builds := 0
	seen := map[string]int{}
	var kinds []string
	for _, t := range trials {
		if !t.counts() || t.Status == StatusAborted {
			continue // an aborted build may have stopped before any error
		}
		builds++
		for h := range t.DistccErrorHosts {
			seen[h]++
		}
		for k := range t.DistccErrors {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	if builds < 2 {
		return nil
	}
	slices.Sort(kinds)
	var w []string
	for _, h := range slices.Sorted(maps.Keys(seen)) {
		if seen[h] == builds {
			w = append(w, fmt.Sprintf("distcc host %s failed in every build, at every N (distcc errors: %s): it is down or refusing, not overloaded; check its distccd and --allow, or leave it out of the host list",
				h, strings.Join(kinds, ", ")))
		}
	}
	return w
}

// lowestFailures is the fewest distcc failures of any clean build, or 0
// when there are fewer than two clean builds to judge by.
func lowestFailures(trials []Trial) int {
	lowest, n := math.MaxInt, 0
	for _, t := range trials {
		if t.Status == StatusOK {
			lowest, n = min(lowest, t.DistccFailures), n+1
		}
	}
	if n < 2 {
		return 0
	}
	return lowest
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
