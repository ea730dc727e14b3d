package tuner

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestStartDesign(t *testing.T) {
	sp := Space{Min: 2, Max: 52, Start: 13}
	tests := []struct {
		name   string
		sp     Space
		trials []Trial
		want   []int
	}{
		{"formula and half of it first", sp, nil, []int{13, 7}},
		{"half was faster: a quarter next", sp, []Trial{ok(13, 100), ok(7, 90)}, []int{13, 7, 4}},
		{"formula was faster: twice it next", sp, []Trial{ok(13, 100), ok(7, 120)}, []int{13, 7, 26}},
		// Going up stays out of the top quarter of the range, where
		// overload is most likely.
		{"never the top of the range", Space{Min: 2, Max: 20, Start: 13}, []Trial{ok(13, 100), ok(7, 120)}, []int{13, 7, 16}},
		{"a failed formula counts as slow", sp, []Trial{failed(13), ok(7, 120)}, []int{13, 7, 4}},
		{"formula above the range is clamped", Space{Min: 2, Max: 10, Start: 13}, nil, []int{10, 5}},
		{"tiny range", Space{Min: 3, Max: 4, Start: 9}, []Trial{ok(4, 10), ok(3, 12)}, []int{4, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := startDesign(observe(tt.trials), tt.sp); !slices.Equal(got, tt.want) {
				t.Errorf("startDesign = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNextBayes(t *testing.T) {
	sp := Space{Min: 2, Max: 52, Start: 13, Budget: 8, Noise: 0.02}
	curve := func(n int) float64 { return 60 + 2400/float64(n) + 0.5*float64(n) }
	tests := []struct {
		name     string
		trials   []Trial
		check    func(n int) bool
		wantDone bool
	}{
		{"starts at the formula", nil, func(n int) bool { return n == 13 }, false},
		{"then the start design", []Trial{ok(13, curve(13))}, func(n int) bool { return n == 7 }, false},
		// The curve still falls at 26, so the model looks above it, but
		// not past the top of the range.
		{"explores where the curve falls", []Trial{ok(13, curve(13)), ok(7, curve(7)), ok(26, curve(26))},
			func(n int) bool { return n > 26 && n <= 52 }, false},
		// An aborted build far below the best bounds the bracket: nothing
		// at or below it is worth a build.
		{"a slow build bounds the search", []Trial{ok(13, curve(13)), {Jobs: 7, Status: StatusAborted, Measurement: Measurement{WallSeconds: 1.15 * curve(13)}}, ok(26, curve(26))},
			func(n int) bool { return n > 7 }, false},
		{"never at or above a failure", []Trial{ok(13, curve(13)), ok(7, curve(7)), over(26)},
			func(n int) bool { return n < 26 }, false},
		{"budget spent", []Trial{ok(13, 1), ok(26, 1), ok(7, 1), ok(8, 1), ok(9, 1), ok(10, 1), ok(11, 1), ok(12, 1)}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, done := NextBayes(Analyze(tt.trials, sp))
			if done != tt.wantDone || (!done && !tt.check(n)) {
				t.Errorf("NextBayes = (%d, %v)", n, done)
			}
			// Pure: the same trials give the same answer.
			if n2, done2 := NextBayes(Analyze(tt.trials, sp)); n2 != n || done2 != done {
				t.Errorf("second call gave (%d, %v), first (%d, %v)", n2, done2, n, done)
			}
		})
	}
}

func TestNextBayesStopsWhenNothingIsLeftToGain(t *testing.T) {
	// A flat curve measured densely: no N can improve by 3%.
	var trials []Trial
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{13, 26, 7, 20, 30, 40, 35} {
		trials = append(trials, ok(n, 100*(1+0.002*rng.NormFloat64())))
	}
	if n, done := NextBayes(Analyze(trials, Space{Min: 7, Max: 40, Start: 13, Budget: 20, Noise: 0.02, Tolerance: 0.03})); !done {
		t.Errorf("NextBayes went on to -j%d on a flat, densely measured curve", n)
	}
}

func TestGapStep(t *testing.T) {
	aborted := func(jobs int, secs float64) Trial {
		return Trial{Jobs: jobs, Status: StatusAborted, Measurement: Measurement{WallSeconds: secs}}
	}
	tests := []struct {
		name   string
		trials []Trial
		lo, hi int
		want   int // 0: leave it to the model
	}{
		// The best build has a neighbour twice as far: the cliff could be
		// anywhere in between, so step into the wider side.
		{"wide gap above the best", []Trial{ok(73, 1877), ok(37, 770), ok(18, 451), aborted(8, 519)}, 9, 36, 25},
		{"wide gap below the best", []Trial{ok(40, 100), ok(44, 101), ok(20, 130)}, 21, 43, 32},
		{"neighbours within 20%", []Trial{ok(18, 110), ok(20, 100), ok(23, 104)}, 19, 22, 0},
		// A neighbour within the noise marks a flat stretch: only the
		// steep side is worth a step.
		{"flat above, steep below", []Trial{ok(20, 100), ok(40, 101), ok(10, 130)}, 11, 60, 16},
		{"flat on both sides", []Trial{ok(20, 100), ok(40, 101), ok(10, 102)}, 2, 60, 0},
		// Nothing built below the best inside the bracket: the gap runs to
		// the bracket's end.
		{"open below", []Trial{ok(18, 451), ok(37, 770), ok(25, 460)}, 2, 36, 12},
		{"no clean build", []Trial{failed(13)}, 2, 12, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := gapStep(observe(tt.trials), tt.lo, tt.hi, Space{Noise: 0.02})
			if got != tt.want || ok != (tt.want != 0) {
				t.Errorf("gapStep = (%d, %v), want %d", got, ok, tt.want)
			}
		})
	}
}

func TestFeasibility(t *testing.T) {
	trials := []Trial{ok(10, 50), ok(20, 40), over(30)}
	p := feasibility(trials, observe(trials))
	for _, c := range []struct {
		n    int
		want float64
	}{{5, 1}, {20, 1}, {25, 0.5}, {29, 0.1}, {30, 0}, {40, 0}} {
		if got := p(c.n); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("feasibility(%d) = %g, want %g", c.n, got, c.want)
		}
	}
}

func TestRecommendBayesGivesAPlausibleInterval(t *testing.T) {
	curve := func(n int) float64 { return 60 + 2400/float64(n) + 0.5*float64(n) }
	var trials []Trial
	for _, n := range []int{13, 26, 7, 52, 69, 80, 60} {
		trials = append(trials, ok(n, curve(n)))
	}
	rec, ok := Analyze(trials, Space{Min: 2, Max: 100, Start: 13, Budget: 20, Noise: 0.02}).RecommendByModel(2)
	if !ok || len(rec.PlausibleJobs) != 2 {
		t.Fatalf("RecommendBayes = %+v, %v", rec, ok)
	}
	lo, hi := rec.PlausibleJobs[0], rec.PlausibleJobs[1]
	if lo > rec.Jobs || hi < rec.Jobs || lo > 69 || hi < 60 {
		t.Errorf("plausible -j%d..-j%d around -j%d does not cover the true best -j69", lo, hi, rec.Jobs)
	}
}

// BenchmarkNextBayes is one step of Bayesian search: a model fit and the
// acquisition over 1,000 candidate N, at 40 observations.
func BenchmarkNextBayes(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var trials []Trial
	for i := range 40 {
		n := 13 + 25*(i-1) // the start design 13, 26, 7 first, then spread
		switch i {
		case 0, 1, 2:
			n = []int{13, 26, 7}[i]
		}
		trials = append(trials, ok(n, (60+24000/float64(n)+0.05*float64(n))*(1+0.01*rng.NormFloat64())))
	}
	sp := Space{Min: 1, Max: 1000, Start: 13, Budget: 100, Noise: 0.02}
	b.ReportAllocs()
	for b.Loop() {
		NextBayes(Analyze(trials, sp))
	}
}

func TestRecommendBayesSmoothsALuckyBuild(t *testing.T) {
	// The best is about -j45 (189.4 s) on a flat bottom. -j30 is truly 4%
	// slower but measured 3% fast, -j45 1.5% slow: the fastest measured
	// time is at the wrong N, and the neighbours of each show it.
	curve := func(n int) float64 { return 100 + 2000/float64(n) + float64(n) }
	noise := map[int]float64{30: -0.03, 45: 0.015}
	var trials []Trial
	for _, n := range []int{10, 20, 30, 40, 45, 50, 60, 80} {
		trials = append(trials, ok(n, curve(n)*(1+noise[n])))
	}
	sp := Space{Min: 2, Max: 100, Start: 20, Budget: 20, Noise: 0.02}
	if raw, _ := Analyze(trials, sp).RecommendMeasured(2); raw.Jobs != 30 {
		t.Fatalf("the measured times alone pick -j%d; the test needs them to pick -j30", raw.Jobs)
	}
	rec, ok := Analyze(trials, sp).RecommendByModel(2)
	if !ok {
		t.Fatal("no recommendation")
	}
	if truth := curve(rec.Jobs); truth > 1.02*curve(45) {
		t.Errorf("recommended -j%d (%s), truly %.1f s, more than 2%% over the best %.1f s", rec.Jobs, rec.Reason, truth, curve(45))
	}
	if !strings.Contains(rec.Reason, "by the model") || !strings.Contains(rec.Reason, "measured") {
		t.Errorf("reason %q does not give the model's and the measured time", rec.Reason)
	}
}

func TestBelowSwapWall(t *testing.T) {
	swapping := func(jobs int, mib uint64) Trial {
		return Trial{Jobs: jobs, Status: StatusOverloaded, Measurement: Measurement{WallSeconds: 9, SwapGrowthBytes: mib << 20}}
	}
	sp := Space{Min: 16, Max: 516, Start: 129}
	tests := []struct {
		name   string
		trials []Trial
		want   int // 0: no estimate
	}{
		// 185 MiB a job over memory that runs out at about -j31: the
		// two builds put the wall there, and the next build goes just below.
		{"two swapping builds", []Trial{swapping(129, 18112), swapping(65, 6262)}, 31},
		{"the two nearest the wall count", []Trial{swapping(129, 18112), swapping(65, 6262), swapping(33, 337)}, 31},
		{"one swapping build says nothing of the slope", []Trial{swapping(129, 18112)}, 0},
		{"overloaded by failures, not swap", []Trial{{Jobs: 129, Status: StatusOverloaded, Measurement: Measurement{DistccFailures: 40}}, swapping(65, 6262)}, 0},
		{"swap that does not grow with N", []Trial{swapping(129, 500), swapping(65, 600)}, 0},
		{"an estimate below the range builds its bottom", []Trial{swapping(40, 8000), swapping(30, 6000)}, 16},
		{"already built there", []Trial{swapping(129, 18112), swapping(65, 6262), ok(31, 255)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := belowSwapWall(tt.trials, sp, observe(tt.trials))
			if got != tt.want || ok != (tt.want != 0) {
				t.Errorf("belowSwapWall = (%d, %v), want %d", got, ok, tt.want)
			}
		})
	}
}

// TestConfirmRepeatsLeadersOfNoisyBuilds: where builds are noisy, Bayesian
// search builds its leading candidates again before it stops; where they
// are not, it stops at once.
func TestConfirmRepeatsLeadersOfNoisyBuilds(t *testing.T) {
	sp := Space{Min: 2, Max: 40, Start: 13, Budget: 12, Noise: 0.02, Tolerance: 0.01}
	tests := []struct {
		name     string
		trials   []Trial
		want     int
		wantDone bool
	}{
		// -j20 leads; two builds at -j16 differ by 10%: noisy. The lead
		// has one build, so it is built again.
		{"the lead is built twice", []Trial{ok(16, 100), ok(16, 110), ok(20, 96), ok(30, 108)}, 20, false},
		// Now -j30's one build is within a standard error of the lead's
		// mean, and -j16's two are not.
		{"then a rival within the noise", []Trial{ok(16, 110), ok(16, 120), ok(20, 96), ok(20, 104), ok(30, 105)}, 30, false},
		// Repeats agree to 0.5%: the builds are not noisy, nothing to repeat.
		{"quiet builds", []Trial{ok(16, 100), ok(16, 100.5), ok(20, 96), ok(30, 108)}, 0, true},
		{"no budget left", []Trial{ok(16, 100), ok(16, 110), ok(20, 96), ok(30, 108)}[:4], 0, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sp
			if i == 3 {
				s.Budget = 4
			}
			n, done := confirm(Analyze(tt.trials, s))
			if n != tt.want || done != tt.wantDone {
				t.Errorf("confirm = (%d, %v), want (%d, %v)", n, done, tt.want, tt.wantDone)
			}
		})
	}
}

// TestARepeatIsNeverStoppedForTime: a build at an N already built is a
// measure of noise, so it gets no time limit and no reference.
func TestARepeatIsNeverStoppedForTime(t *testing.T) {
	var reqs []BuildRequest
	times := map[int][]float64{13: {100, 118}, 7: {150}, 26: {99}}
	b := requestFunc(func(req BuildRequest) Measurement {
		reqs = append(reqs, req)
		ts := times[req.Jobs]
		if len(ts) == 0 {
			return Measurement{WallSeconds: 100 + float64(req.Jobs)}
		}
		times[req.Jobs] = ts[1:]
		return Measurement{WallSeconds: ts[0]}
	})
	res, err := Run(context.Background(), b, Settings{FormulaJobs: 13, Min: 2, Max: 40, Budget: 8, Strategy: Golden, Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i, r := range reqs {
		if seen[r.Jobs] && (r.AbortAfter != 0 || r.Reference != nil) {
			t.Errorf("build %d repeats -j%d with a time limit %v", i+1, r.Jobs, r.AbortAfter)
		}
		seen[r.Jobs] = true
	}
	if len(res.Trials) < 2 {
		t.Fatalf("only %d builds", len(res.Trials))
	}
}

func TestAbortMarginWidensWithMeasuredNoise(t *testing.T) {
	s := Settings{}.withDefaults()
	if m := s.abortMargin(observe([]Trial{ok(8, 100), ok(12, 90)})); m != 0.15 {
		t.Errorf("without repeats the margin is %g, want 0.15", m)
	}
	// Repeats 10% apart: a relative SD of about 7%, three times that is 21%.
	if m := s.abortMargin(observe([]Trial{ok(8, 95), ok(8, 105)})); m < 0.2 || m > 0.22 {
		t.Errorf("with noisy repeats the margin is %g, want about 0.21", m)
	}
}

type requestFunc func(req BuildRequest) Measurement

func (f requestFunc) Build(_ context.Context, req BuildRequest) (Measurement, error) {
	return f(req), nil
}
