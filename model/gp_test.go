package model_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jtune/jtune/model"
)

// amdahl is the curve the issue names: steep below its optimum at
// sqrt(2400/0.5) ≈ 69.3, then rising with the per-job overhead.
func amdahl(n int) float64 { return 60 + 2400/float64(n) + 0.5*float64(n) }

// quadratic rises with the square of N above its optimum at
// (2000/0.04)^(1/3) ≈ 36.8: not in the prior mean's family, so the GP has
// to bend the curve itself.
func quadratic(n int) float64 { return 40 + 2000/float64(n) + 0.02*float64(n*n) }

// plateau saturates at 20 slots: no gain at all beyond them.
func plateau(n int) float64 { return 30 + 300/math.Min(float64(n), 20) }

// power is smooth but not in the prior mean's family either.
func power(n int) float64 {
	return 50 + 1500/math.Pow(float64(n), 0.8) + 0.3*math.Pow(float64(n), 1.2)
}

// sample observes curve at jobs with relative Gaussian noise from a fixed
// seed.
func sample(curve func(int) float64, jobs []int, noise float64, seed uint64) []model.Observation {
	rng := rand.New(rand.NewPCG(seed, 7))
	obs := make([]model.Observation, len(jobs))
	for i, n := range jobs {
		obs[i] = model.Observation{Jobs: n, Seconds: curve(n) * (1 + noise*rng.NormFloat64())}
	}
	return obs
}

func fit(t testing.TB, obs []model.Observation, s model.GPSettings) *model.GP {
	t.Helper()
	g, err := model.FitGP(obs, s)
	if err != nil {
		t.Fatalf("FitGP: %v", err)
	}
	return g
}

// argminMean is the N in lo..hi with the lowest posterior mean: what the
// tuner recommends.
func argminMean(g *model.GP, lo, hi int) int {
	best, bestT := lo, math.Inf(1)
	for n := lo; n <= hi; n++ {
		if m, _ := g.Predict(n); m < bestT {
			best, bestT = n, m
		}
	}
	return best
}

func TestInterpolatesNoiseFreePoints(t *testing.T) {
	jobs := []int{1, 2, 4, 8, 16, 32, 64, 128}
	for _, tc := range []struct {
		name  string
		curve func(int) float64
		s     model.GPSettings
		// between: the sd must also dip at observed N relative to the
		// midpoints between them. Only when the model is told the data
		// are noise-free: with the default 2% noise prior it is right to
		// read sub-percent wiggles as noise and smooth them.
		between bool
	}{
		{"power, told noise-free", power, model.GPSettings{Noise: 1e-4}, true},
		{"quadratic, told noise-free", quadratic, model.GPSettings{Noise: 1e-4}, true},
		{"power, default noise prior", power, model.GPSettings{}, false},
		{"amdahl, default noise prior", amdahl, model.GPSettings{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := fit(t, sample(tc.curve, jobs, 0, 1), tc.s)
			_, farSD := g.Predict(1000)
			for i, n := range jobs {
				m, sd := g.Predict(n)
				if rel := math.Abs(m/tc.curve(n) - 1); rel > 0.01 {
					t.Errorf("N=%d: mean %.2f, observed %.2f (%.2f%% off)", n, m, tc.curve(n), 100*rel)
				}
				if sd >= farSD {
					t.Errorf("N=%d: sd %.3g at an observed N, not below %.3g at N=1000", n, sd, farSD)
				}
				if !tc.between || i == len(jobs)-1 {
					continue
				}
				mid := int(math.Round(math.Sqrt(float64(n * jobs[i+1]))))
				if mid == n {
					continue
				}
				_, midSD := g.Predict(mid)
				_, nextSD := g.Predict(jobs[i+1])
				if sd >= midSD || nextSD >= midSD {
					t.Errorf("sd %.3g at N=%d and %.3g at N=%d, not below %.3g at N=%d between them",
						sd, n, nextSD, jobs[i+1], midSD, mid)
				}
			}
		})
	}
}

