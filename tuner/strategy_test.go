package tuner

import (
	"strings"
	"testing"
)

// ok, bad and over build trial lists tersely for the tables below.
func ok(jobs int, secs float64) Trial {
	return Trial{Jobs: jobs, Status: StatusOK, Measurement: Measurement{WallSeconds: secs}}
}

func failed(jobs int) Trial { return Trial{Jobs: jobs, Status: StatusFailed} }

func over(jobs int) Trial { return Trial{Jobs: jobs, Status: StatusOverloaded} }

func TestNextGolden(t *testing.T) {
	sp := Space{Min: 2, Max: 52, Start: 13, Budget: 8, Noise: 0.02}
	tests := []struct {
		name     string
		sp       Space
		trials   []Trial
		wantJobs int
		wantDone bool
	}{
		{"starts at the formula", sp, nil, 13, false},
		{"clamps a formula above the range", Space{Min: 2, Max: 10, Start: 13, Budget: 8}, nil, 10, false},
		{"second point goes into the larger segment", sp, []Trial{ok(13, 100)}, 28, false},
		{"faster above: bracket moves up", sp, []Trial{ok(13, 100), ok(28, 80)}, 38, false},
		{"slower above: bracket moves down", sp, []Trial{ok(13, 100), ok(28, 120)}, 19, false},
		{"tie within noise: re-measure the smaller N first", sp, []Trial{ok(13, 100), ok(28, 101)}, 13, false},
		{"tie persists: re-measure the other", sp, []Trial{ok(13, 100), ok(28, 101), ok(13, 100)}, 28, false},
		{"tie after two each: keep both, cut above", sp, []Trial{ok(13, 100), ok(28, 101), ok(13, 100), ok(28, 101)}, 19, false},
		{"an interrupted build is ignored", sp, []Trial{ok(13, 100), {Jobs: 28, Status: StatusInterrupted}}, 28, false},
		{"a timeout counts as slow", sp, []Trial{ok(13, 100), {Jobs: 28, Status: StatusTimeout, Measurement: Measurement{WallSeconds: 300}}}, 19, false},
		// Everything at or above a failed N is known to be infinitely slow,
		// so the search walks down without building there.
		{"a failed formula sends the search below it", sp, []Trial{failed(13)}, 8, false},
		{"overload above caps without a build", sp, []Trial{ok(13, 100), over(28)}, 19, false},
		{"budget spent", Space{Min: 2, Max: 52, Start: 13, Budget: 2}, []Trial{ok(13, 100), ok(28, 120)}, 0, true},
		{"single-point range builds it once", Space{Min: 4, Max: 4, Start: 9, Budget: 8}, nil, 4, false},
		{"single-point range then stops", Space{Min: 4, Max: 4, Start: 9, Budget: 8}, []Trial{ok(4, 10)}, 0, true},
		{"bracket exhausted", Space{Min: 3, Max: 5, Start: 4, Budget: 8}, []Trial{ok(4, 10), ok(5, 12), ok(3, 11)}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, done := NextGolden(Analyze(tt.trials, tt.sp))
			if jobs != tt.wantJobs || done != tt.wantDone {
				t.Errorf("NextGolden = (%d, %v), want (%d, %v)", jobs, done, tt.wantJobs, tt.wantDone)
			}
		})
	}
}

func TestNextGrid(t *testing.T) {
	sp := Space{Min: 2, Max: 20, Budget: 4}
	tests := []struct {
		name     string
		sp       Space
		trials   []Trial
		wantJobs int
		wantDone bool
	}{
		{"starts at the bottom", sp, nil, 2, false},
		{"ascends", sp, []Trial{ok(2, 50), ok(8, 20)}, 14, false},
		{"stops above an overloaded N", sp, []Trial{ok(2, 50), over(8)}, 0, true},
		{"budget spent", sp, []Trial{ok(2, 50), ok(8, 20), ok(14, 18), ok(20, 19)}, 0, true},
		{"narrow range has fewer points than the budget", Space{Min: 3, Max: 4, Budget: 8}, []Trial{ok(3, 5), ok(4, 4)}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, done := NextGrid(Analyze(tt.trials, tt.sp))
			if jobs != tt.wantJobs || done != tt.wantDone {
				t.Errorf("NextGrid = (%d, %v), want (%d, %v)", jobs, done, tt.wantJobs, tt.wantDone)
			}
		})
	}
}

