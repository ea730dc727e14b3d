package probe

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jtune/jtune/tuner"
)

// sampling is what the sampling loop is told about one running build.
type sampling struct {
	pgid       int           // the build's process group, for the thermal guard
	abortAfter time.Duration // call abort once the build has run this long, pauses not counted; 0 means never
	abort      func()        // stops the build; called at most once
	// stopEarly, when not nil, is asked after every sample whether to
	// stop the build now, given how long it has run (pauses not counted)
	// and the swap it has added.
	stopEarly func(running time.Duration, swapGrowth uint64) bool
	// onSample, when not nil, gets each good sample and whether the build
	// is paused, for Runner.OnStatus.
	onSample func(Sample, bool)
	// track, when not nil, is called before every sample with the time,
	// to record the build's processes (tracker.scan).
	track func(now time.Time)
}

// sampleLoop is the state of one build's sampling goroutine, which alone
// reads and writes it until the goroutine ends.
type sampleLoop struct {
	sampling
	sampler  Sampler
	clock    Clock
	buildCtx context.Context // done once the build is being stopped
	ctx      context.Context // done once the build is over: no late sample may signal the group
	guard    *thermalGuard
	start    time.Time
	// abortTimer counts down abortAfter; it is stopped during a pause and
	// re-armed with the time left, which keeps the abort as precise as a
	// context deadline, whatever the sample interval. abortC is nil once
	// the build has been stopped, or without abortAfter.
	abortTimer Timer
	abortC     <-chan time.Time
	stopped    bool
	st         stats
	err        error // the last sampling error
}

// sampleUntilDone samples the machine every interval until the returned
// function is called, which stops sampling and returns the statistics.
// The first sample is taken at once so even a short build has one.
//
// The sampling goroutine also runs the thermal guard on the group and the
// abort clock (see sampling). Once buildCtx is done the guard continues a
// paused group, so that the SIGTERM the cancellation sent is delivered,
// and pauses it no more.
func (r *Runner) sampleUntilDone(buildCtx context.Context, s sampling) func() stats {
	ctx, cancel := context.WithCancel(context.Background())
	clock := r.clock()
	l := &sampleLoop{sampling: s, sampler: r.sampler(), clock: clock, buildCtx: buildCtx, ctx: ctx,
		guard: newThermalGuard(r.Thermal, s.pgid), start: clock.Now()}
	if s.abortAfter > 0 {
		l.abortTimer = clock.NewTimer(s.abortAfter)
		l.abortC = l.abortTimer.C()
	}
	var wg sync.WaitGroup
	wg.Go(func() { l.run(r.interval()) })
	return func() stats {
		cancel()
		wg.Wait() // the goroutine is done with l

		l.st.err = l.err
		l.st.thermal = l.guard.result
		return l.st
	}
}

// run is the sampling goroutine. The ticker starts before the first
// sample, so that a clock driven by a test sees it as soon as that sample
// is reported.
func (l *sampleLoop) run(interval time.Duration) {
	defer func() { l.guard.release(l.clock.Now()) }()
	if l.abortTimer != nil {
		defer l.abortTimer.Stop()
	}
	tick := l.clock.NewTicker(interval)
	defer tick.Stop()
	l.take()
	done := l.buildCtx.Done()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-done:
			l.guard.release(l.clock.Now())
			done = nil
		case <-l.abortC:
			l.stopped, l.abortC = true, nil
			l.abort()
		case <-tick.C():
			l.take()
		}
	}
}

// take reads one sample and acts on it: the thermal guard, the abort
// timer, the progress report and the early stop.
func (l *sampleLoop) take() {
	if l.track != nil {
		l.track(l.clock.Now())
	}
	s, err := l.sampler.Sample(l.ctx)
	if l.ctx.Err() != nil {
		return // the build is over; a late sample must not signal the group
	}
	wasPaused := l.guard.paused
	if err == nil && s.HasTemp {
		l.guard.observe(s.TempC, l.clock.Now(), l.buildCtx.Err() == nil)
	}
	if l.abortTimer != nil && l.abortC != nil && wasPaused != l.guard.paused {
		if l.guard.paused {
			l.abortTimer.Stop()
		} else {
			l.abortTimer.Reset(max(0, l.abortAfter-l.running()))
		}
	}
	if err == nil && l.onSample != nil {
		l.onSample(s, l.guard.paused)
	}
	if err != nil {
		l.err = err
	} else {
		l.st.add(s)
	}
	if l.stopEarly != nil && !l.stopped && !l.guard.paused && l.stopEarly(l.running(), l.st.swapGrowth()) {
		l.stopped, l.abortC = true, nil
		l.abort()
	}
}

// running is how long the build has run, its pauses not counted.
func (l *sampleLoop) running() time.Duration {
	now := l.clock.Now()
	return now.Sub(l.start) - l.guard.pausedFor(now)
}

func fillStats(m *tuner.Measurement, st stats) {
	m.Samples = st.n
	if st.err != nil && st.n == 0 {
		m.Warnings = append(m.Warnings, tuner.Warning{Kind: WarnNotSampled, Message: fmt.Sprintf("the machine could not be sampled: %v", st.err)})
	}
	if st.n > 0 {
		m.MaxLoad, m.MeanLoad = st.maxLoad, st.sumLoad/float64(st.n)
		m.MaxRunnable, m.MeanRunnable = st.maxRun, st.sumRun/float64(st.n)
	}
	// Without a sensor the temperatures stay nil: unknown, not an error.
	// The CLI says once that the thermal guard is off.
	if st.tempN > 0 {
		maxT, meanT := st.maxTemp, st.sumTemp/float64(st.tempN)
		m.MaxTempC, m.MeanTempC = &maxT, &meanT
	}
	m.MinAvailMemBytes, m.MaxSwapUsedBytes = st.minAvail, st.maxSwap
	m.SwapGrowthBytes = st.swapGrowth()
	m.PausedSeconds = st.thermal.paused.Seconds()
	m.Thermal, m.Critical = st.thermal.thermal, st.thermal.critical
}
