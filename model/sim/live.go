package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jtune/jtune/tuner"
)

// LiveBuild is one simulated build under a jobserver whose N can change
// while it runs, the simulator's tuner.LiveBuild: the serial head on the
// master, the compile units started by make whenever fewer than N jobs
// run, and the serial link. Raising N starts jobs at once; lowering it
// lets the running jobs finish and starts none until fewer than N run.
// Time moves only in Advance, so a caller can run the build to any
// moment, look, change N and go on.
//
// It runs the offline engine (Farm.Simulate): at a fixed N and without
// noise, a live build takes exactly as long as Simulate says, however
// it is advanced. Its noise is not Simulate's one factor per build but a
// slowly varying speed of the master and of the farm (see drift), and it
// ends early, with make's exit status 2, where the master runs out of
// memory and swap (Result.Broken).
//
// A LiveBuild is not safe for concurrent use.
type LiveBuild struct {
	f     Farm
	s     *engine
	drift *drift // nil without noise
	jobs  int

	phase livePhase
	t     float64 // seconds since the build started
	// The serial work under way (the head, then the link) was seg of
	// reference-CPU seconds at segStart, the last change of speed.
	segStart, seg float64
	t0            float64 // when compiles began: the engine's time 0
	tailFrom      float64 // when the last unit finished
	exit          int

	lastT, lastLoad float64 // the previous Advance: time, load integral
}

var _ tuner.LiveBuild = (*LiveBuild)(nil)

type livePhase uint8

const (
	phaseHead livePhase = iota
	phaseCompile
	phaseTail
	phaseDone
)

// BrokenExitCode is a broken live build's exit code: make's, when the
// OOM killer killed one of its compilers.
const BrokenExitCode = 2

// Live starts a build at -j start (at least 1). Noise is the relative
// standard deviation of the machines' speed at any moment, drawn from rng:
// zero or a nil rng means none, a negative noise the farm's
// noise.relative_sd.
func (f Farm) Live(start int, noise float64, rng *rand.Rand) *LiveBuild {
	f = f.withDefaults()
	start = max(start, 1)
	if noise < 0 {
		noise = f.Noise.RelativeSD
	}
	b := &LiveBuild{f: f, s: newEngine(&f, start), jobs: start, seg: f.Build.OverheadSeconds}
	b.s.haltOnBreak = true
	b.s.initQueues()
	b.drift = newDrift(noise, f.idealSeconds(), rng)
	return b
}

// Jobs is the N the build runs at.
func (b *LiveBuild) Jobs() int { return b.jobs }

// SetJobs changes the number of parallel jobs, at once upwards and as
// jobs end downwards.
func (b *LiveBuild) SetJobs(n int) error {
	if n < 1 {
		return fmt.Errorf("sim: -j%d: a build runs at least one job", n)
	}
	b.jobs = n
	if b.phase == phaseCompile {
		b.s.setLimit(n, b.t-b.t0)
		b.checkBroken()
	}
	return nil
}

// Advance runs the build for d more simulated seconds, or until it ends,
// and returns its counters. It returns ctx's error, without moving, when
// ctx is done.
func (b *LiveBuild) Advance(ctx context.Context, d time.Duration) (tuner.Counters, error) {
	if err := ctx.Err(); err != nil {
		return b.counters(), err
	}
	b.run(b.t + d.Seconds())
	return b.counters(), nil
}

// run moves the build to time until, through the changes of speed on the
// way.
func (b *LiveBuild) run(until float64) {
	for b.phase != phaseDone && b.t < until {
		stop := until
		if b.drift != nil {
			stop = min(stop, b.drift.next())
		}
		if b.phase == phaseCompile {
			b.compile(stop)
		} else {
			b.serial(stop)
		}
		if b.drift != nil && b.phase != phaseDone && b.t >= b.drift.next() {
			b.changeSpeed()
		}
	}
}

// serial runs the head or the tail up to stop, at the master's speed.
func (b *LiveBuild) serial(stop float64) {
	end := b.segStart + b.seg/b.serialRate()
	if end > stop {
		b.t = stop
		return
	}
	b.t = end
	if b.phase == phaseTail {
		b.phase = phaseDone
		return
	}
	b.phase, b.t0 = phaseCompile, end
	b.applySpeed()
	b.s.setLimit(b.jobs, 0)
	b.checkBroken()
}

