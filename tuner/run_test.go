package tuner

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// curveBuilder stands in for a build: its time is a closed-form curve of
// N with seeded multiplicative noise, and it reports distcc failures above
// failAbove.
type curveBuilder struct {
	curve     func(n int) float64
	noise     float64
	failAbove int // 0: never
	rng       *rand.Rand
	built     []int
}

func (c *curveBuilder) Build(_ context.Context, req BuildRequest) (Measurement, error) {
	jobs := req.Jobs
	c.built = append(c.built, jobs)
	m := Measurement{WallSeconds: c.curve(jobs) * (1 + c.noise*c.rng.NormFloat64())}
	if limit := req.AbortAfter.Seconds(); limit > 0 && m.WallSeconds > limit {
		m.WallSeconds, m.Aborted = limit, true
	}
	if c.failAbove > 0 && jobs > c.failAbove {
		m.DistccFailures = 4 * (jobs - c.failAbove)
	}
	return m, nil
}

func fixedClock() func() time.Time {
	t := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Minute); return t }
}

func TestRunFindsTheOptimumOnNoisyCurves(t *testing.T) {
	curves := []struct {
		name      string
		curve     func(n int) float64
		failAbove int
		// best is the true optimum of the curve over the range, without
		// failures, found by brute force below.
	}{
		// Steep below the optimum (about 35), rising slowly above it.
		{"unimodal", func(n int) float64 { return 20 + 600/float64(n) + 0.5*float64(n) }, 0},
		// Flat once the farm's 20 slots are full: the smallest N on the
		// plateau is the answer.
		{"plateau", func(n int) float64 { return 30 + 300/float64(min(n, 20)) }, 0},
		// Faster and faster until distcc starts failing above 30.
		{"optimum below the failure onset", func(n int) float64 { return 20 + 600/float64(n) }, 30},
	}
	for _, c := range curves {
		for _, strategy := range Strategies {
			for seed := uint64(1); seed <= 5; seed++ {
				b := &curveBuilder{curve: c.curve, noise: 0.01, failAbove: c.failAbove, rng: rand.New(rand.NewPCG(seed, 7))}
				s := Settings{FormulaJobs: 13, Min: 2, Max: 80, Budget: 14, Strategy: strategy, Now: fixedClock()}
				res, err := Run(context.Background(), b, s)
				if err != nil {
					t.Fatalf("%s/%s/seed %d: %v", c.name, strategy, seed, err)
				}
				best := math.Inf(1)
				for n := 2; n <= 80; n++ {
					if c.failAbove == 0 || n <= c.failAbove {
						best = math.Min(best, c.curve(n))
					}
				}
				rec := res.Recommended
				if rec == nil {
					t.Fatalf("%s/%s/seed %d: no recommendation from %v", c.name, strategy, seed, b.built)
				}
				if c.failAbove > 0 && rec.Jobs > c.failAbove {
					t.Errorf("%s/%s/seed %d: recommended -j%d, above the failure onset %d", c.name, strategy, seed, rec.Jobs, c.failAbove)
				}
				// Golden-section must land within 3% of the true best; the
				// grid only samples Budget points, so it gets 8%.
				slack := 0.03
				if strategy == Grid {
					slack = 0.08
				}
				if got := c.curve(rec.Jobs); got > best*(1+slack) {
					t.Errorf("%s/%s/seed %d: -j%d truly takes %.1f s, more than %.0f%% over the best %.1f s (built %v)",
						c.name, strategy, seed, rec.Jobs, got, slack*100, best, b.built)
				}
				if len(res.Trials) > s.Budget {
					t.Errorf("%s/%s/seed %d: %d builds over a budget of %d", c.name, strategy, seed, len(res.Trials), s.Budget)
				}
			}
		}
	}
}

func TestRunStopsWhenTheFirstBuildFails(t *testing.T) {
	b := builderFunc(func(jobs int) Measurement { return Measurement{ExitCode: 2, StderrTail: "make: *** No rule"} })
	res, err := Run(context.Background(), b, Settings{FormulaJobs: 5, Min: 2, Max: 20})
	var broken *BrokenCommandError
	if !errors.As(err, &broken) {
		t.Fatalf("err = %v, want BrokenCommandError", err)
	}
	if broken.StderrTail != "make: *** No rule" || len(res.Trials) != 1 || res.Outcome != Broken {
		t.Errorf("got %+v, %d trials, outcome %s", broken, len(res.Trials), res.Outcome)
	}
}

