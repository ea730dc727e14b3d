package sim

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/jtune/jtune/tuner"
)

// finish advances b by tick until it ends and returns its last counters
// and how many readings it took.
func finish(t *testing.T, b *LiveBuild, tick time.Duration) (tuner.Counters, int) {
	t.Helper()
	for i := 1; ; i++ {
		c, err := b.Advance(context.Background(), tick)
		if err != nil {
			t.Fatal(err)
		}
		if c.Done {
			return c, i
		}
		if i > 1e6 {
			t.Fatalf("build not done after %d readings: %+v", i, c)
		}
	}
}

// liveFarms are farms for the live engine's tests: the seed farm in two
// sizes and a small random farm of each kind.
func liveFarms(t *testing.T) []Farm {
	seed := loadSeed(t)
	farms := []Farm{seed.WithHosts(2), seed.WithHosts(6)}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, kind := range Kinds {
		farms = append(farms, RandomFarm(rng, 3, kind))
	}
	return farms
}

// TestLiveMatchesSimulate: at a fixed N and without noise, a live build is
// the offline build, to the bit, however often it is looked at: it runs
// the same engine, whose events do not depend on where Advance stops, and
// adds the serial head and tail with the same arithmetic. So the live
// build's time is Simulate's, not just within 1%.
func TestLiveMatchesSimulate(t *testing.T) {
	for _, f := range liveFarms(t) {
		_, r := f.SearchRange()
		for _, n := range []int{1, r.Min, (r.Min + r.Max) / 3, r.Max} {
			want := f.Simulate(n, 0, nil)
			for _, tick := range []time.Duration{time.Second, 13 * time.Second} {
				c, _ := finish(t, f.Live(n, 0, nil), tick)
				if want.Broken {
					if c.ExitCode != BrokenExitCode || c.Seconds != want.BrokenSeconds {
						t.Errorf("%s -j%d: live build ended at %.3f s, exit %d; Simulate broke at %.3f s", f.Name, n, c.Seconds, c.ExitCode, want.BrokenSeconds)
					}
					continue
				}
				if c.Seconds != want.Seconds || c.Completed != f.Build.Units || c.Failures != want.Failures ||
					c.SwapGrowthBytes != swapBytes(want) || c.ExitCode != 0 {
					t.Errorf("%s -j%d, tick %v: live %+v; Simulate %.6f s, %d failures, %.0f MB swap",
						f.Name, n, tick, c, want.Seconds, want.Failures, want.SwapMB)
				}
			}
		}
	}
}

// TestLiveFollowsJobs: raising N starts jobs at once; lowering it lets the
// running jobs end, none pre-empted, and starts none until fewer run.
func TestLiveFollowsJobs(t *testing.T) {
	f := loadSeed(t).WithHosts(6)
	b := f.Live(4, 0, nil)
	ctx := context.Background()
	c, _ := b.Advance(ctx, 60*time.Second)
	if c.InFlight != 4 || !c.Saturated {
		t.Fatalf("-j4 after 60 s: %+v", c)
	}
	if err := b.SetJobs(20); err != nil {
		t.Fatal(err)
	}
	if c, _ = b.Advance(ctx, 0); c.InFlight != 20 {
		t.Errorf("raised to -j20: %d jobs run at once", c.InFlight)
	}
	c, _ = b.Advance(ctx, 30*time.Second)
	if c.InFlight != 20 || !c.Saturated {
		t.Errorf("-j20 after 30 s: %+v", c)
	}
	if err := b.SetJobs(5); err != nil {
		t.Fatal(err)
	}
	prev, reached := c.InFlight, false
	for range 600 {
		c, _ = b.Advance(ctx, 100*time.Millisecond)
		switch {
		case c.InFlight > prev && !reached:
			t.Fatalf("lowered to -j5: %d jobs after %d", c.InFlight, prev)
		case reached && c.InFlight > 5:
			t.Fatalf("lowered to -j5: %d jobs run again", c.InFlight)
		}
		reached = reached || c.InFlight <= 5
		prev = c.InFlight
	}
	if !reached || c.InFlight != 5 {
		t.Errorf("lowered to -j5: %d jobs a minute later", c.InFlight)
	}
	if err := b.SetJobs(0); err == nil {
		t.Error("SetJobs(0) accepted")
	}
	if b.Jobs() != 5 {
		t.Errorf("Jobs() = %d after a refused change, want 5", b.Jobs())
	}
}

