package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jtune/jtune/model"
	"github.com/jtune/jtune/tuner"
)

const seedFarmFile = "../../examples/farms/seed.json"

func TestSimulateCurve(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run([]string{"simulate", "--farm", seedFarmFile, "--hosts-used", "6", "--min", "36", "--max", "44"}, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if n := strings.Count(out, "\n"); n != 1+9+2 {
		t.Errorf("want a header, 9 rows and a summary, got %d lines:\n%s", n, out)
	}
	// The seed study's peak with 6 containers was about 40.
	if !strings.Contains(out, "formula N0 = 13; fastest predicted: -j") {
		t.Errorf("no summary line:\n%s", out)
	}
	f, err := model.LoadFarm(seedFarmFile)
	if err != nil {
		t.Fatal(err)
	}
	best, _ := f.WithHosts(6).Argmin(36, 44)
	if !strings.Contains(out, "-j"+strconv.Itoa(best)+" (") {
		t.Errorf("summary does not name the fastest N %d:\n%s", best, out)
	}
}

func TestSimulateTune(t *testing.T) {
	for _, strategy := range tuner.Strategies {
		t.Run(string(strategy), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run([]string{"simulate", "--farm", seedFarmFile, "--hosts-used", "6", "--tune", "--strategy", string(strategy), "--seed", "7"}, &stdout, &stderr)
			if err != nil {
				t.Fatal(err)
			}
			out := stdout.String()
			for _, want := range []string{"true fastest: -j", "recommended: -j", "above the fastest"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestSimulateErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"master": {"cores": 2}, "hosts": [{"name": "a", "slots": -1}], "build": {"units": 10, "unit_mean_seconds": 1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no farm", []string{"simulate"}, 2, "--farm is required"},
		{"too many hosts", []string{"simulate", "--farm", seedFarmFile, "--hosts-used", "99"}, 2, "--hosts-used 99 must be in 0..8"},
		{"unknown strategy", []string{"simulate", "--farm", seedFarmFile, "--tune", "--strategy", "tpe"}, 2, `--strategy "tpe" isn't one of`},
		{"stray argument", []string{"simulate", "--farm", seedFarmFile, "make"}, 2, `takes no arguments, got "make"`},
		{"missing file", []string{"simulate", "--farm", "nope.json"}, 1, "nope.json"},
		{"bad field", []string{"simulate", "--farm", bad}, 1, "hosts[0].slots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.want)
			}
		})
	}
}

// TestBenchHarness runs the tuning-quality benchmark on a few farms: the
// scores must be consistent, and no strategy may recommend an N where
// builds fail. The full benchmark is `jtune simulate --bench`.
func TestBenchHarness(t *testing.T) {
	seed, err := model.LoadFarm(seedFarmFile)
	if err != nil {
		t.Fatal(err)
	}
	farms := benchFarms(seed, 4)
	if farms[0].name != "seed (6 containers)" || len(farms) != 4 {
		t.Fatalf("farms: %v", farms[0].name)
	}
	sums := bench(farms, tuner.Strategies, 8, 2)
	if len(sums) != len(tuner.Strategies) {
		t.Fatalf("%d summaries", len(sums))
	}
	for _, s := range sums {
		if s.runs != 8 || s.hitRate < 0 || s.hitRate > 1 || s.medianBuilds < 1 || s.medianBuilds > 8 || s.p90Builds < s.medianBuilds || s.meanCost < 1 {
			t.Errorf("%s: inconsistent summary %+v", s.strategy, s)
		}
		if s.failingRecs != 0 {
			t.Errorf("%s recommended a failing N %d times", s.strategy, s.failingRecs)
		}
	}
	var md bytes.Buffer
	if err := writeBench(&md, sums, 4, 2, 8); err != nil || strings.Count(md.String(), "\n| ") != len(sums)+1 {
		t.Errorf("markdown table:\n%s", md.String())
	}
}

// TestBayesOnSimulatedFarms tunes the seed farm and one random farm of
// each shape with fixed seeds: Bayesian search must land within 2% of the
// true best in most sessions, within its budget, and never on a failing N.
func TestBayesOnSimulatedFarms(t *testing.T) {
	seed, err := model.LoadFarm(seedFarmFile)
	if err != nil {
		t.Fatal(err)
	}
	farms := benchFarms(seed, 4) // the seed farm, then unimodal, plateau and wall
	hits, runs := 0, 0
	for _, bf := range farms {
		for s := uint64(1); s <= 4; s++ {
			r := benchOne(bf, tuner.Bayes, 8, s)
			runs++
			if r.hit {
				hits++
			}
			if r.failed || r.builds > 8 {
				t.Errorf("%s, seed %d: %+v", bf.name, s, r)
			}
		}
	}
	if rate := float64(hits) / float64(runs); rate < 0.9 { // the benchmark's 97%, less a miss at 16 sessions
		t.Errorf("bayes hit the best N in %d of %d sessions", hits, runs)
	}
}
