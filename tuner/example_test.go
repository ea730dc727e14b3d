package tuner_test

import (
	"context"
	"fmt"

	"github.com/jtune/jtune/tuner"
)

// A build whose time falls with N until 24 jobs and rises slowly after.
type curve struct{}

func (curve) Build(_ context.Context, req tuner.BuildRequest) (tuner.Measurement, error) {
	n := float64(min(req.Jobs, 24))
	return tuner.Measurement{WallSeconds: 60 + 2400/n + 0.5*float64(req.Jobs)}, nil
}

// Run starts at the formula's N0 and half of it, then builds where the
// model of build time expects the most gain, and stops once no N is
// expected to gain much: here after 6 of the 8 builds it may use.
func ExampleRun() {
	res, err := tuner.Run(context.Background(), curve{}, tuner.Settings{FormulaJobs: 13, Min: 2, Max: 52, Load: 2})
	if err != nil {
		panic(err)
	}
	for _, t := range res.Trials {
		fmt.Printf("-j%d %.1f s\n", t.Jobs, t.WallSeconds)
	}
	fmt.Println(res.Outcome, res.Recommended.MakeOpts())
	// Output:
	// -j13 251.1 s
	// -j7 406.4 s
	// -j26 173.0 s
	// -j36 178.0 s
	// -j21 184.8 s
	// -j24 172.0 s
	// converged -j24 -l2
}

// Golden-section search narrows a bracket around the best build; builds
// within the assumed 2% noise of each other are built again before a cut.
func ExampleRun_golden() {
	res, err := tuner.Run(context.Background(), curve{}, tuner.Settings{FormulaJobs: 13, Min: 2, Max: 52, Load: 2, Strategy: tuner.Golden})
	if err != nil {
		panic(err)
	}
	for _, t := range res.Trials {
		fmt.Printf("-j%d %.1f s\n", t.Jobs, t.WallSeconds)
	}
	fmt.Println(res.Outcome, res.Recommended.MakeOpts())
	// Output:
	// -j13 251.1 s
	// -j28 174.0 s
	// -j38 179.0 s
	// -j22 180.1 s
	// -j32 176.0 s
	// -j28 174.0 s
	// -j26 173.0 s
	// -j26 173.0 s
	// budget_spent -j26 -l2
}

func ExampleAnalysis_RecommendMeasured() {
	trials := []tuner.Trial{
		{Jobs: 13, Status: tuner.StatusOK, Measurement: tuner.Measurement{WallSeconds: 455}},
		{Jobs: 30, Status: tuner.StatusOK, Measurement: tuner.Measurement{WallSeconds: 369}},
		{Jobs: 40, Status: tuner.StatusOK, Measurement: tuner.Measurement{WallSeconds: 367}},
		{Jobs: 48, Status: tuner.StatusOverloaded},
	}
	rec, _ := tuner.Analyze(trials, tuner.Space{Tolerance: 0.01}).RecommendMeasured(2)
	fmt.Println(rec.MakeOpts())
	fmt.Println(rec.Reason)
	// Output:
	// -j30 -l2
	// -j30 took 369.0 s, within 1% of the fastest (367.0 s at -j40), with fewer jobs; -j48 and above are capped by a failed or overloaded build
}