// serialRate is the master's speed at serial work now.
func (b *LiveBuild) serialRate() float64 {
	if b.drift == nil {
		return b.f.Master.Speed
	}
	m, _ := b.drift.slowdowns()
	return b.f.Master.Speed / m
}

// compile runs the compile units up to stop, or to the last unit's end,
// where the link begins.
func (b *LiveBuild) compile(stop float64) {
	b.s.step(stop - b.t0)
	if b.checkBroken() {
		return
	}
	if n := len(b.s.done); n == len(b.s.work) {
		b.phase, b.tailFrom = phaseTail, b.t0+b.s.done[n-1]
		b.t, b.segStart, b.seg = b.tailFrom, b.tailFrom, b.f.Build.LinkSeconds
		return
	}
	b.t = stop
}

// checkBroken ends the build where the master ran out of memory.
func (b *LiveBuild) checkBroken() bool {
	m := &b.s.queues[qMaster]
	if !m.broke {
		return false
	}
	b.phase, b.exit, b.t = phaseDone, BrokenExitCode, b.t0+m.brokeAt
	return true
}

// changeSpeed moves the drift on a step at b.t, which is that step.
func (b *LiveBuild) changeSpeed() {
	if b.phase != phaseCompile {
		// The serial work done at the old speed.
		b.seg -= (b.t - b.segStart) * b.serialRate()
		b.segStart = b.t
	}
	b.drift.advance()
	if b.phase == phaseCompile {
		b.applySpeed()
	}
}

// applySpeed gives every CPU queue of the engine its factor now.
func (b *LiveBuild) applySpeed() {
	if b.drift == nil {
		return
	}
	master, farm := b.drift.slowdowns()
	te := b.t - b.t0
	for i := range b.s.queues {
		q := &b.s.queues[i]
		q.advance(te)
		q.slow = farm
		if i == qMaster {
			q.slow = master
		}
		q.setRate(len(q.h))
		b.s.reschedule(i, te)
	}
}

// counters is what the build reports of itself now.
func (b *LiveBuild) counters() tuner.Counters {
	m := &b.s.queues[qMaster]
	c := tuner.Counters{
		Seconds:         b.t,
		Completed:       len(b.s.done),
		Failures:        b.s.fails,
		SwapGrowthBytes: uint64(m.maxOverMB * (1 << 20)),
		Done:            b.phase == phaseDone,
		ExitCode:        b.exit,
	}
	if b.phase == phaseCompile {
		c.InFlight = b.s.running
		c.Saturated = b.s.running >= b.s.limit && b.s.next < len(b.s.work)
	}
	if m.memCap > 0 {
		// What the master's memory holds beside the jobs on it now; at
		// least a byte, as zero would mean unknown.
		c.MemoryAvailableBytes = uint64(max(1, (m.memCap-float64(len(m.h))*m.memPerJob)*(1<<20)))
	}
	load := b.loadIntegral()
	if b.t > b.lastT {
		c.Load = (load - b.lastLoad) / (b.t - b.lastT)
		b.lastT, b.lastLoad = b.t, load
	}
	return c
}

// loadIntegral is the integral of the master's runnable jobs over the
// build so far: the serial head and tail are one job each.
func (b *LiveBuild) loadIntegral() float64 {
	var end, tail float64
	switch {
	case b.phase == phaseHead:
		return b.t
	case b.phase == phaseCompile || b.exit != 0:
		end = b.t
	default:
		end, tail = b.tailFrom, b.t-b.tailFrom
	}
	m := &b.s.queues[qMaster]
	return b.t0 + m.load + float64(len(m.h))*math.Max(end-b.t0-m.last, 0) + tail
}

// ForgetFailures ends the backoff of every host at once, as removing
// distcc's backoff files does: jobs go to every host again.
func (b *LiveBuild) ForgetFailures() error {
	for i := range b.s.hosts {
		h := &b.s.hosts[i]
		if !h.in {
			h.disliked = 0
			b.s.admit(i)
		}
	}
	if b.s.nwait > 0 {
		b.s.ensurePoll(b.t - b.t0)
	}
	return nil
}
