package tuner

import (
	"math"
	"testing"
)

func TestCurve(t *testing.T) {
	truth := func(n int) float64 { return 60 + 2400/float64(n) + 0.5*float64(n) }
	clean := func(ns ...int) []Trial {
		var ts []Trial
		for _, n := range ns {
			ts = append(ts, Trial{Jobs: n, Status: StatusOK, Measurement: Measurement{WallSeconds: truth(n)}})
		}
		return ts
	}
	tests := []struct {
		name   string
		trials []Trial
		lo, hi int
		wantOK bool
		wantHi int // the last N of the curve
	}{
		{"too few clean builds", clean(13, 26), 2, 52, false, 0},
		// A failed build does not count as a clean one.
		{"failures are not times", append(clean(13, 26), Trial{Jobs: 40, Status: StatusFailed}), 2, 52, false, 0},
		{"whole range", clean(7, 13, 26, 40), 2, 52, true, 52},
		// Nothing is drawn at or above an overloaded N.
		{"stops below a failure wall", append(clean(7, 13, 26), Trial{Jobs: 40, Status: StatusOverloaded}), 2, 52, true, 39},
		{"empty range", clean(7, 13, 26), 20, 10, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pts, ok := Analyze(tt.trials, Space{}).Curve(tt.lo, tt.hi)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if pts[0].Jobs != tt.lo || pts[len(pts)-1].Jobs != tt.wantHi {
				t.Errorf("curve spans -j%d..-j%d, want -j%d..-j%d", pts[0].Jobs, pts[len(pts)-1].Jobs, tt.lo, tt.wantHi)
			}
			for _, p := range pts {
				if !(p.Low < p.Seconds && p.Seconds < p.High) || p.SD <= 0 {
					t.Fatalf("-j%d: band %.1f < %.1f < %.1f, sd %.2f", p.Jobs, p.Low, p.Seconds, p.High, p.SD)
				}
			}
			// Where it was measured the model is close to the measurement.
			for _, tr := range tt.trials {
				if tr.Status != StatusOK || tr.Jobs < tt.lo || tr.Jobs > tt.wantHi {
					continue
				}
				p := pts[tr.Jobs-tt.lo]
				if math.Abs(p.Seconds/tr.WallSeconds-1) > 0.05 {
					t.Errorf("-j%d: model %.1f s, measured %.1f s", tr.Jobs, p.Seconds, tr.WallSeconds)
				}
			}
		})
	}
}

func TestCurveThinsWideRanges(t *testing.T) {
	var trials []Trial
	for _, n := range []int{10, 100, 1000} {
		trials = append(trials, Trial{Jobs: n, Status: StatusOK, Measurement: Measurement{WallSeconds: 100}})
	}
	a := Analyze(trials, Space{})
	pts, ok := a.Curve(1, 5000)
	if !ok || len(pts) > 400 {
		t.Errorf("ok %v, %d points over 1..5000, want at most 400", ok, len(pts))
	}
	if s, ok := a.Predict(100); !ok || math.Abs(s/100-1) > 0.05 {
		t.Errorf("Predict(100) = %.1f, %v; want about 100", s, ok)
	}
}