func TestFitIsDeterministicForASeed(t *testing.T) {
	obs := sample(quadratic, []int{2, 3, 5, 9, 14, 22, 30, 45, 60}, 0.02, 3)
	for _, tc := range []struct {
		name string
		s    func() model.GPSettings
	}{
		{"nil Rand", func() model.GPSettings { return model.GPSettings{} }},
		{"seeded Rand", func() model.GPSettings {
			return model.GPSettings{Rand: rand.New(rand.NewPCG(7, 11)), Restarts: 5}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := fit(t, obs, tc.s()), fit(t, obs, tc.s())
			la, sa, na := a.Hyper()
			lb, sb, nb := b.Hyper()
			if la != lb || sa != sb || na != nb {
				t.Fatalf("hyperparameters differ: (%v %v %v) vs (%v %v %v)", la, sa, na, lb, sb, nb)
			}
			for n := 1; n <= 200; n++ {
				ma, sda := a.PredictLog(n)
				mb, sdb := b.PredictLog(n)
				if ma != mb || sda != sdb {
					t.Fatalf("N=%d: (%v, %v) vs (%v, %v)", n, ma, sda, mb, sdb)
				}
			}
		})
	}
}

// Reference values of h(z) = φ(z) + z·Φ(z), so that EI = σ·h((best-μ)/σ),
// and of log h(z), from mpmath at 50 digits.
var hRef = []struct{ z, h, logH float64 }{
	{0, 0.39894228040143267794, -0.91893853320467274178},
	{1, 1.0833154705876862984, 0.080026218849306940029},
	{-1, 0.083315470587686298383, -2.4851210257126413368},
	{2, 2.0084907026168296375, 0.69738354578822831219},
	{-2, 0.00849070261682963755, -4.7687835239171141569},
	{3.5, 3.5000584809184214224, 1.2527796771896116787},
	{-0.5, 0.19779655740130602959, -1.6205162643873199193},
	{-5, 5.3461655338328149539e-8, -16.744301162660990143},
	{-10, 7.4745602545893280366e-25, -55.553122036122355927},
	{-20, 1.3700124947295799431e-90, -206.91783850942509785},
	{-40, 9.128344722912972375e-352, -808.29856835661996024},
}

func TestExpectedImprovementClosedForm(t *testing.T) {
	for _, tc := range []struct {
		name            string
		mu, sigma, best float64
		want            float64
	}{
		{"sigma 0, improvement", 3, 0, 5, 2},
		{"sigma 0, no improvement", 5, 0, 3, 0},
		{"sigma 0, tie", 4, 0, 4, 0},
		{"mu at best", 10, 2, 10, 2 / math.Sqrt(2*math.Pi)},
		{"mu at best, unit sigma", -1, 1, -1, 1 / math.Sqrt(2*math.Pi)},
	} {
		got := model.ExpectedImprovement(tc.mu, tc.sigma, tc.best)
		if math.Abs(got-tc.want) > 1e-15*math.Max(1, tc.want) {
			t.Errorf("%s: EI(%v, %v, %v) = %v, want %v", tc.name, tc.mu, tc.sigma, tc.best, got, tc.want)
		}
	}
	// Known values at z = (best-mu)/sigma, with sigma = 0.5 and best = 1.
	const sigma, best = 0.5, 1.0
	for _, r := range hRef {
		mu := best - r.z*sigma
		got := model.ExpectedImprovement(mu, sigma, best)
		want := sigma * r.h
		if math.Abs(got/want-1) > 1e-11 {
			t.Errorf("z=%v: EI = %.17g, want %.17g", r.z, got, want)
		}
	}
}