func TestRunSavesAfterEveryBuildAndStopsOnInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var saved []int
	builds := 0
	b := builderFunc(func(jobs int) Measurement {
		builds++
		if builds == 3 {
			cancel()
			return Measurement{Interrupted: true}
		}
		return Measurement{WallSeconds: 100 / float64(jobs)}
	})
	s := Settings{FormulaJobs: 5, Min: 2, Max: 20, OnTrial: func(tr []Trial) error { saved = append(saved, len(tr)); return nil }}
	res, err := Run(ctx, b, s)
	if !errors.Is(err, ErrInterrupted) || res.Outcome != Interrupted {
		t.Fatalf("err = %v, outcome %s", err, res.Outcome)
	}
	if want := []int{1, 2, 3}; !slices.Equal(saved, want) {
		t.Errorf("saved after builds %v, want %v", saved, want)
	}
	if res.Recommended == nil {
		t.Error("an interrupted session lost its best so far")
	}
}

func TestRunContinuesFromPriorTrials(t *testing.T) {
	prior := []Trial{ok(13, 100), ok(28, 80)}
	b := &curveBuilder{curve: func(n int) float64 { return float64(n) }, rng: rand.New(rand.NewPCG(1, 1))}
	_, err := Run(context.Background(), b, Settings{FormulaJobs: 13, Min: 2, Max: 52, Budget: 3, Prior: prior, Strategy: Golden})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.built, []int{38}) {
		t.Errorf("built %v after the prior trials, want [38]", b.built)
	}
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		ok   bool
	}{
		{"zero value", Settings{}, true},
		{"min above max", Settings{Min: 10, Max: 5}, false},
		{"negative budget", Settings{Budget: -1}, false},
		{"unknown strategy", Settings{Strategy: "random"}, false},
		{"tolerance of 100%", Settings{Tolerance: 1}, false},
	}
	for _, tt := range tests {
		if err := tt.s.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
}

type builderFunc func(jobs int) Measurement

func (f builderFunc) Build(_ context.Context, req BuildRequest) (Measurement, error) {
	return f(req.Jobs), nil
}

func TestRunKeepsToTheTimeBudget(t *testing.T) {
	now := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b := builderFunc(func(jobs int) Measurement {
		now = now.Add(10 * time.Minute) // every build takes ten minutes
		return Measurement{WallSeconds: 600}
	})
	s := Settings{FormulaJobs: 13, Min: 2, Max: 52, Budget: 20, NoEarlyAbort: true, TimeBudget: 35 * time.Minute, Now: clock}
	res, err := Run(context.Background(), b, s)
	if err != nil {
		t.Fatal(err)
	}
	// Three builds fit in 35 minutes; a fourth would end at 40.
	if len(res.Trials) != 3 || res.Outcome != OutOfTime {
		t.Errorf("%d builds, outcome %s; want 3 and %s", len(res.Trials), res.Outcome, OutOfTime)
	}
	if len(res.Warnings) == 0 || res.Warnings[0].Kind != WarnOutOfTime || !strings.Contains(res.Warnings[0].Message, "time budget") {
		t.Errorf("warnings %q do not say why it stopped", res.Warnings)
	}
}

func TestRunStopsAtTheCriticalTemperature(t *testing.T) {
	builds := 0
	b := builderFunc(func(jobs int) Measurement {
		builds++
		if builds == 2 {
			return Measurement{WallSeconds: 30, Critical: true}
		}
		return Measurement{WallSeconds: 100}
	})
	res, err := Run(context.Background(), b, Settings{FormulaJobs: 5, Min: 2, Max: 20})
	if !errors.Is(err, ErrCriticalTemp) || res.Outcome != Critical || len(res.Trials) != 2 || res.Trials[1].Status != StatusThermal {
		t.Fatalf("err %v, outcome %s, %d trials", err, res.Outcome, len(res.Trials))
	}
}

func TestAThermalBuildIsMeasuredAgain(t *testing.T) {
	// A build paused for heat is not a clean time, so the search asks for
	// its N again.
	trials := []Trial{{Jobs: 13, Status: StatusThermal, Measurement: Measurement{WallSeconds: 300, PausedSeconds: 120}}}
	if n, _ := NextGolden(Analyze(trials, Space{Min: 2, Max: 52, Start: 13, Budget: 8})); n != 13 {
		t.Errorf("next N after a thermal build at -j13 is %d", n)
	}
}

func TestRunWarnsAboutABrokenHost(t *testing.T) {
	// The same failures at every N: a host refuses work, jobs are not
	// too many.
	b := builderFunc(func(jobs int) Measurement { return Measurement{WallSeconds: 100 + float64(jobs), DistccFailures: 6} })
	res, err := Run(context.Background(), b, Settings{FormulaJobs: 5, Min: 2, Max: 20, Budget: 4})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range res.Warnings {
		found = found || w.Kind == WarnFailuresAtEveryN && strings.Contains(w.Message, "broken or refusing host")
	}
	if !found {
		t.Errorf("no broken-host warning in %q (trials %+v)", res.Warnings, res.Trials)
	}
}
