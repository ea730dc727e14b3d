package tuner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Online tuning steers one build while it runs: the build's jobserver lets
// N change at any moment, so instead of several full builds, one build is
// cut into windows at different N and each window's throughput (compile
// jobs completed per second) says how fast that N is. The windows are the
// observations of the same model and search that offline tuning uses.

// Counters is what a LiveBuild reports of itself: totals since the build
// started, and the state of the master now.
type Counters struct {
	// Seconds is the time since the build started.
	Seconds float64
	// Completed counts the compile jobs that have finished.
	Completed int
	// InFlight is the jobs running now.
	InFlight int
	// Saturated means every job slot was in use at this reading: make
	// had work for all of them, so the window measures N and not the
	// shape of the build (its serial start and end).
	Saturated bool
	// Failures counts distcc's "failed to distribute" lines.
	Failures int
	// Load is the master's 1-minute load average now.
	Load float64
	// TempC is the CPU temperature now; meaningful only when HasTemp.
	TempC   float64
	HasTemp bool
	// SwapGrowthBytes is the swap the master has added since the build
	// started.
	SwapGrowthBytes uint64
	// MemoryAvailableBytes is the master's memory available without
	// swapping; zero means unknown (or unlimited), and N is then raised
	// without a projection of memory.
	MemoryAvailableBytes uint64
	// Done means the build has ended, with ExitCode.
	Done     bool
	ExitCode int
}

// LiveBuild is a build that the online tuner steers while it runs: a real
// build under jtune's jobserver (package probe), or a simulated one
// (package model/sim).
type LiveBuild interface {
	// SetJobs changes the number of parallel jobs. Raising takes effect
	// at once; lowering, as running jobs end: none is pre-empted.
	SetJobs(n int) error
	// Advance lets the build run for d more time (real or simulated) and
	// returns its counters. It returns early, with Done set, when the
	// build ends.
	Advance(ctx context.Context, d time.Duration) (Counters, error)
}

// FailureForgetter is what a LiveBuild may do besides: forget the hosts
// that failed, so that distcc tries them again at once (its backoff, 60 s
// by default, otherwise carries an overload's cascade of failures over to
// the lower N the tuner goes to).
type FailureForgetter interface {
	ForgetFailures() error
}

// Window is a stretch of the build at one N.
type Window struct {
	Jobs         int     `json:"jobs"`
	StartSeconds float64 `json:"start_seconds"`
	Seconds      float64 `json:"seconds"`
	// Completed counts the compile jobs finished in the window.
	Completed int `json:"jobs_completed"`
	// Throughput is Completed per second.
	Throughput float64  `json:"jobs_per_second"`
	Failures   int      `json:"distcc_failures"`
	MaxLoad    float64  `json:"max_load"`
	MaxTempC   *float64 `json:"max_temp_c"`
	// Fair means the window measured N: every job slot was busy all
	// along, after the jobs started at the previous N had ended, and
	// nothing stopped it early. Only fair windows are compared.
	Fair bool `json:"fair"`
	// Cause says why a window is not fair: CauseOverload and CauseHeat
	// windows were cut short by a guard; the others did not keep every
	// job slot busy.
	Cause string `json:"cause,omitempty"`
	// Reason says the same in words.
	Reason string `json:"reason,omitempty"`
}

// The causes of a window that is not fair.
const (
	CauseOverload   = "overload"   // distcc failures, load, or swap: N is too many
	CauseHeat       = "heat"       // the CPU got hot: N was lowered, but is not to blame
	CauseIdle       = "idle_slots" // make did not use every job slot: the build's start or end
	CauseEnded      = "ended"      // the build ended in the window
	CauseRecovering = "recovering" // distcc was still backing off from an overload
)