func TestRecommend(t *testing.T) {
	tests := []struct {
		name       string
		trials     []Trial
		wantJobs   int
		wantOK     bool
		wantReason string
	}{
		{"no builds", nil, 0, false, ""},
		{"only failures", []Trial{failed(4)}, 0, false, ""},
		{"fastest", []Trial{ok(4, 30), ok(8, 20), ok(16, 25)}, 8, true, "fastest build"},
		{"plateau prefers the smaller N", []Trial{ok(8, 100), ok(12, 99.5), ok(16, 99.2)}, 8, true, "within 1% of the fastest"},
		{"just outside the tolerance", []Trial{ok(8, 101), ok(16, 99)}, 16, true, "fastest build"},
		{"repeats are averaged", []Trial{ok(8, 90), ok(8, 110), ok(16, 99)}, 16, true, "fastest build"},
		{"never at or above a cap", []Trial{ok(8, 100), ok(20, 80), over(16)}, 8, true, "capped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, ok := Analyze(tt.trials, Space{Tolerance: 0.01}).RecommendMeasured(2)
			if ok != tt.wantOK || rec.Jobs != tt.wantJobs {
				t.Fatalf("Recommend = (%+v, %v), want jobs %d, ok %v", rec, ok, tt.wantJobs, tt.wantOK)
			}
			if !strings.Contains(rec.Reason, tt.wantReason) {
				t.Errorf("reason %q lacks %q", rec.Reason, tt.wantReason)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	before := []Trial{ok(4, 50), {Jobs: 8, Status: StatusOK, Measurement: Measurement{DistccFailures: 2}}}
	tests := []struct {
		name    string
		m       Measurement
		jobs    int
		maxLoad float64
		want    Status
	}{
		{"clean", Measurement{}, 16, 0, StatusOK},
		{"non-zero exit", Measurement{ExitCode: 2}, 16, 0, StatusFailed},
		{"timeout wins over exit code", Measurement{TimedOut: true, ExitCode: -1}, 16, 0, StatusTimeout},
		{"interrupted", Measurement{Interrupted: true}, 16, 0, StatusInterrupted},
		{"load above limit", Measurement{MaxLoad: 9}, 16, 8, StatusOverloaded},
		{"load at limit", Measurement{MaxLoad: 8}, 16, 8, StatusOK},
		{"load without limit", Measurement{MaxLoad: 90}, 16, 0, StatusOK},
		{"failures rise above lower N", Measurement{DistccFailures: 5}, 16, 0, StatusOverloaded},
		{"failures at the level of lower N", Measurement{DistccFailures: 4}, 16, 0, StatusOK},
		{"lower N only: higher N does not set the baseline", Measurement{DistccFailures: 3}, 6, 0, StatusOverloaded},
		{"few failures are noise", Measurement{DistccFailures: 2}, 2, 0, StatusOK},
		{"the master swapped", Measurement{SwapGrowthBytes: 200 << 20}, 16, 0, StatusOverloaded},
		{"a little swap is not overload", Measurement{SwapGrowthBytes: 8 << 20}, 16, 0, StatusOK},
		{"aborted: killed, not failed", Measurement{Aborted: true, ExitCode: 143}, 16, 0, StatusAborted},
		{"aborted by its progress", Measurement{Aborted: true, WallSeconds: 30, BoundSeconds: 80}, 16, 0, StatusAborted},
		{"aborted in a failure cascade caps N", Measurement{Aborted: true, ExitCode: 143, DistccFailures: 40}, 16, 0, StatusOverloaded},
		{"timed out while swapping", Measurement{TimedOut: true, SwapGrowthBytes: 200 << 20}, 16, 0, StatusOverloaded},
		{"aborted with failures at the level of lower N", Measurement{Aborted: true, DistccFailures: 4}, 16, 0, StatusAborted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Classify(tt.m, tt.jobs, before, tt.maxLoad)
			if got != tt.want {
				t.Errorf("Classify = %s (%s), want %s", got, reason, tt.want)
			}
			if got != StatusOK && reason == "" {
				t.Errorf("status %s has no reason", got)
			}
		})
	}
}
