package tuner

import (
	"context"
	"math"
	"strings"
	"testing"
)

// steady is a build that prints its lines one per second from the start.
func steady(lines int) []float64 {
	secs := make([]float64, lines)
	for i := range secs {
		secs[i] = float64(i + 1)
	}
	return secs
}

func TestNewProgressKeepsTheShape(t *testing.T) {
	if p := NewProgress(nil); p != nil {
		t.Fatalf("NewProgress(nil) = %+v, want nil", p)
	}
	small := NewProgress([]float64{1, 2, 3})
	if small.Lines != 3 || len(small.Seconds) != 3 || small.Seconds[2] != 3 {
		t.Fatalf("3 lines kept as %+v", small)
	}
	big := NewProgress(steady(1000))
	if big.Lines != 1000 || len(big.Seconds) != progressPoints {
		t.Fatalf("1000 lines kept as %d points of %d lines, want %d", len(big.Seconds), big.Lines, progressPoints)
	}
	for _, lines := range []int{0, 1, 7, 15, 16, 500, 999, 1000, 5000} {
		want := float64(min(lines, 1000))
		// Between kept points the line times are interpolated: exact for
		// a steady build, up to one point's spacing off near the start.
		if got := big.secondsAt(lines); math.Abs(got-want) > 1000.0/progressPoints {
			t.Errorf("secondsAt(%d) = %.2f, want about %.0f", lines, got, want)
		}
	}
	if got := big.secondsAt(500); got != 500 {
		t.Errorf("secondsAt(500) = %g on a kept point, want 500", got)
	}
}

func TestReferenceBehind(t *testing.T) {
	// The reference ran at -j10: 180 compile lines, one a second, and a
	// 20 s link, 200 s in all.
	ref := &Reference{Jobs: 10, Seconds: 200, Progress: NewProgress(steady(180)), Margin: 0.15}
	cases := []struct {
		name      string
		ref       *Reference
		elapsed   float64
		lines     int
		behind    bool
		wantBound float64
	}{
		{"no reference", nil, 150, 10, false, 0},
		{"too early to judge", ref, 40, 1, false, 0},
		{"on the reference's pace", ref, 100, 100, false, 0},
		{"10% slower is within the margin", ref, 110, 100, false, 0},
		{"a lower N shows fewer lines at the same speed", ref, 100, 91, false, 0},
		{"well behind", ref, 150, 60, true, 200 + 150 - 70},
		{"nothing printed for long", ref, 60, 0, true, 200 + 60 - 10},
		{"compiles done, the link decides", ref, 400, 180, false, 0},
		{"close to the end the in-flight allowance covers the rest", ref, 300, 171, false, 0},
		{"no progress recorded", &Reference{Jobs: 10, Seconds: 200, Margin: 0.15}, 150, 10, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bound, behind := c.ref.Behind(c.elapsed, c.lines)
			if behind != c.behind || math.Abs(bound-c.wantBound) > 1e-9 {
				t.Errorf("Behind(%g, %d) = %g, %v; want %g, %v", c.elapsed, c.lines, bound, behind, c.wantBound, c.behind)
			}
			if behind && bound <= c.ref.Seconds {
				t.Errorf("bound %g is not above the reference's %g s", bound, c.ref.Seconds)
			}
		})
	}
}