// OnlineSettings configure an online session. The zero value is usable.
type OnlineSettings struct {
	// FormulaJobs, Min, Max and Load are as in Settings.
	FormulaJobs, Min, Max, Load int
	// Tolerance is as in Settings. Zero means 1%.
	Tolerance float64
	// Noise is the assumed relative noise of one window's throughput
	// before repeats measure it. Zero means 5%.
	Noise float64
	// MaxLoad: a load average above it is overload. Zero means no limit.
	MaxLoad float64
	// HeatC is the temperature at which N is lowered: heat lowers N first,
	// and only the thermal guard's pause at a higher temperature stops
	// the build. Zero means heat never lowers N.
	HeatC float64
	// Tick is how often the build is looked at. Zero means 1 s.
	Tick time.Duration
	// BackoffSeconds is how long distcc keeps failing over to local
	// compiles after an overload, whatever N (DISTCC_BACKOFF_PERIOD):
	// failures in that time are not blamed on the lower N, and windows
	// in it are not fair. Zero means distcc's default, 60 s.
	BackoffSeconds float64
	// OnWindow is called after every window with all windows so far, so
	// the caller can save and show them; an error ends the steering (the
	// build runs on). Nil means no call.
	OnWindow func(windows []Window, current int) error
}

func (s OnlineSettings) withDefaults() OnlineSettings {
	st := Settings{FormulaJobs: s.FormulaJobs, Min: s.Min, Max: s.Max}.withDefaults()
	s.FormulaJobs, s.Min, s.Max = st.FormulaJobs, st.Min, st.Max
	if s.Tolerance == 0 {
		s.Tolerance = 0.01
	}
	if s.Noise == 0 {
		s.Noise = 0.05
	}
	if s.Tick == 0 {
		s.Tick = time.Second
	}
	if s.BackoffSeconds == 0 {
		s.BackoffSeconds = 60
	}
	return s
}

func (s OnlineSettings) space() OnlineSpace {
	return OnlineSpace{Min: s.Min, Max: s.Max, Start: s.FormulaJobs, Tolerance: s.Tolerance, Noise: s.Noise}
}

// OnlineResult is what an online session found.
type OnlineResult struct {
	Windows     []Window
	Recommended *Recommendation // nil when no window was fair
	// MeasuredShare is the part of the build's compile jobs that finished
	// in fair windows: how much of the build the answer rests on.
	MeasuredShare float64
	// Final is the build's last counters: its time and exit code.
	Final    Counters
	Warnings []Warning
}

// Overload thresholds of a running build. A failure burst is this many
// distcc failures more than the build's rate at a clean N would give in
// the same time; swap is judged at every reading, far more strictly than
// a whole build's, because a master that runs out of memory and swap
// kills a compiler and the build.
const (
	burstFailures = 3
	tickSwap      = 8 << 20
)

// The ramp: a build starts at the bottom of the range and N rises by
// rampStep at every reading while every slot is busy and nothing goes
// wrong, to half the formula's N0 (OnlineTarget), where the windows
// begin. Starting there at once can break a build: make starts every job
// together, and a master with too little memory for them all kills one.
const rampStep = 1.3

// RunOnline steers b, which runs at start jobs (normally OnlineStart),
// until it ends or ctx is cancelled, and recommends an N from the windows
// it measured. It never breaks the build on purpose: N is raised in steps
// and never into the memory the running jobs say the master lacks, and it
// is lowered at once on a failure burst, a load above MaxLoad, any swap,
// or heat. An error from b ends the steering; the caller ends the build.
func RunOnline(ctx context.Context, b LiveBuild, s OnlineSettings, start int) (*OnlineResult, error) {
	s = s.withDefaults()
	o := &onlineRun{b: b, s: s, sp: s.space(), res: &OnlineResult{}, jobs: start, ramping: true}
	o.sp.MemoryCap = math.MaxInt
	if err := b.SetJobs(start); err != nil {
		return nil, fmt.Errorf("starting at -j%d: %w", start, err)
	}
	for {
		c, err := b.Advance(ctx, s.Tick)
		if err != nil {
			o.finish(c)
			if errors.Is(err, context.Canceled) {
				return o.res, ErrInterrupted
			}
			return o.res, err
		}
		if c.Done {
			o.finish(c)
			return o.res, nil
		}
		if err := o.observe(c); err != nil {
			o.finish(c)
			return o.res, err
		}
	}
}