func TestLogExpectedImprovement(t *testing.T) {
	const sigma, best = 0.5, 1.0
	t.Run("reference values", func(t *testing.T) {
		for _, r := range hRef {
			got := model.LogExpectedImprovement(best-r.z*sigma, sigma, best)
			want := math.Log(sigma) + r.logH
			if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("z=%v: log EI = %.17g, want %.17g", r.z, got, want)
			}
		}
	})
	t.Run("equals log of direct EI where that is accurate", func(t *testing.T) {
		// Above z = -5 the direct φ(z) + z·Φ(z) loses at most two digits
		// to cancellation.
		for i := -500; i <= 500; i++ {
			z := float64(i) / 100
			mu := best - z*sigma
			direct := sigma * (math.Exp(-z*z/2)/math.Sqrt(2*math.Pi) + z*0.5*math.Erfc(-z/math.Sqrt2))
			got := model.LogExpectedImprovement(mu, sigma, best)
			if math.Abs(got-math.Log(direct)) > 1e-10 {
				t.Fatalf("z=%v: log EI = %.17g, log(direct EI) = %.17g", z, got, math.Log(direct))
			}
			if ei := model.ExpectedImprovement(mu, sigma, best); math.Abs(ei/direct-1) > 1e-10 {
				t.Fatalf("z=%v: EI = %.17g, direct = %.17g", z, ei, direct)
			}
		}
	})
	t.Run("finite and increasing down to z=-40", func(t *testing.T) {
		prev := math.Inf(-1)
		for i := -40000; i <= 5000; i++ {
			z := float64(i) / 1000
			got := model.LogExpectedImprovement(best-z*sigma, sigma, best)
			if math.IsInf(got, 0) || math.IsNaN(got) {
				t.Fatalf("z=%v: log EI = %v", z, got)
			}
			if got <= prev {
				t.Fatalf("z=%v: log EI = %.17g, not above %.17g at z-0.001", z, got, prev)
			}
			prev = got
		}
	})
	t.Run("sigma 0", func(t *testing.T) {
		if got := model.LogExpectedImprovement(0.5, 0, 1); got != math.Log(0.5) {
			t.Errorf("log EI = %v, want log 0.5", got)
		}
		if got := model.LogExpectedImprovement(2, 0, 1); !math.IsInf(got, -1) {
			t.Errorf("log EI = %v, want -Inf", got)
		}
	})
}

func TestCensoredObservation(t *testing.T) {
	// The censored build at 64 stopped at 100 s, below every real time:
	// a bound, never the incumbent.
	base := append(sample(amdahl, []int{2, 8, 16, 32, 64}, 0, 1),
		model.Observation{Jobs: 64, Seconds: 100, Censored: true})
	m0, _ := fit(t, base, model.GPSettings{}).Predict(4)
	for _, tc := range []struct {
		name     string
		bound    float64 // times m0, the uncensored fit's mean at N=4
		min, max float64 // allowed range of the new mean at N=4, times m0
	}{
		// A bound 30% above the fit: the build at 4 took at least that,
		// so the curve must now pass above it there.
		{"bound above the fit", 1.3, 1.3, 1.6},
		{"bound just above the fit", 1.1, 1.1, 1.25},
		// A build stopped at half the predicted time says nothing new.
		{"bound below the fit", 0.5, 0.99, 1.01},
		{"bound slightly below the fit", 0.9, 0.99, 1.01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := append(append([]model.Observation(nil), base...),
				model.Observation{Jobs: 4, Seconds: tc.bound * m0, Censored: true})
			g := fit(t, obs, model.GPSettings{})
			m, _ := g.Predict(4)
			if r := m / m0; r < tc.min || r > tc.max {
				t.Errorf("mean at N=4: %.1f = %.3f x the uncensored fit's %.1f, want %.2f..%.2f",
					m, r, m0, tc.min, tc.max)
			}
			if best, want := g.BestObservedLog(), math.Log(amdahl(64)); best != want {
				t.Errorf("incumbent %v, want the best uncensored log time %v", best, want)
			}
		})
	}
}

