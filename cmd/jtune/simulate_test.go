package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jtune/jtune/model/sim"
	"github.com/jtune/jtune/tuner"
)

// seedFarmFile is the seed farm as users find it; --farm seed is the same
// farm, built in.
const seedFarmFile = "../../examples/farms/seed.json"

// simulate runs jtune simulate in process and returns its stdout.
func simulate(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(append([]string{"simulate"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("jtune simulate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// TestSimulateCurve compares the predicted curve with its golden file; a
// path to the seed farm gives the same as the built-in one. Run go test
// -update to accept a change.
func TestSimulateCurve(t *testing.T) {
	args := []string{"--hosts-used", "6", "--min", "36", "--max", "44"}
	out := simulate(t, append([]string{"--farm", "seed"}, args...)...)
	checkGolden(t, "simulate-curve.stdout", out)
	if byPath := simulate(t, append([]string{"--farm", seedFarmFile}, args...)...); !bytes.Equal(byPath, out) {
		t.Errorf("--farm %s differs from --farm seed:\n%s\n%s", seedFarmFile, byPath, out)
	}
	// The summary names the simulator's fastest N.
	f, err := sim.SeedFarm()
	if err != nil {
		t.Fatal(err)
	}
	best, _ := f.WithHosts(6).Argmin(36, 44)
	if !bytes.Contains(out, []byte("fastest predicted: -j"+strconv.Itoa(best)+" (")) {
		t.Errorf("summary does not name the fastest N %d:\n%s", best, out)
	}
}

// TestSimulateTune compares a seeded tuning session on the simulated seed
// farm, with each strategy, with its golden file.
func TestSimulateTune(t *testing.T) {
	for _, strategy := range tuner.Strategies {
		t.Run(string(strategy), func(t *testing.T) {
			out := simulate(t, "--farm", "seed", "--hosts-used", "6", "--tune", "--strategy", string(strategy), "--seed", "7")
			checkGolden(t, "simulate-tune-"+string(strategy)+".stdout", out)
		})
	}
}

// TestSimulateBench runs the whole benchmark with one seed, from a
// directory without the repository's files around it, and compares its
// table with the golden file. It takes about half a minute on two cores.
func TestSimulateBench(t *testing.T) {
	if testing.Short() {
		t.Skip("the benchmark takes about half a minute; skipped with -short")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	out := simulate(t, "--bench", "--seeds", "1")
	t.Chdir(wd)
	checkGolden(t, "simulate-bench.stdout", out)
}

// TestSimulateOnline compares seeded online sessions on the simulated
// seed farm with their golden files: one that finds a good N, and one on
// a master with too little memory, whose build breaks when the search
// raises N. Run go test -update to accept a change.
func TestSimulateOnline(t *testing.T) {
	out := simulate(t, "--farm", "seed", "--hosts-used", "6", "--online", "--seed", "3", "--noise", "0.04")
	checkGolden(t, "simulate-online.stdout", out)
	for _, want := range []string{"best fixed N: -j", "recommended: -j", "builds at the best fixed N", "(within 3%)"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}

	// 300 MB for jobs of 45 MB and 150 MB of swap: more than 10 jobs on
	// the master break the build. Online tuning ramps N from the bottom
	// of the range, within what the master's memory holds: the build
	// must not break.
	f, err := sim.SeedFarm()
	if err != nil {
		t.Fatal(err)
	}
	f.Master.MemoryMB, f.Master.SwapMB = 300, 150
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(t.TempDir(), "small-master.json")
	if err := os.WriteFile(small, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out = simulate(t, "--farm", small, "--hosts-used", "6", "--online", "--seed", "3")
	checkGolden(t, "simulate-online-small-master.stdout", out)
	if bytes.Contains(out, []byte("the build BROKE at")) {
		t.Errorf("online tuning broke the build:\n%s", out)
	}
}

// TestSimulateBenchOneStrategyAtOneNoise: --strategy limits the
// benchmark to that strategy and --noise gives every farm that noise,
// which the header says.
func TestSimulateBenchOneStrategyAtOneNoise(t *testing.T) {
	if testing.Short() {
		t.Skip("a benchmark run; skipped with -short")
	}
	out := string(simulate(t, "--bench", "--strategy", "golden", "--noise", "0.07", "--seeds", "1", "--budget", "4"))
	if !strings.Contains(out, "budget 4 builds, noise 7.0% on every farm;") || strings.Count(out, "\n| ") != 2 || !strings.Contains(out, "\n| golden |") {
		t.Errorf("not one golden row at 7%% noise:\n%s", out)
	}
}

// TestSimulateOnlineBench runs the online benchmark with one seed and
// compares its tables with the golden file. With TestSimulateBench in the
// same run it shares the farms' true curves and takes about 40 s more on
// two cores; alone, about 80 s.
func TestSimulateOnlineBench(t *testing.T) {
	if testing.Short() {
		t.Skip("the online benchmark takes more than half a minute; skipped with -short")
	}
	out := simulate(t, "--bench", "--online", "--seeds", "1")
	checkGolden(t, "simulate-online-bench.stdout", out)
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
		{"too many hosts", []string{"simulate", "--farm", "seed", "--hosts-used", "99"}, 2, "--hosts-used 99 must be in 0..8"},
		{"unknown strategy", []string{"simulate", "--farm", seedFarmFile, "--tune", "--strategy", "tpe"}, 2, `--strategy "tpe" isn't one of`},
		{"stray argument", []string{"simulate", "--farm", "seed", "make"}, 2, `takes no arguments, got "make"`},
		{"online and tune", []string{"simulate", "--farm", "seed", "--online", "--tune"}, 2, "--online and --tune"},
		{"online at one N", []string{"simulate", "--farm", "seed", "--online", "--jobs", "20"}, 2, "not --jobs"},
		{"missing file", []string{"simulate", "--farm", "nope.json"}, 1, "nope.json"},
		{"a file named seed is ./seed", []string{"simulate", "--farm", "./seed"}, 1, "./seed"},
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