// onlineRun is the state of RunOnline between ticks.
type onlineRun struct {
	b    LiveBuild
	s    OnlineSettings
	sp   OnlineSpace
	res  *OnlineResult
	jobs int // the N the build runs at

	open     bool     // a window is under way
	w        Window   // the window under way
	at       Counters // the counters when it began
	settleTo int      // Completed at which the jobs of the previous N have ended
	unsat    int      // ticks of the window that were not saturated
	ticks    int
	last     Counters

	ramping      bool    // N is still rising to OnlineTarget, before any window
	memory0      uint64  // the memory available at the first reading
	perJob       float64 // the most memory a running job took, in bytes
	recoverUntil float64 // distcc's backoff after an overload lasts until then
	raisedAt     float64 // when the ramp last raised N
	rampFailures int     // the failures when the ramp last looked
	closed       bool    // a window closed at this reading: tell OnWindow
}

// observe takes one reading of the build, and tells OnWindow of a window
// that closed, with the N the build goes on at.
func (o *onlineRun) observe(c Counters) error {
	err := o.look(c)
	o.last = c
	if o.closed && o.s.OnWindow != nil {
		o.closed = false
		_ = o.s.OnWindow(o.res.Windows, o.jobs) // the state file is saved again at the end
	}
	return err
}

// look judges one reading: a guard that fires, the ramp, a window that
// opens or closes.
func (o *onlineRun) look(c Counters) error {
	if o.memory0 == 0 {
		o.memory0 = c.MemoryAvailableBytes
	}
	o.sp.MemoryCap = o.memoryCap(c)
	if reason, cap := o.guard(c); reason != "" {
		o.ramping = false
		return o.lower(c, reason, cap)
	}
	if o.ramping {
		return o.ramp(c)
	}
	if !o.open {
		// Measure only once the jobs started at the previous N have
		// ended: they ran under other conditions.
		if c.Completed < o.settleTo || !c.Saturated {
			return nil
		}
		o.open, o.at, o.unsat, o.ticks = true, c, 0, 0
		o.w = Window{Jobs: o.jobs, StartSeconds: c.Seconds}
		return nil
	}
	o.ticks++
	if !c.Saturated {
		o.unsat++
	}
	o.w.MaxLoad = max(o.w.MaxLoad, c.Load)
	if c.HasTemp && (o.w.MaxTempC == nil || c.TempC > *o.w.MaxTempC) {
		t := c.TempC
		o.w.MaxTempC = &t
	}
	if !o.long(c) {
		return nil
	}
	switch f, want := c.Failures-o.at.Failures, o.expectedFailures(c.Completed-o.at.Completed); {
	case o.at.Seconds < o.recoverUntil:
		o.close(c, "distcc was still backing off from the overload before")
		o.res.Windows[len(o.res.Windows)-1].Cause = CauseRecovering
	case f >= burstFailures && f > want+burstFailures:
		// Failures that grew with N without a burst: overload all the same.
		o.close(c, fmt.Sprintf("%d distcc failures, against %d at the failure rate of a lower N", f, want))
		o.res.Windows[len(o.res.Windows)-1].Cause = CauseOverload
		return o.backOff(c)
	default:
		o.close(c, "")
	}
	return o.next(c)
}