func TestInfeasible(t *testing.T) {
	obs := sample(amdahl, []int{4, 10, 20, 30}, 0.01, 5)
	plain := fit(t, obs, model.GPSettings{})
	if got := plain.InfeasibleFrom(); got != 0 {
		t.Errorf("InfeasibleFrom = %d with no failures, want 0", got)
	}
	if !plain.Feasible(1000) {
		t.Error("Feasible(1000) with no failures")
	}
	// Failures carry times that must not be read as build times.
	failed := append(append([]model.Observation(nil), obs...),
		model.Observation{Jobs: 50, Seconds: math.NaN(), Infeasible: true},
		model.Observation{Jobs: 40, Seconds: 1e6, Infeasible: true},
		model.Observation{Jobs: 60, Seconds: -1, Infeasible: true})
	g := fit(t, failed, model.GPSettings{})
	if got := g.InfeasibleFrom(); got != 40 {
		t.Errorf("InfeasibleFrom = %d, want 40", got)
	}
	for _, tc := range []struct {
		n    int
		want bool
	}{{1, true}, {39, true}, {40, false}, {45, false}, {1000, false}} {
		if got := g.Feasible(tc.n); got != tc.want {
			t.Errorf("Feasible(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
	for n := 1; n <= 100; n++ {
		m1, s1 := plain.PredictLog(n)
		m2, s2 := g.PredictLog(n)
		if m1 != m2 || s1 != s2 {
			t.Fatalf("N=%d: infeasible observations changed the fit: (%v, %v) vs (%v, %v)", n, m1, s1, m2, s2)
		}
	}
}

func TestShapeArgmin(t *testing.T) {
	for _, tc := range []struct {
		name  string
		curve func(int) float64
		jobs  []int
	}{
		{"amdahl", amdahl, []int{2, 8, 20, 40, 64, 80}},
		{"amdahl, other points", amdahl, []int{3, 10, 25, 45, 60, 80}},
		{"quadratic", quadratic, []int{2, 6, 15, 30, 50, 80}},
	} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%s/seed %d", tc.name, seed), func(t *testing.T) {
				want := 2
				for n := 2; n <= 80; n++ {
					if tc.curve(n) < tc.curve(want) {
						want = n
					}
				}
				g := fit(t, sample(tc.curve, tc.jobs, 0.01, seed), model.GPSettings{})
				if got := argminMean(g, 2, 80); math.Abs(float64(got-want)) > 0.15*float64(want) {
					t.Errorf("argmin of the posterior mean over 2..80 is %d, true argmin %d", got, want)
				}
			})
		}
	}
}

func TestPlateauIsFlat(t *testing.T) {
	for _, jobs := range [][]int{
		{2, 5, 10, 15, 20, 25, 30, 40},
		{2, 4, 8, 12, 16, 20, 24, 32, 40},
		{3, 6, 12, 20, 28, 40},
	} {
		t.Run(fmt.Sprint(jobs), func(t *testing.T) {
			g := fit(t, sample(plateau, jobs, 0, 1), model.GPSettings{})
			lo, hi := math.Inf(1), math.Inf(-1)
			for n := 20; n <= 40; n++ {
				m, _ := g.Predict(n)
				lo, hi = math.Min(lo, m), math.Max(hi, m)
			}
			if hi/lo > 1.02 {
				t.Errorf("posterior mean spans %.2f..%.2f over N=20..40, more than 2%%", lo, hi)
			}
			if got := argminMean(g, 2, 40); got < 20 || got > 24 {
				t.Errorf("argmin of the posterior mean %d, want the plateau's start 20", got)
			}
		})
	}
}

func TestPredictIsLogNormalMedian(t *testing.T) {
	g := fit(t, sample(amdahl, []int{2, 8, 20, 40, 64, 80}, 0.01, 1), model.GPSettings{})
	for _, n := range []int{1, 5, 69, 500} {
		m, sd := g.Predict(n)
		mu, sigma := g.PredictLog(n)
		if m != math.Exp(mu) || sd != m*sigma {
			t.Errorf("N=%d: Predict (%v, %v), PredictLog (%v, %v)", n, m, sd, mu, sigma)
		}
	}
}

