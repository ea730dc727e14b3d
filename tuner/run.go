package tuner

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	Warnings    []Warning
	// Analysis is the final analysis of Trials, the one the
	// recommendation came from, for a plot of the model's curve.
	Analysis *Analysis
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
	sp := s.space()
	res := &Result{Trials: append([]Trial(nil), s.Prior...)}
	started := s.Now()
	finish := func(a *Analysis, o Outcome, err error) (*Result, error) {
		if a == nil || len(a.trials) != len(res.Trials) {
			a = Analyze(res.Trials, sp)
		}
		res.Outcome, res.Analysis = o, a
		if rec, ok := a.Recommend(s.Strategy, s.Load); ok {
			res.Recommended = &rec
		}
		res.Warnings = AddWarnings(res.Warnings, sessionWarnings(res.Trials, s)...)
		return res, err
	}
	for {
		a := Analyze(res.Trials, sp)
		jobs, done := next(a)
		if done {
			if a.obs.builds >= s.Budget {
				return finish(a, BudgetSpent, nil)
			}
			return finish(a, Converged, nil)
		}
		if ctx.Err() != nil {
			return finish(a, Interrupted, ErrInterrupted)
		}
		if w, out := s.outOfTime(jobs, res.Trials, s.Now().Sub(started)); out {
			res.Warnings = append(res.Warnings, w)
			return finish(a, OutOfTime, nil)
		}
		if s.OnStart != nil {
			s.OnStart(jobs, a.obs.builds+1, a)
		}
		t := Trial{Jobs: jobs, Load: s.Load, StartedAt: s.Now()}
		m, err := b.Build(ctx, s.request(jobs, a, res.Trials))
		if err != nil {
			return finish(nil, Aborted, fmt.Errorf("build at -j%d: %w", jobs, err))
		}
		t.Measurement = m
		t.Status, t.Reason = Classify(m, jobs, res.Trials, s.MaxLoad)
		if t.Status == StatusOK {
			t.StderrTail = "" // only failures need their stderr kept
		}
		first := a.obs.builds == 0
		res.Trials = append(res.Trials, t)
		reclassify(res.Trials, s.MaxLoad, s.Min)
		if s.OnTrial != nil {
			if err := s.OnTrial(res.Trials); err != nil {
				return finish(nil, Aborted, err)
			}
		}
		switch {
		case t.Status == StatusInterrupted:
			return finish(nil, Interrupted, ErrInterrupted)
		case m.Critical:
			return finish(nil, Critical, ErrCriticalTemp)
		case first && t.Status == StatusFailed:
			return finish(nil, Broken, &BrokenCommandError{Jobs: jobs, ExitCode: m.ExitCode, StderrTail: m.StderrTail})
		}
	}
}

// outOfTime reports, with the warning to give, that the build at jobs
// would not finish within the time budget, elapsed of it being spent.
func (s Settings) outOfTime(jobs int, trials []Trial, elapsed time.Duration) (Warning, bool) {
	if s.TimeBudget <= 0 {
		return Warning{}, false
	}
	left := s.TimeBudget - elapsed
	need := expectedBuild(trials)
	if need <= left {
		return Warning{}, false
	}
	return Warning{Kind: WarnOutOfTime, Jobs: jobs,
		Message: fmt.Sprintf("stopped before -j%d: a build takes about %s and only %s of the time budget is left",
			jobs, need.Round(time.Second), max(left, 0).Round(time.Second))}, true
}

// request is what the build at jobs is asked: when to stop it early, and
// against which build to judge its progress.
func (s Settings) request(jobs int, a *Analysis, trials []Trial) BuildRequest {
	req := BuildRequest{
		Jobs: jobs, Load: s.Load,
		AbortAfter: s.abortAfter(a.obs), Reference: s.reference(trials), StopAtFailures: s.stopAtFailures(trials, jobs),
		StopAtSwapGrowth: s.stopAtSwapGrowth(),
	}
	if a.obs.samples(jobs) > 0 {
		// A repeat measures noise: stopping it for time would keep only
		// the repeats that happen to be fast.
		req.AbortAfter, req.Reference = 0, nil
	}
	return req
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
// stopped, or zero when early abort is off. A build at the bottom of the
// range is never stopped for failures: so few jobs are never judged
// overloaded by them (see reclassify), and such a build, run to its end,
// is what tells a refusing host's steady failures from a cascade.
func (s Settings) stopAtFailures(trials []Trial, jobs int) int {
	if s.NoEarlyAbort || jobs <= s.Min {
		return 0
	}
	return max(cascadeFailures, cascadeFactor*failureBaseline(trials, jobs)+1)
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
func (s Settings) abortAfter(o observations) time.Duration {
	if s.NoEarlyAbort {
		return 0
	}
	best := math.Inf(1)
	for _, ts := range o.times {
		best = math.Min(best, mean(ts))
	}
	if math.IsInf(best, 1) {
		return 0
	}
	return time.Duration(best * (1 + s.abortMargin(o)) * float64(time.Second))
}

// abortMargin is how much slower than the best a build may run before it
// is stopped: AbortMargin, or three times the noise that repeats measured
// when that is more, since on a noisy machine a build at as good an N can
// run that much behind a lucky best build.
func (s Settings) abortMargin(o observations) float64 {
	sd, _ := o.relativeSD()
	return math.Max(s.AbortMargin, 3*sd)
}