// ramp raises N by a step at a reading where every job slot is busy and
// nothing went wrong since the last, until OnlineTarget or the memory
// stops it; then the windows begin.
func (o *onlineRun) ramp(c Counters) error {
	target := min(OnlineTarget(o.sp), o.sp.MemoryCap)
	if o.jobs >= target {
		o.ramping = false
		o.settleTo = c.Completed + c.InFlight
		return nil
	}
	// The first failures end the ramp: the windows judge whether they
	// are overload.
	if c.Failures > o.rampFailures && o.raisedAt > 0 {
		o.ramping = false
		o.settleTo = c.Completed + c.InFlight
		return nil
	}
	o.rampFailures = c.Failures
	// A step waits for rampTicks readings at the N before: distcc's
	// first refusals come a moment after the jobs that cause them.
	if !c.Saturated || c.Seconds-o.raisedAt < float64(rampTicks)*o.s.Tick.Seconds() {
		return nil
	}
	o.raisedAt = c.Seconds
	return o.set(c, min(target, max(o.jobs+1, int(math.Ceil(float64(o.jobs)*rampStep)))))
}

// rampTicks is how many readings the ramp stays at each N.
const rampTicks = 2

// memoryCap is the most jobs the master's memory takes all at once, as a
// build does at its start, when make starts every job and each one
// preprocesses on the master: the memory the build began with, and as
// much swap as a whole build may take before it counts as overloaded
// (swapOverload), over the most a running job has taken. It is
// math.MaxInt while that is unknown. It bounds the search, and so the
// recommendation.
func (o *onlineRun) memoryCap(c Counters) int {
	if o.memory0 == 0 || c.MemoryAvailableBytes >= o.memory0 || c.InFlight == 0 {
		return o.sp.MemoryCap
	}
	used := float64(o.memory0 - c.MemoryAvailableBytes)
	o.perJob = max(o.perJob, used/float64(c.InFlight))
	// Jobs just started preprocess on the master, where those started
	// earlier may already compile on the farm: what the jobs that joined
	// since the last reading added is the closer measure.
	if prev := o.last.MemoryAvailableBytes; prev > 0 && c.InFlight > o.last.InFlight && prev > c.MemoryAvailableBytes {
		o.perJob = max(o.perJob, float64(prev-c.MemoryAvailableBytes)/float64(c.InFlight-o.last.InFlight))
	}
	return max(1, int(math.Floor((float64(o.memory0)+swapOverload)/o.perJob)))
}

// guard judges the build at this reading: the reason to lower N now, and
// whether the present N caps the search (overload), as opposed to heat,
// which is not N's fault.
func (o *onlineRun) guard(c Counters) (reason string, caps bool) {
	since := o.last
	switch {
	case c.Seconds >= o.recoverUntil && c.Failures-since.Failures >= burstFailures+o.expectedFailures(c.Completed-since.Completed):
		o.recoverUntil = c.Seconds + o.s.BackoffSeconds
		return fmt.Sprintf("%d distcc failures in %.0f s", c.Failures-since.Failures, c.Seconds-since.Seconds), true
	case o.s.MaxLoad > 0 && c.Load > o.s.MaxLoad:
		return fmt.Sprintf("load average %.1f above the limit of %g", c.Load, o.s.MaxLoad), true
	case c.SwapGrowthBytes >= since.SwapGrowthBytes+tickSwap:
		return fmt.Sprintf("the master swapped out %d MiB", (c.SwapGrowthBytes-since.SwapGrowthBytes)>>20), true
	case o.s.HeatC > 0 && c.HasTemp && c.TempC >= o.s.HeatC:
		return fmt.Sprintf("the CPU reached %.0f °C", c.TempC), false
	}
	return "", false
}

// expectedFailures is how many distcc failures completed jobs bring at
// the lowest failure rate of a fair window: a host that refuses work
// fails at every N, and such failures are no burst.
func (o *onlineRun) expectedFailures(completed int) int {
	rate := math.Inf(1)
	for _, w := range o.res.Windows {
		if w.Fair && w.Completed > 0 {
			rate = min(rate, float64(w.Failures)/float64(w.Completed))
		}
	}
	if math.IsInf(rate, 1) {
		return 0
	}
	return int(math.Ceil(2 * rate * float64(completed)))
}

