package tuner

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// liveCurve stands in for a running build: its compile jobs complete at
// rate(N) per second, with seeded noise per reading, after a serial head
// and before a serial tail in which not every job slot is busy. Above
// wall (when set) distcc fails once per second per job over it.
type liveCurve struct {
	rate       func(n int) float64
	units      int
	head, tail float64 // seconds of the serial start, jobs of the serial end
	wall       int
	noise      float64
	rng        *rand.Rand

	t, done  float64
	jobs     int
	failures float64
	atJobs   map[int]float64 // seconds spent at each N
}

func (l *liveCurve) SetJobs(n int) error {
	l.jobs = n
	return nil
}

func (l *liveCurve) Advance(_ context.Context, d time.Duration) (Counters, error) {
	dt := d.Seconds()
	if l.atJobs == nil {
		l.atJobs = map[int]float64{}
	}
	l.atJobs[l.jobs] += dt
	l.t += dt
	if l.t > l.head {
		r := l.rate(l.jobs) * (1 + l.noise*l.rng.NormFloat64())
		left := float64(l.units) - l.done
		if left < l.tail {
			r *= max(left/l.tail, 0.25) // the serial end: fewer and fewer jobs to run
		}
		l.done = math.Min(float64(l.units), l.done+math.Max(r, 0)*dt)
	}
	if l.wall > 0 && l.jobs > l.wall {
		l.failures += float64(l.jobs-l.wall) * dt
	}
	c := Counters{Seconds: l.t, Completed: int(l.done), InFlight: l.jobs, Failures: int(l.failures),
		Saturated: l.t > l.head && float64(l.units)-l.done >= l.tail, Done: int(l.done) >= l.units}
	return c, nil
}

// buildSeconds is how long the build would take at a fixed N.
func (l *liveCurve) buildSeconds(n int) float64 {
	// The tail's rate falls with the jobs left, to a quarter.
	tail := 0.0
	for left := l.tail; left > 0; left -= 0.01 * l.tail {
		tail += 0.01 * l.tail / (l.rate(n) * max(left/l.tail, 0.25))
	}
	return l.head + (float64(l.units)-l.tail)/l.rate(n) + tail
}

func TestRunOnlineFindsThePeak(t *testing.T) {
	curves := []struct {
		name string
		rate func(n int) float64
		wall int
	}{
		// Faster up to 30 jobs, slower beyond as the master swaps.
		{"unimodal", func(n int) float64 { return float64(n) / (1 + float64(n*n)/900) }, 0},
		// Flat once 16 slots are full.
		{"plateau", func(n int) float64 { return float64(min(n, 16)) / 2 }, 0},
		// Faster and faster until distcc fails above 20.
		{"wall", func(n int) float64 { return float64(n) / (1 + float64(n)/60) }, 20},
	}
	for _, c := range curves {
		for seed := uint64(1); seed <= 5; seed++ {
			l := &liveCurve{rate: c.rate, units: 4000, head: 20, tail: 40, wall: c.wall, noise: 0.05, rng: rand.New(rand.NewPCG(seed, 3))}
			sp := OnlineSettings{FormulaJobs: 13, Min: 2, Max: 80}
			start := OnlineStart(sp.withDefaults().space())
			res, err := RunOnline(context.Background(), l, sp, start)
			if err != nil {
				t.Fatal(err)
			}
			best := math.Inf(1)
			for n := 2; n <= 80; n++ {
				if c.wall == 0 || n <= c.wall {
					best = math.Min(best, l.buildSeconds(n))
				}
			}
			if res.Recommended == nil {
				t.Fatalf("%s/%d: no recommendation from %+v", c.name, seed, res.Windows)
			}
			rec := res.Recommended.Jobs
			if c.wall > 0 && rec > c.wall {
				t.Errorf("%s/%d: recommended -j%d, above the wall at %d", c.name, seed, rec, c.wall)
			}
			if got := l.buildSeconds(rec); got > best*1.03 {
				t.Errorf("%s/%d: -j%d takes %.0f s, more than 3%% over the best %.0f s", c.name, seed, rec, got, best)
			}
			if cost := l.t / best; cost > 1.10 {
				t.Errorf("%s/%d: the build took %.2f times the best fixed N's (%v)", c.name, seed, cost, l.atJobs)
			}
			t.Logf("%s/%d: -j%d, cost %.3f, measured %.0f%%, windows %d", c.name, seed, rec, l.t/best, 100*res.MeasuredShare, len(res.Windows))
		}
	}
}