func TestFitErrors(t *testing.T) {
	ok := model.Observation{Jobs: 4, Seconds: 100}
	for _, tc := range []struct {
		name string
		obs  []model.Observation
		want error
	}{
		{"no observations", nil, model.ErrNoData},
		{"only failures", []model.Observation{{Jobs: 4, Infeasible: true}}, model.ErrNoData},
		{"only censored", []model.Observation{{Jobs: 4, Seconds: 100, Censored: true}}, model.ErrNoData},
		{"zero seconds", []model.Observation{ok, {Jobs: 8}}, model.ErrBadSeconds},
		{"negative seconds", []model.Observation{ok, {Jobs: 8, Seconds: -3}}, model.ErrBadSeconds},
		{"NaN seconds", []model.Observation{ok, {Jobs: 8, Seconds: math.NaN()}}, model.ErrBadSeconds},
		{"infinite censored", []model.Observation{ok, {Jobs: 8, Seconds: math.Inf(1), Censored: true}}, model.ErrBadSeconds},
		{"one observation", []model.Observation{ok}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := model.FitGP(tc.obs, model.GPSettings{})
			if !errors.Is(err, tc.want) {
				t.Errorf("FitGP error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestContractViolationsPanic(t *testing.T) {
	g := fit(t, []model.Observation{{Jobs: 4, Seconds: 100}}, model.GPSettings{})
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"zero jobs", func() { _, _ = model.FitGP([]model.Observation{{Jobs: 0, Seconds: 1}}, model.GPSettings{}) }},
		{"negative restarts", func() {
			_, _ = model.FitGP([]model.Observation{{Jobs: 1, Seconds: 1}}, model.GPSettings{Restarts: -1})
		}},
		{"negative noise", func() {
			_, _ = model.FitGP([]model.Observation{{Jobs: 1, Seconds: 1}}, model.GPSettings{Noise: -0.1})
		}},
		{"predict at 0 jobs", func() { g.Predict(0) }},
		{"negative sigma", func() { model.ExpectedImprovement(0, -1, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.f()
		})
	}
}

// BenchmarkFitAndPredict is one step of the tuner late in a session: fit
// 40 builds, then predict every candidate N of a 1..1000 range.
func BenchmarkFitAndPredict(b *testing.B) {
	jobs := make([]int, 40)
	for i := range jobs {
		jobs[i] = int(math.Round(math.Exp(float64(i) * math.Log(1000) / 39)))
	}
	obs := sample(amdahl, jobs, 0.02, 1)
	obs[10].Censored = true
	b.ReportAllocs()
	for b.Loop() {
		g, err := model.FitGP(obs, model.GPSettings{})
		if err != nil {
			b.Fatal(err)
		}
		best := g.BestObservedLog()
		for n := 1; n <= 1000; n++ {
			mu, sigma := g.PredictLog(n)
			_ = model.LogExpectedImprovement(mu, sigma, best)
		}
	}
}

// A session late in the search: choose the next build by expected
// improvement over the feasible N, and recommend the N with the lowest
// posterior mean. The build at N=2 was stopped at 700 s, far below what
// the curve predicts there, so it changes nothing; the one at N=90 failed.
func ExampleFitGP() {
	obs := []model.Observation{
		{Jobs: 4, Seconds: 662},
		{Jobs: 10, Seconds: 302},
		{Jobs: 20, Seconds: 181},
		{Jobs: 40, Seconds: 141},
		{Jobs: 64, Seconds: 129.5},
		{Jobs: 2, Seconds: 700, Censored: true},
		{Jobs: 90, Infeasible: true},
	}
	g, err := model.FitGP(obs, model.GPSettings{Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		fmt.Println(err)
		return
	}
	next, bestLogEI := 0, math.Inf(-1)
	rec, recMean := 0, math.Inf(1)
	for n := 1; g.Feasible(n); n++ {
		mu, sigma := g.PredictLog(n)
		if l := model.LogExpectedImprovement(mu, sigma, g.BestObservedLog()); l > bestLogEI {
			next, bestLogEI = n, l
		}
		if m, _ := g.Predict(n); m < recMean {
			rec, recMean = n, m
		}
	}
	m2, _ := g.Predict(2)
	_, sd := g.Predict(rec)
	fmt.Printf("infeasible from N=%d\n", g.InfeasibleFrom())
	fmt.Printf("N=2 takes about %.0f s\n", m2)
	fmt.Printf("next build: N=%d\n", next)
	fmt.Printf("recommended: N=%d, %.0f ± %.0f s\n", rec, recMean, sd)
	// Output:
	// infeasible from N=90
	// N=2 takes about 1266 s
	// next build: N=79
	// recommended: N=65, 130 ± 3 s
}