// TestLiveCounters: the totals never go back, Saturated holds only in the
// compile phase with units left, a noisy build is reproducible from its
// seed and independent of how often it is read, and a cancelled context
// stops it where it is.
func TestLiveCounters(t *testing.T) {
	f := loadSeed(t).WithHosts(6)
	run := func(tick time.Duration) tuner.Counters {
		b := f.Live(8, 0.05, rand.New(rand.NewPCG(3, 4)))
		steer := rand.New(rand.NewPCG(5, 6))
		var prev tuner.Counters
		next := 0.0
		for {
			c, err := b.Advance(context.Background(), tick)
			if err != nil {
				t.Fatal(err)
			}
			if c.Seconds < prev.Seconds || c.Completed < prev.Completed || c.Failures < prev.Failures || c.SwapGrowthBytes < prev.SwapGrowthBytes {
				t.Fatalf("counters went back: %+v after %+v", c, prev)
			}
			if c.Saturated && (c.Completed+c.InFlight >= f.Build.Units || c.InFlight < b.Jobs()) {
				t.Fatalf("saturated with %d done and %d running at -j%d", c.Completed, c.InFlight, b.Jobs())
			}
			if c.Load < 0 || (c.Seconds > 0 && c.Load == 0) {
				t.Fatalf("load %v", c.Load)
			}
			prev = c
			if c.Done {
				return c
			}
			if c.Seconds >= next { // change N every 20 s, the same whatever the tick
				if err := b.SetJobs(2 + steer.IntN(40)); err != nil {
					t.Fatal(err)
				}
				next += 20
			}
		}
	}
	a, b := run(time.Second), run(5*time.Second)
	if a.Completed != f.Build.Units || a.ExitCode != 0 {
		t.Errorf("final counters %+v", a)
	}
	if b.Seconds != a.Seconds || b.Failures != a.Failures {
		t.Errorf("read every 5 s the build took %.3f s, every second %.3f s", b.Seconds, a.Seconds)
	}

	ctx, cancel := context.WithCancel(context.Background())
	lb := f.Live(8, 0, nil)
	c1, _ := lb.Advance(ctx, 30*time.Second)
	cancel()
	c2, err := lb.Advance(ctx, 30*time.Second)
	if !errors.Is(err, context.Canceled) || c2.Seconds != c1.Seconds {
		t.Errorf("cancelled: %v, %.1f s after %.1f s", err, c2.Seconds, c1.Seconds)
	}
}