// memoryCurve is liveCurve with a master whose memory each job takes
// mib of, and which records ForgetFailures.
type memoryCurve struct {
	liveCurve
	mib, total float64 // per job and available at the start, in MiB
	forgot     int
	most       int // the most jobs it ran at once
}

func (m *memoryCurve) SetJobs(n int) error {
	m.most = max(m.most, n)
	return m.liveCurve.SetJobs(n)
}

func (m *memoryCurve) Advance(ctx context.Context, d time.Duration) (Counters, error) {
	c, err := m.liveCurve.Advance(ctx, d)
	used := m.mib * float64(m.jobs)
	c.MemoryAvailableBytes = uint64(max(1, m.total-used) * (1 << 20))
	if used > m.total {
		c.SwapGrowthBytes = uint64((used - m.total) * (1 << 20))
	}
	return c, err
}

func (m *memoryCurve) ForgetFailures() error {
	m.forgot++
	m.failures = 0 // a fresh start for distcc: the cascade ends
	return nil
}

// TestRunOnlineRampsWithinMemory: the build starts at the bottom of the
// range and N rises in steps, never past what the master's memory holds
// for all jobs at once, although the curve keeps falling beyond.
func TestRunOnlineRampsWithinMemory(t *testing.T) {
	m := &memoryCurve{liveCurve: liveCurve{rate: func(n int) float64 { return float64(n) }, units: 3000, head: 5, tail: 20,
		noise: 0.02, rng: rand.New(rand.NewPCG(1, 1))}, mib: 100, total: 1600}
	s := OnlineSettings{FormulaJobs: 41, Min: 2, Max: 80}
	start := OnlineStart(s.withDefaults().space())
	res, err := RunOnline(context.Background(), m, s, start)
	if err != nil {
		t.Fatal(err)
	}
	// 1600 MiB and 64 MiB of swap hold 16 jobs of 100 MiB.
	if start != 2 || m.most > 16 {
		t.Errorf("started at -j%d and ran up to -j%d, want -j2 and at most -j16", start, m.most)
	}
	if res.Recommended == nil || res.Recommended.Jobs > 16 || res.Recommended.Jobs < 12 {
		t.Errorf("recommended %+v, want -j12..-j16", res.Recommended)
	}
}

// TestRunOnlineForgetsFailuresAfterAnOverload: a failure burst caps N, and
// the build's distcc forgets the hosts that failed, so the lower N is
// measured at once instead of after distcc's backoff.
func TestRunOnlineForgetsFailuresAfterAnOverload(t *testing.T) {
	m := &memoryCurve{liveCurve: liveCurve{rate: func(n int) float64 { return float64(n) }, units: 3000, head: 5, tail: 20, wall: 14,
		noise: 0.02, rng: rand.New(rand.NewPCG(1, 1))}}
	res, err := RunOnline(context.Background(), m, OnlineSettings{FormulaJobs: 41, Min: 2, Max: 80}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.forgot == 0 {
		t.Error("the build never forgot its failures")
	}
	if res.Recommended == nil || res.Recommended.Jobs > 14 {
		t.Errorf("recommended %+v, above the wall at 14", res.Recommended)
	}
	overloads := 0
	for _, w := range res.Windows {
		if w.Cause == CauseOverload {
			overloads++
		}
	}
	if overloads == 0 || overloads > 4 {
		t.Errorf("%d overloaded windows, want a few: %+v", overloads, res.Windows)
	}
}