// lower backs off from the present N at once.
func (o *onlineRun) lower(c Counters, reason string, caps bool) error {
	if o.open {
		o.close(c, reason)
	} else {
		// The window that had not begun yet is recorded all the same: it
		// is where the search learns that this N is too many.
		o.w = Window{Jobs: o.jobs, StartSeconds: o.last.Seconds}
		o.at = o.last
		o.close(c, reason)
	}
	w := &o.res.Windows[len(o.res.Windows)-1]
	w.Cause = CauseHeat
	if caps {
		w.Cause = CauseOverload
	}
	return o.backOff(c)
}

// backOff goes at once to the N that BackOff gives for the window just
// closed, and, when distcc failed, lets the build forget the failed hosts.
func (o *onlineRun) backOff(c Counters) error {
	if err := o.set(c, BackOff(o.res.Windows, o.sp, o.jobs)); err != nil {
		return err
	}
	if f, ok := o.b.(FailureForgetter); ok && c.Failures > o.at.Failures {
		if err := f.ForgetFailures(); err == nil {
			// The cascade ends at once: only a short settling time.
			o.recoverUntil = c.Seconds + float64(rampTicks)*o.s.Tick.Seconds()
		}
	}
	return nil
}

// long reports whether the window has lasted long enough to compare its N:
// enough jobs completed that their sizes average out, and at least a few
// readings.
func (o *onlineRun) long(c Counters) bool {
	return c.Completed-o.at.Completed >= windowJobs(o.jobs) && o.ticks >= minWindowTicks
}

// minWindowTicks is the fewest readings in a window.
const minWindowTicks = 5

// windowJobs is how many compile jobs a window at n must complete. Units
// of a tree differ in size tenfold, so a window needs many of them, and at
// least a few rounds of n jobs each.
func windowJobs(n int) int { return max(24, 3*n) }

// close ends the window under way at c.
func (o *onlineRun) close(c Counters, reason string) {
	w := o.w
	w.Seconds = c.Seconds - w.StartSeconds
	w.Completed = c.Completed - o.at.Completed
	w.Failures = c.Failures - o.at.Failures
	if w.Seconds > 0 {
		w.Throughput = float64(w.Completed) / w.Seconds
	}
	w.Fair = reason == "" && o.unsat*10 <= o.ticks && w.Completed > 0
	switch {
	case reason != "":
		w.Reason = reason
	case !w.Fair:
		w.Cause, w.Reason = CauseIdle, "not every job slot was busy: the build's start or end"
	}
	o.res.Windows = append(o.res.Windows, w)
	o.open = false
	o.closed = true
}

// next chooses the N of the next window.
func (o *onlineRun) next(c Counters) error {
	n := NextOnline(o.res.Windows, o.sp)
	if n == o.jobs {
		// The same N again: the next window can begin at once.
		o.settleTo = c.Completed
		return nil
	}
	return o.set(c, n)
}

func (o *onlineRun) set(c Counters, n int) error {
	o.settleTo = c.Completed + c.InFlight
	o.jobs = n
	return o.b.SetJobs(n)
}

// finish ends the session: the window under way, and the recommendation.
func (o *onlineRun) finish(c Counters) {
	if o.open && c.Seconds > o.w.StartSeconds {
		o.close(c, "the build ended")
		o.res.Windows[len(o.res.Windows)-1].Cause = CauseEnded
	}
	o.res.Final = c
	total, measured := c.Completed, 0
	for _, w := range o.res.Windows {
		if w.Fair {
			measured += w.Completed
		}
	}
	if total > 0 {
		o.res.MeasuredShare = float64(measured) / float64(total)
	}
	sp := o.sp
	if sp.MemoryCap != math.MaxInt {
		sp.Max = max(sp.Min, min(sp.Max, sp.MemoryCap))
	}
	if rec, ok := RecommendOnline(o.res.Windows, sp, o.s.Load); ok {
		o.res.Recommended = &rec
	}
}