// TestLiveBroken: a master that runs out of memory and swap breaks the
// build, at once when make starts too many jobs and at the moment N is
// raised too far; a master without a memory limit never does.
func TestLiveBroken(t *testing.T) {
	// 100 MB a job, 1,000 MB of memory and the default 500 MB of swap:
	// 15 jobs fit, the 16th breaks the build.
	f := loadSeed(t).LocalOnly()
	f.Build.UnitMemoryMB = 100
	f.Master.MemoryMB = 1000
	f.Master.SwapMB = 0 // the default, half of memory_mb, not the seed's
	f.Master.SwapSlowdown = 1
	head := f.Build.OverheadSeconds / f.Master.Speed
	for _, tc := range []struct {
		jobs   int
		broken bool
	}{{10, false}, {15, false}, {16, true}, {40, true}} {
		r := f.Simulate(tc.jobs, 0, nil)
		c, _ := finish(t, f.Live(tc.jobs, 0, nil), time.Second)
		if r.Broken != tc.broken || (c.ExitCode == BrokenExitCode) != tc.broken {
			t.Errorf("-j%d: Simulate broken %v, live exit %d; want broken %v", tc.jobs, r.Broken, c.ExitCode, tc.broken)
		}
		if tc.broken && (c.Seconds != head || r.BrokenSeconds != head || !c.Done) {
			t.Errorf("-j%d: broke at %.2f s (Simulate %.2f s), want %.2f s, when make starts the jobs", tc.jobs, c.Seconds, r.BrokenSeconds, head)
		}
		if want := f.Simulate(tc.jobs, 0, nil); want.Seconds != r.Seconds {
			t.Errorf("-j%d: Simulate not deterministic", tc.jobs)
		}
	}
	// Raised from 10 to 16 in the middle of the build: broken there.
	b := f.Live(10, 0, nil)
	c, _ := b.Advance(context.Background(), 100*time.Second)
	if err := b.SetJobs(16); err != nil {
		t.Fatal(err)
	}
	if c2, _ := b.Advance(context.Background(), time.Second); !c2.Done || c2.ExitCode != BrokenExitCode || c2.Seconds != c.Seconds {
		t.Errorf("raised to -j16 at %.1f s: %+v", c.Seconds, c2)
	}
	// More swap, no break; no memory limit, no break.
	f.Master.SwapMB = 3000
	if r := f.Simulate(40, 0, nil); r.Broken || r.SwapMB != 3000 {
		t.Errorf("-j40 with 3,000 MB of swap: broken %v, swap %.0f MB", r.Broken, r.SwapMB)
	}
	f.Master.MemoryMB = 0
	if c, _ := finish(t, f.Live(200, 0, nil), time.Minute); c.ExitCode != 0 {
		t.Errorf("no memory limit, -j200: exit %d", c.ExitCode)
	}
}

// TestDrift: the live build's speed factors have the promised law: mean
// 1, relative sd the noise, and a correlation of exp(-1/driftSteps) from
// one step to the next.
func TestDrift(t *testing.T) {
	const noise = 0.08
	d := newDrift(noise, 1000, rand.New(rand.NewPCG(1, 2)))
	if d.step != driftShare*1000/driftSteps {
		t.Errorf("step %v s", d.step)
	}
	var ms, fs []float64
	for range 20000 {
		m, f := d.slowdowns()
		ms, fs = append(ms, m), append(fs, f)
		d.advance()
	}
	for _, xs := range [][]float64{ms, fs} {
		mean, sd := stat.MeanStdDev(xs, nil)
		lag := stat.Correlation(xs[1:], xs[:len(xs)-1], nil)
		if math.Abs(mean-1) > 0.01 || math.Abs(sd/noise-1) > 0.1 || math.Abs(lag-math.Exp(-1.0/driftSteps)) > 0.03 {
			t.Errorf("factor: mean %.4f, sd %.4f, lag-1 correlation %.3f", mean, sd, lag)
		}
	}
	if c := stat.Correlation(ms, fs, nil); math.Abs(c) > 0.1 {
		t.Errorf("master and farm correlate: %.3f", c)
	}
	if newDrift(0, 1000, rand.New(rand.NewPCG(1, 2))) != nil || newDrift(0.02, 1000, nil) != nil {
		t.Error("no noise must mean no drift")
	}
}

// TestLiveNoise: a noisy live build at a fixed N takes about the
// noise-free time: the drift swings within the build and mostly averages
// out over it.
func TestLiveNoise(t *testing.T) {
	f := loadSeed(t).WithHosts(6)
	base := f.Simulate(30, 0, nil).Seconds
	var xs []float64
	for seed := range uint64(12) {
		c, _ := finish(t, f.Live(30, 0.08, rand.New(rand.NewPCG(seed, 1))), 10*time.Second)
		xs = append(xs, c.Seconds/base)
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	t.Logf("build time at 8%% noise: mean %.4f, sd %.4f of the noise-free time", mean, sd)
	if math.Abs(mean-1) > 0.03 || sd > 0.08 || sd == 0 {
		t.Errorf("noisy live builds: mean %.4f, sd %.4f of the noise-free time", mean, sd)
	}
}