func TestSettingsReference(t *testing.T) {
	withLines := func(jobs int, status Status, secs float64, lines int) Trial {
		tr := Trial{Jobs: jobs, Status: status, Measurement: Measurement{WallSeconds: secs}}
		if lines > 0 {
			tr.Progress = NewProgress(steady(lines))
		}
		return tr
	}
	s := Settings{}.withDefaults()
	cases := []struct {
		name     string
		settings Settings
		trials   []Trial
		wantJobs int // 0: no reference
	}{
		{"no builds", s, nil, 0},
		{"the fastest clean build", s, []Trial{withLines(4, StatusOK, 120, 100), withLines(8, StatusOK, 90, 100), withLines(16, StatusOK, 95, 101)}, 8},
		{"aborted and failed builds are not references", s, []Trial{withLines(4, StatusOK, 120, 100), withLines(8, StatusFailed, 30, 20), withLines(16, StatusAborted, 60, 40)}, 4},
		{"line totals that differ are not trusted", s, []Trial{withLines(4, StatusOK, 120, 100), withLines(8, StatusOK, 90, 110)}, 0},
		{"a clean build without lines", s, []Trial{withLines(4, StatusOK, 120, 0), withLines(8, StatusOK, 90, 100)}, 0},
		{"early abort off", Settings{NoEarlyAbort: true}.withDefaults(), []Trial{withLines(8, StatusOK, 90, 100)}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := c.settings.reference(c.trials)
			switch {
			case c.wantJobs == 0 && ref != nil:
				t.Errorf("reference = -j%d, want none", ref.Jobs)
			case c.wantJobs != 0 && (ref == nil || ref.Jobs != c.wantJobs || ref.Margin != 0.15):
				t.Errorf("reference = %+v, want -j%d with margin 0.15", ref, c.wantJobs)
			}
		})
	}
}

// lineBuilder prints compile lines at a rate that depends on N, and stops
// a build the way the real runner does, at the first second its progress
// is behind the reference.
type lineBuilder struct {
	seconds func(n int) float64 // whole-build time; the lines take 90% of it
	lines   int
	checked []bool // whether each build had a reference to check against
}

func (b *lineBuilder) Build(_ context.Context, req BuildRequest) (Measurement, error) {
	total := b.seconds(req.Jobs)
	rate := float64(b.lines) / (0.9 * total)
	b.checked = append(b.checked, req.Reference != nil)
	for t := 1.0; t < total; t++ {
		if bound, behind := req.Reference.Behind(t, int(t*rate)); behind {
			return Measurement{WallSeconds: t, Aborted: true, BoundSeconds: bound}, nil
		}
	}
	secs := make([]float64, b.lines)
	for i := range secs {
		secs[i] = float64(i+1) / rate
	}
	return Measurement{WallSeconds: total, Progress: NewProgress(secs)}, nil
}

func TestRunAbortsABuildThatFallsBehind(t *testing.T) {
	// -j8 takes 200 s and is the reference; every lower N is at least
	// 1.6 times slower, so it is stopped long before the 230 s that elapsed
	// time alone would take. Its bound must set it clearly apart from the
	// best (above 2 x the 2% noise) without claiming more than the truth.
	b := &lineBuilder{seconds: func(n int) float64 { return 1600 / float64(n) }, lines: 500}
	res, err := Run(context.Background(), b, Settings{FormulaJobs: 8, Min: 2, Max: 8, Budget: 2, Strategy: Golden, Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Trials) != 2 {
		t.Fatalf("ran %d builds, want 2: %+v", len(res.Trials), res.Trials)
	}
	if b.checked[0] {
		t.Error("the first build had a reference")
	}
	var slow *Trial
	for i := range res.Trials {
		if res.Trials[i].Jobs < 8 {
			slow = &res.Trials[i]
		}
	}
	if slow == nil {
		t.Fatalf("no build below -j8: %+v", res.Trials)
	}
	truth := b.seconds(slow.Jobs)
	if slow.Status != StatusAborted || slow.WallSeconds >= 100 || slow.BoundSeconds <= 208 || slow.BoundSeconds > truth {
		t.Errorf("-j%d: %s after %.0f s with bound %.0f s; want aborted within 100 s with a bound in (208, %.0f] s",
			slow.Jobs, slow.Status, slow.WallSeconds, slow.BoundSeconds, truth)
	}
	if !strings.Contains(slow.Reason, "compile lines") {
		t.Errorf("reason %q does not say why", slow.Reason)
	}
	if got := observe(res.Trials).lowerBound[slow.Jobs]; got != slow.BoundSeconds {
		t.Errorf("the search sees -j%d as at least %.0f s, want the bound %.0f s", slow.Jobs, got, slow.BoundSeconds)
	}
}
