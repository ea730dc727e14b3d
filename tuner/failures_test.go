package tuner

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// refusingFarm stands in for a farm where one host answers but refuses
// every job (a distccd without --allow for this client): every build has
// the same failures, one per compile sent there, whatever its N. It honours
// StopAtFailures the way the real runner does.
type refusingFarm struct{ built []int }

func (f *refusingFarm) Build(_ context.Context, req BuildRequest) (Measurement, error) {
	f.built = append(f.built, req.Jobs)
	const failures = 30
	m := Measurement{WallSeconds: 20 + 100/float64(req.Jobs), DistccFailures: failures,
		DistccFailureHosts: map[string]int{"127.0.0.1:3633/2": failures}}
	if stop := req.StopAtFailures; stop > 0 && failures >= stop {
		m.WallSeconds *= float64(stop) / failures
		m.DistccFailures, m.Aborted, m.StoppedFor = stop, true, StopFailures
	}
	return m, nil
}

func TestARefusingHostIsNotOverload(t *testing.T) {
	for _, strategy := range Strategies {
		t.Run(string(strategy), func(t *testing.T) {
			farm := &refusingFarm{}
			res, err := Run(context.Background(), farm, Settings{FormulaJobs: 5, Min: 2, Max: 20, Budget: 6, Strategy: strategy, Now: fixedClock()})
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range res.Trials {
				if tr.Status == StatusOverloaded {
					t.Errorf("-j%d is overloaded (%s), but every N has the same failures", tr.Jobs, tr.Reason)
				}
				if tr.Jobs == 2 && tr.Aborted {
					t.Errorf("the build at the bottom of the range was stopped: %s", tr.Reason)
				}
			}
			if res.Recommended == nil {
				t.Fatalf("no recommendation from %v", farm.built)
			}
			var named bool
			for _, w := range res.Warnings {
				named = named || w.Kind == WarnFailuresAtEveryN && strings.Contains(w.Message, "127.0.0.1:3633/2")
				if w.Kind == WarnNoCleanBuild {
					t.Errorf("warns %q, but builds finished cleanly", w.Message)
				}
			}
			if !named {
				t.Errorf("no warning names the refusing host: %+v", res.Warnings)
			}
		})
	}
}

// oneBadN fails its builds at one N (always, or only the first time) and
// builds cleanly everywhere else.
type oneBadN struct {
	bad    int
	flaky  bool
	failed int
	built  []int
}

func (b *oneBadN) Build(_ context.Context, req BuildRequest) (Measurement, error) {
	b.built = append(b.built, req.Jobs)
	if req.Jobs == b.bad && (!b.flaky || b.failed == 0) {
		b.failed++
		return Measurement{WallSeconds: 3, ExitCode: 2, StderrTail: "make: *** [Makefile:12: obj/x.o] Error 1"}, nil
	}
	return Measurement{WallSeconds: 20 + 100/float64(req.Jobs) + 0.5*float64(req.Jobs)}, nil
}

func TestAFailureAtOneLowNDoesNotCapTheRange(t *testing.T) {
	tests := []struct {
		name  string
		flaky bool
	}{
		{"fails every time", false},
		{"fails once", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Bayesian search builds N0 = 14, then 7, which fails.
			b := &oneBadN{bad: 7, flaky: tt.flaky}
			res, err := Run(context.Background(), b, Settings{FormulaJobs: 14, Min: 2, Max: 56, Budget: 8, NoEarlyAbort: true, Now: fixedClock()})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(b.built[:3], []int{14, 7, 7}) {
				t.Errorf("built %v, want 14, 7 and 7 again first: a failure is tried once more", b.built)
			}
			if res.Recommended == nil {
				t.Fatalf("no recommendation from %v", b.built)
			}
			if !tt.flaky && res.Recommended.Jobs == 7 {
				t.Errorf("recommended -j7, which failed twice")
			}
			if !slices.ContainsFunc(b.built, func(n int) bool { return n > 14 }) {
				t.Errorf("nothing above -j14 was built (%v): the failure at -j7 capped the range", b.built)
			}
			for _, w := range res.Warnings {
				if w.Kind == WarnNoCleanBuild {
					t.Errorf("warns %q", w.Message)
				}
			}
		})
	}
}
