package probe

import (
	"context"
	"syscall"
	"time"
)

// ThermalPolicy keeps a build from cooking the machine.
//
// A paused build keeps its place: SIGSTOP freezes make and every compiler
// of its process group where they are, so the build continues once the
// machine has cooled instead of being thrown away. The pause is reported
// (Measurement.PausedSeconds, Thermal) because a paused build's wall time
// is no longer a clean measurement of its N.
type ThermalPolicy struct {
	MaxC    float64 // pause the build's process group (SIGSTOP) when a sample reaches it; 0 = guard off
	ResumeC float64 // resume (SIGCONT) once the temperature falls to it; 0 means MaxC - 10
	CritC   float64 // stop the build (kill the group) when reached; 0 means no critical stop
}

// Enabled reports whether the guard acts at all. MaxC switches the whole
// guard, CritC included, so the zero value changes nothing.
func (p ThermalPolicy) Enabled() bool { return p.MaxC > 0 }

// Resume is the temperature a paused build, or WaitCool, waits for. The
// default gap of 10 °C keeps the guard from pausing and resuming on every
// sample around MaxC.
func (p ThermalPolicy) Resume() float64 {
	if p.ResumeC > 0 {
		return p.ResumeC
	}
	return p.MaxC - 10
}

// thermalResult is what the guard did to one build.
type thermalResult struct {
	paused   time.Duration // total time the group was stopped
	thermal  bool          // stopped at least once
	critical bool          // killed at the critical temperature
}

// thermalGuard applies a ThermalPolicy to one build's process group. It
// is driven by the sampling goroutine alone and needs no lock.
type thermalGuard struct {
	policy   ThermalPolicy
	pgid     int
	signal   func(pid int, sig syscall.Signal) error
	paused   bool
	pausedAt time.Time
	result   thermalResult
}

func newThermalGuard(p ThermalPolicy, pgid int) *thermalGuard {
	return &thermalGuard{policy: p, pgid: pgid, signal: syscall.Kill}
}

// observe acts on one temperature. mayPause is false once the build is
// being stopped, because stopping a group that is handling SIGTERM would
// only make it wait for the SIGKILL.
func (g *thermalGuard) observe(tempC float64, now time.Time, mayPause bool) {
	p := g.policy
	if !p.Enabled() || g.result.critical {
		return
	}
	switch {
	case p.CritC > 0 && tempC >= p.CritC:
		// SIGKILL reaches stopped processes too; the SIGCONT is only so
		// that nothing of the group is left frozen if the kill misses.
		_ = g.signal(-g.pgid, syscall.SIGKILL)
		g.release(now)
		g.result.critical = true
	case !g.paused && mayPause && tempC >= p.MaxC:
		if g.signal(-g.pgid, syscall.SIGSTOP) == nil {
			g.paused, g.pausedAt = true, now
			g.result.thermal = true
		}
	case g.paused && tempC <= p.Resume():
		g.release(now)
	}
}

// release continues a paused group and books the pause. A build must never
// end or be cancelled frozen: a stopped group ignores SIGTERM.
func (g *thermalGuard) release(now time.Time) {
	if !g.paused {
		return
	}
	_ = g.signal(-g.pgid, syscall.SIGCONT)
	g.paused = false
	g.result.paused += now.Sub(g.pausedAt)
}

// pausedFor is the paused time so far, the current pause included.
func (g *thermalGuard) pausedFor(now time.Time) time.Duration {
	d := g.result.paused
	if g.paused {
		d += now.Sub(g.pausedAt)
	}
	return d
}

// WaitCool blocks until the temperature is at or below resumeC, so that a
// build does not start on a machine still hot from the last one, which
// would both pause it at once and skew its time. report sees every
// sample, for a status line. A machine without a sensor, or a resumeC of
// zero or less, returns at once.
func WaitCool(ctx context.Context, s Sampler, resumeC float64, interval time.Duration, report func(tempC float64)) error {
	return waitCool(ctx, SystemClock{}, s, resumeC, interval, report)
}

// waitCool is WaitCool on clock's ticks.
func waitCool(ctx context.Context, clock Clock, s Sampler, resumeC float64, interval time.Duration, report func(tempC float64)) error {
	if s == nil {
		s = SystemSampler{}
	}
	if interval <= 0 {
		interval = time.Second
	}
	if resumeC <= 0 {
		return ctx.Err()
	}
	tick := clock.NewTicker(interval)
	defer tick.Stop()
	for {
		x, err := s.Sample(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		if !x.HasTemp {
			return nil
		}
		if report != nil {
			report(x.TempC)
		}
		if x.TempC <= resumeC {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C():
		}
	}
}

// CriticalTemp is the critical limit the driver gives the sensor s
// watches (tempN_crit), the safest default for ThermalPolicy.CritC since
// the hardware itself throttles or shuts down there.
func CriticalTemp(s SystemSampler) (float64, bool) {
	temps, err := readTemperatures(context.Background())
	if err != nil {
		return 0, false
	}
	t, ok := pickSensor(temps, s.Sensor)
	if !ok || t.Critical <= 0 {
		return 0, false
	}
	return t.Critical, true
}

// HasTemperature reports whether s can read a temperature at all, since
// without one the thermal guard can never act and the user should know.
func HasTemperature(ctx context.Context, s Sampler) bool {
	if s == nil {
		s = SystemSampler{}
	}
	x, err := s.Sample(ctx)
	return err == nil && x.HasTemp
}
