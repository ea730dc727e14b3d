package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/jtune/jtune/tuner"
)

const (
	// exampleSeedPath is the seed farm as users find it.
	exampleSeedPath = "../../examples/farms/seed.json"
	// seedStudyPath holds the times of the study the seed farm was
	// calibrated against.
	seedStudyPath = "testdata/seed-study.txt"
)

func loadSeed(t testing.TB) Farm {
	t.Helper()
	f, err := SeedFarm()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSeedFarmMatchesExample: the built-in seed farm and the one in
// examples/farms are one file, so they cannot drift apart.
func TestSeedFarmMatchesExample(t *testing.T) {
	example, err := os.ReadFile(exampleSeedPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(example, seedJSON) {
		t.Errorf("%s differs from the built-in farms/seed.json: copy one over the other", exampleSeedPath)
	}
	f, err := LoadFarm(exampleSeedPath)
	if err != nil {
		t.Fatal(err)
	}
	if g := loadSeed(t); !reflect.DeepEqual(f, g) {
		t.Errorf("LoadFarm(%s) and SeedFarm differ", exampleSeedPath)
	}
}

// studyRuns holds the `real` times of one benchmark table, by column.
type studyRuns struct {
	columns []string    // "RUN1" or "2/20" ...
	real    [][]float64 // one row per `real` line
}

// mean of column i over the table's rows.
func (r studyRuns) mean(i int) float64 {
	s := 0.0
	for _, row := range r.real {
		s += row[i]
	}
	return s / float64(len(r.real))
}

var (
	durationRE = regexp.MustCompile(`^(\d+)m([\d.]+)s$`)
	lxcRE      = regexp.MustCompile(`^(\d+)/(\d+)$`)
)

func parseStudyDuration(s string) (float64, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return 0, errors.New("bad duration " + s)
	}
	min, _ := strconv.ParseFloat(m[1], 64)
	sec, _ := strconv.ParseFloat(m[2], 64)
	return 60*min + sec, nil
}

// parseStudy reads every table of the seed study, keyed by its command
// ("make", "make -j3", `make -jN CC="distcc"`, ...).
func parseStudy(data []byte) (map[string]*studyRuns, error) {
	tables := map[string]*studyRuns{}
	var cur *studyRuns
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch {
		case fields[0] == "cmd:":
			cur = &studyRuns{}
			tables[strings.Join(fields[1:], " ")] = cur
		case cur == nil:
		case fields[0] == "RUN1" || fields[0] == "lxc/N":
			cur.columns = fields
			if fields[0] == "lxc/N" {
				cur.columns = fields[1:]
			}
		case fields[0] == "real":
			var row []float64
			for _, s := range fields[1:] {
				v, err := parseStudyDuration(s)
				if err != nil {
					return nil, err
				}
				row = append(row, v)
			}
			if len(row) != len(cur.columns) {
				return nil, errors.New("real row does not match its header: " + sc.Text())
			}
			cur.real = append(cur.real, row)
		}
	}
	return tables, sc.Err()
}

func readStudy(t *testing.T) map[string]*studyRuns {
	t.Helper()
	data, err := os.ReadFile(seedStudyPath)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := parseStudy(data)
	if err != nil {
		t.Fatal(err)
	}
	return tables
}

func fmtMinSec(s float64) string {
	m := math.Floor(s / 60)
	return strconv.Itoa(int(m)) + "m" + strconv.FormatFloat(s-60*m, 'f', 1, 64) + "s"
}

// TestCalibration is the promise the seed farm makes: it reproduces the
// study it was built from, so tuning it is tuning something real.
func TestCalibration(t *testing.T) {
	tables := readStudy(t)
	f := loadSeed(t)

	type row struct {
		name string
		farm Farm
		jobs int
		real float64
	}
	var rows []row
	for _, c := range []struct {
		cmd  string
		jobs int
	}{{"make", 1}, {"make -j3", 3}} {
		tab := tables[c.cmd]
		if tab == nil || len(tab.real) == 0 {
			t.Fatalf("study has no `real` times for %q", c.cmd)
		}
		sum := 0.0
		for i := range tab.columns {
			sum += tab.mean(i)
		}
		rows = append(rows, row{c.cmd, f.LocalOnly(), c.jobs, sum / float64(len(tab.columns))})
	}
	distcc := tables[`make -jN CC="distcc"`]
	if distcc == nil || len(distcc.columns) != 4 || len(distcc.real) == 0 {
		t.Fatalf("study's distcc table not found or malformed: %+v", distcc)
	}
	for i, col := range distcc.columns {
		m := lxcRE.FindStringSubmatch(col)
		if m == nil {
			t.Fatalf("bad lxc/N column %q", col)
		}
		lxc, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		if lxc > len(f.Hosts) {
			t.Fatalf("study uses %d containers, seed farm lists %d", lxc, len(f.Hosts))
		}
		rows = append(rows, row{"distcc lxc/N=" + col, f.WithHosts(lxc), n, distcc.mean(i)})
	}

	t.Logf("%-22s %10s %10s %7s", "study row", "real", "simulated", "error")
	for _, r := range rows {
		sim := r.farm.Simulate(r.jobs, 0, nil)
		rel := sim.Seconds/r.real - 1
		t.Logf("%-22s %10s %10s %+6.1f%%", r.name, fmtMinSec(r.real), fmtMinSec(sim.Seconds), 100*rel)
		if math.Abs(rel) > 0.10 {
			t.Errorf("%s at -j%d: simulated %.1fs, study %.1fs (%+.1f%%, limit 10%%)", r.name, r.jobs, sim.Seconds, r.real, 100*rel)
		}
		if sim.Failures != 0 {
			t.Errorf("%s: %d failures; the study reports none", r.name, sim.Failures)
		}
	}
}

// TestSeedOptimum: the study's author found N=40 best with six containers.
func TestSeedOptimum(t *testing.T) {
	f := loadSeed(t).WithHosts(6)
	n, best := f.Argmin(2, 80)
	t.Logf("6 containers: argmin N=%d at %.1fs (slot sum %d)", n, best.Seconds, f.SlotSum())
	if n < 36 || n > 46 {
		t.Errorf("argmin over N=2..80 is %d, want 36..46", n)
	}
	// The curve rises on both sides, as the master starts swapping.
	lo, hi := f.Simulate(2, 0, nil).Seconds, f.Simulate(80, 0, nil).Seconds
	if lo < 1.2*best.Seconds || hi < 1.2*best.Seconds {
		t.Errorf("curve not unimodal enough: T(2)=%.0f T(%d)=%.0f T(80)=%.0f", lo, n, best.Seconds, hi)
	}
}

func TestLocalOnlyMatchesArithmetic(t *testing.T) {
	f := loadSeed(t)
	l := f.LocalOnly()
	if l.Distributed() || l.SlotSum() != 0 {
		t.Fatalf("LocalOnly still distributes: %+v", l)
	}
	b := f.Build
	want := (b.OverheadSeconds + float64(b.Units)*b.UnitMeanSeconds + b.LinkSeconds) / f.Master.Speed
	got := l.Simulate(1, 0, nil)
	if math.Abs(got.Seconds-want) > 1e-6*want {
		t.Errorf("make -j1 = %.6f s, want the sum of all work %.6f s", got.Seconds, want)
	}
	if math.Abs(got.UserSeconds-want) > 1e-6*want {
		t.Errorf("user time at -j1 = %.3f, want %.3f", got.UserSeconds, want)
	}
	// Two cores with contention: the compile phase takes (1+c)/2 of the
	// serial time, apart from the last unit's tail.
	two := l.Simulate(2, 0, nil).Seconds
	ideal := (b.OverheadSeconds + b.LinkSeconds + float64(b.Units)*b.UnitMeanSeconds*(1+f.Master.Contention)/2) / f.Master.Speed
	largest := 0.0
	for _, w := range unitWork(b) {
		largest = max(largest, w)
	}
	if two < ideal-1e-6 || two > ideal+largest/f.Master.Speed {
		t.Errorf("make -j2 = %.1f s, want just above %.1f s", two, ideal)
	}
}

func TestSimulateDeterministic(t *testing.T) {
	f := loadSeed(t)
	for _, n := range []int{1, 7, 40, 120} {
		a := f.Simulate(n, 0.03, rand.New(rand.NewPCG(42, 7)))
		b := f.Simulate(n, 0.03, rand.New(rand.NewPCG(42, 7)))
		if !reflect.DeepEqual(a, b) {
			t.Errorf("N=%d: two runs with the same seed differ: %.6f vs %.6f", n, a.Seconds, b.Seconds)
		}
		c := f.Simulate(n, 0.03, rand.New(rand.NewPCG(43, 7)))
		if c.Seconds == a.Seconds {
			t.Errorf("N=%d: different seeds gave the same time", n)
		}
		z1, z2 := f.Simulate(n, 0, nil), f.Simulate(n, 0.03, nil)
		if z1.Seconds != z2.Seconds {
			t.Errorf("N=%d: nil rng must mean no noise", n)
		}
	}
}

func TestNoiseLevel(t *testing.T) {
	f := loadSeed(t)
	base := f.Simulate(40, 0, nil).Seconds
	for _, want := range []float64{0.01, 0.04} {
		rng := rand.New(rand.NewPCG(1, uint64(want*1000)))
		var xs []float64
		for range 200 {
			xs = append(xs, f.Simulate(40, want, rng).Seconds/base)
		}
		mean, sd := stat.MeanStdDev(xs, nil)
		t.Logf("noise %.2f: mean %.4f sd %.4f", want, mean, sd)
		if math.Abs(sd/want-1) > 0.3 {
			t.Errorf("noise %.2f: measured relative sd %.4f, not within 30%%", want, sd)
		}
		if math.Abs(mean-1) > 3*want/math.Sqrt(200)+1e-3 {
			t.Errorf("noise %.2f biases the mean: %.4f", want, mean)
		}
	}
	// A negative noise takes the farm's own.
	rng := rand.New(rand.NewPCG(5, 5))
	var xs []float64
	for range 200 {
		xs = append(xs, f.Simulate(40, -1, rng).Seconds/base)
	}
	if _, sd := stat.MeanStdDev(xs, nil); math.Abs(sd/f.Noise.RelativeSD-1) > 0.3 {
		t.Errorf("noise -1 should use noise.relative_sd=%.3f, measured %.4f", f.Noise.RelativeSD, sd)
	}
}

func TestUnitDone(t *testing.T) {
	f := loadSeed(t)
	r := f.Simulate(40, 0.02, rand.New(rand.NewPCG(3, 3)))
	if len(r.UnitDone) != f.Build.Units {
		t.Fatalf("%d completion times for %d units", len(r.UnitDone), f.Build.Units)
	}
	if !sort.Float64sAreSorted(r.UnitDone) {
		t.Error("UnitDone not ascending")
	}
	if r.UnitDone[0] < f.Build.OverheadSeconds || r.UnitDone[len(r.UnitDone)-1] >= r.Seconds {
		t.Errorf("UnitDone outside the compile phase: %.1f..%.1f of %.1f", r.UnitDone[0], r.UnitDone[len(r.UnitDone)-1], r.Seconds)
	}
	if r.UnitsDoneAt(0) != 0 || r.UnitsDoneAt(r.Seconds) != f.Build.Units {
		t.Error("UnitsDoneAt wrong at the ends")
	}
	mid := r.UnitDone[f.Build.Units/2]
	if got := r.UnitsDoneAt(mid); got < f.Build.Units/2+1 {
		t.Errorf("UnitsDoneAt(%.1f) = %d, want > %d", mid, got, f.Build.Units/2)
	}
	if r.MeanMasterLoad <= 0 || r.MeanMasterLoad > r.MaxMasterLoad {
		t.Errorf("master load mean %.1f, max %.1f", r.MeanMasterLoad, r.MaxMasterLoad)
	}
}

func TestFailures(t *testing.T) {
	f := loadSeed(t)
	for _, r := range f.Curve(1, 80) {
		if r.Failures != 0 {
			t.Fatalf("seed farm fails at -j%d, but its distccds accept all 4 slots", r.Jobs)
		}
	}
	// distccd --jobs 2 behind a /4 limit: jobs beyond 2 per host fail.
	g := f.WithHosts(6)
	for i := range g.Hosts {
		g.Hosts[i].MaxJobs = 2
	}
	accept := g.AcceptSum()
	if accept != 2+6*2 || g.SlotSum() != 2+6*4 {
		t.Fatalf("accept %d, slots %d", accept, g.SlotSum())
	}
	for _, n := range []int{1, 2, 4, 8, accept} {
		if r := g.Simulate(n, 0, nil); r.Failures != 0 {
			t.Errorf("-j%d is within what the farm accepts (%d) but had %d failures", n, accept, r.Failures)
		}
	}
	for _, n := range []int{g.SlotSum(), 2 * g.SlotSum()} {
		r := g.Simulate(n, 0, nil)
		if r.Failures == 0 {
			t.Errorf("-j%d exceeds what the farm accepts (%d) but had no failures", n, accept)
		}
		t.Logf("-j%d: %.1fs, %d failures", n, r.Seconds, r.Failures)
	}
	// Backoff changes how often, not whether: a backed-off host's share
	// lands on the others, which then overflow in turn.
	withBackoff := g.Simulate(2*g.SlotSum(), 0, nil)
	g.Distcc.BackoffSeconds = 0
	without := g.Simulate(2*g.SlotSum(), 0, nil)
	t.Logf("-j%d failures: %d with backoff, %d without", 2*g.SlotSum(), withBackoff.Failures, without.Failures)
	if without.Failures == 0 {
		t.Error("no failures without backoff")
	}
}

func TestValidateNamesFields(t *testing.T) {
	good := loadSeed(t)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		field string
		mut   func(*Farm)
	}{
		{"master.cores", func(f *Farm) { f.Master.Cores = -1 }},
		{"master.speed", func(f *Farm) { f.Master.Speed = -2 }},
		{"master.localhost_slots", func(f *Farm) { f.Master.LocalhostSlots = 51 }},
		{"master.swap_mb", func(f *Farm) { f.Master.SwapMB = -1 }},
		{"hosts[2].slots", func(f *Farm) { f.Hosts[2].Slots = 64 }},
		{"hosts[1].max_jobs", func(f *Farm) { f.Hosts[1].MaxJobs = -1 }},
		{"hosts[3].name", func(f *Farm) { f.Hosts[3].Name = f.Hosts[0].Name }},
		{"hosts[2].cores", func(f *Farm) { f.Hosts[2].Cores = 4 }}, // same machine as hosts[0]
		{"network.bandwidth_mbps", func(f *Farm) { f.Network.BandwidthMbps = math.NaN() }},
		{"build.units", func(f *Farm) { f.Build.Units = 0 }},
		{"build.unit_mean_seconds", func(f *Farm) { f.Build.UnitMeanSeconds = 0 }},
		{"build.preprocess_fraction", func(f *Farm) { f.Build.PreprocessFraction = 1 }},
		{"noise.relative_sd", func(f *Farm) { f.Noise.RelativeSD = -0.1 }},
	}
	for _, c := range cases {
		f := good.WithHosts(len(good.Hosts))
		c.mut(&f)
		err := f.Validate()
		if err == nil || !strings.Contains(err.Error(), c.field+":") {
			t.Errorf("%s: got error %v", c.field, err)
		}
	}
	if _, err := ParseFarm([]byte(`{"master":{"cores":2},"build":{"units":10,"unit_mean_seconds":1},"bild":{}}`)); err == nil || !strings.Contains(err.Error(), "bild") {
		t.Errorf("unknown field not reported: %v", err)
	}
	if _, err := ParseFarm([]byte(`{"build":{"units":10,"unit_mean_seconds":1,"preprocess_fraction":2}}`)); err == nil || !strings.Contains(err.Error(), "build.preprocess_fraction") {
		t.Errorf("ParseFarm does not validate: %v", err)
	}
	if _, err := LoadFarm("testdata/no-such-farm.json"); err == nil {
		t.Error("LoadFarm of a missing file succeeded")
	}
}

func TestParseDefaults(t *testing.T) {
	f, err := ParseFarm([]byte(`{"hosts":[{"name":"a","cores":8}],"build":{"units":100,"unit_mean_seconds":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	h := f.Hosts[0]
	if f.Master.Cores != 1 || f.Master.Speed != 1 || h.Slots != 4 || h.MaxJobs != 10 || h.Speed != 1 || f.Distcc.PauseMS != 1000 {
		t.Errorf("defaults not applied: %+v %+v", f.Master, h)
	}
	if r := f.Simulate(8, 0, nil); r.Seconds <= 0 || r.Failures != 0 {
		t.Errorf("minimal farm: %+v", r)
	}
	// Swap is half the memory unless given; without a memory limit there
	// is none to speak of.
	if f.Master.SwapMB != 0 {
		t.Errorf("swap_mb %v without memory_mb", f.Master.SwapMB)
	}
	for _, tc := range []struct {
		json string
		want float64
	}{{`{"memory_mb": 2000}`, 1000}, {`{"memory_mb": 2000, "swap_mb": 300}`, 300}} {
		g, err := ParseFarm([]byte(`{"master":` + tc.json + `,"build":{"units":100,"unit_mean_seconds":1}}`))
		if err != nil || g.Master.SwapMB != tc.want {
			t.Errorf("%s: swap_mb %v (%v), want %v", tc.json, g.Master.SwapMB, err, tc.want)
		}
	}
}

func TestSeedJSONRoundTrip(t *testing.T) {
	f, err := ParseFarm(seedJSON)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseFarm(out)
	if err != nil {
		t.Fatalf("re-parsing marshalled farm: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(f, g) {
		t.Errorf("round trip changed the farm:\n%+v\n%+v", f, g)
	}
	if f.Simulate(40, 0, nil).Seconds != g.Simulate(40, 0, nil).Seconds {
		t.Error("round trip changed the simulation")
	}
	// The seed describes the study's hardware.
	if f.Master.Cores != 2 || f.SlotSum() != 34 || f.TotalCores() != 6 || f.AcceptSum() != 34 {
		t.Errorf("seed farm: %s, total cores %d", f, f.TotalCores())
	}
	if two := f.WithHosts(2); two.Hosts[0].Machine == two.Hosts[1].Machine {
		t.Error("the first two containers should sit on different slaves")
	}
}

// coarseCurve samples N on a grid fine enough to see a shape, then
// refines around the best point, which keeps 64-host farms fast.
func coarseCurve(f Farm, hi int) map[int]Result {
	step := max(1, hi/40)
	out := map[int]Result{}
	best := 1
	for n := 1; ; n += step {
		n = min(n, hi)
		out[n] = f.Simulate(n, 0, nil)
		if out[n].Seconds < out[best].Seconds {
			best = n
		}
		if n == hi {
			break
		}
	}
	for n := max(1, best-step); n <= min(hi, best+step); n++ {
		if _, ok := out[n]; !ok {
			out[n] = f.Simulate(n, 0, nil)
		}
	}
	return out
}

func argminOf(c map[int]Result) (int, float64) {
	bn, bt := 0, math.Inf(1)
	for n, r := range c {
		if r.Seconds < bt || r.Seconds == bt && n < bn {
			bn, bt = n, r.Seconds
		}
	}
	return bn, bt
}

func TestRandomFarmShapes(t *testing.T) {
	hostCounts := []int{1, 3, 8, 24, 64}
	if testing.Short() {
		hostCounts = []int{1, 3, 8}
	}
	for _, kind := range Kinds {
		for _, hosts := range hostCounts {
			for seed := uint64(1); seed <= 2; seed++ {
				f := RandomFarm(rand.New(rand.NewPCG(seed, uint64(hosts))), hosts, kind)
				if err := f.Validate(); err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				if len(f.Hosts) != hosts {
					t.Fatalf("%s has %d hosts", f.Name, len(f.Hosts))
				}
				again := RandomFarm(rand.New(rand.NewPCG(seed, uint64(hosts))), hosts, kind)
				if !reflect.DeepEqual(f, again) {
					t.Fatalf("%s: RandomFarm not reproducible", f.Name)
				}
				checkShape(t, f, kind, seed)
			}
		}
	}
}

func checkShape(t *testing.T, f Farm, kind string, seed uint64) {
	t.Helper()
	hi := 2*f.SlotSum() + 10
	c := coarseCurve(f, hi)
	opt, tmin := argminOf(c)
	name := f.Name + "/" + strconv.FormatUint(seed, 10)
	t.Logf("%-22s slots %4d accept %4d: opt N=%4d T=%7.1fs, T(1)/T=%.2f T(%d)/T=%.2f",
		name, f.SlotSum(), f.AcceptSum(), opt, tmin, c[1].Seconds/tmin, hi, c[hi].Seconds/tmin)
	if c[1].Seconds < 1.2*tmin {
		t.Errorf("%s: -j1 (%.0fs) is hardly slower than the optimum (%.0fs)", name, c[1].Seconds, tmin)
	}
	var ns []int
	for n := range c {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	switch kind {
	case KindUnimodal:
		if c[hi].Seconds < 1.05*tmin {
			t.Errorf("%s: no rise after the optimum: T(%d)=%.1f vs %.1f", name, hi, c[hi].Seconds, tmin)
		}
		if opt == 1 || opt == hi {
			t.Errorf("%s: optimum at the edge, N=%d", name, opt)
		}
	case KindPlateau:
		// Flat within 2% of the optimum over a span of at least an eighth
		// of the slot sum, and no rise at the end of the range.
		span, start := 0, -1
		for _, n := range ns {
			if c[n].Seconds > 1.02*tmin {
				start = -1
				continue
			}
			if start < 0 {
				start = n
			}
			span = max(span, n-start)
		}
		if span < max(4, f.SlotSum()/8) {
			t.Errorf("%s: within 2%% of the optimum over only %d consecutive N", name, span)
		}
		if c[hi].Seconds > 1.05*tmin {
			t.Errorf("%s: plateau rises to %.1f at N=%d (min %.1f)", name, c[hi].Seconds, hi, tmin)
		}
	case KindWall:
		first := -1
		for _, n := range ns {
			if c[n].Failures > 0 {
				first = n
				break
			}
		}
		if first < 0 {
			t.Fatalf("%s: no failures up to N=%d", name, hi)
		}
		// The first failures come right after the optimum, and past them
		// the farm is clearly worse.
		near := max(4, opt/10)
		if c[opt].Failures > max(2, f.Build.Units/500) || first > opt+near || first < opt-near {
			t.Errorf("%s: optimum N=%d (%d failures), failures start at N=%d", name, opt, c[opt].Failures, first)
		}
		past := f.Simulate(opt+2*near, 0, nil)
		if past.Failures == 0 || past.Seconds < 1.05*tmin {
			t.Errorf("%s: no wall: N=%d gives %.1fs with %d failures (optimum %.1fs)", name, opt+2*near, past.Seconds, past.Failures, tmin)
		}
	}
}

func TestCurveAndArgmin(t *testing.T) {
	f := loadSeed(t).WithHosts(2)
	c := f.Curve(5, 9)
	if len(c) != 5 || c[0].Jobs != 5 || c[4].Jobs != 9 {
		t.Fatalf("Curve(5, 9) gave %d points", len(c))
	}
	for _, r := range c {
		if r.Seconds != f.Simulate(r.Jobs, 0, nil).Seconds {
			t.Errorf("Curve differs from Simulate at N=%d", r.Jobs)
		}
	}
	if f.Curve(9, 5) != nil {
		t.Error("empty range should give nil")
	}
	// More jobs than units is fine.
	small := f
	small.Build.Units = 3
	if r := small.Simulate(50, 0, nil); len(r.UnitDone) != 3 || r.Seconds <= 0 {
		t.Errorf("3 units at -j50: %+v", r)
	}
}

// TestSimulateConcurrent: benchmarks run farms in parallel, and the unit
// times are cached across calls.
func TestSimulateConcurrent(t *testing.T) {
	f := loadSeed(t)
	want := f.Simulate(30, 0, nil).Seconds
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			g := f
			g.Build.Seed = uint64(i % 3) // some shared, some new cache entries
			g.Simulate(30, 0, nil)
			if got := f.Simulate(30, 0, nil).Seconds; got != want {
				errs <- errors.New("concurrent Simulate changed the result")
				return
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestRandomFarmUnknownKind(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("RandomFarm accepted kind \"plateu\"")
		}
	}()
	RandomFarm(rand.New(rand.NewPCG(1, 1)), 4, "plateu")
}

// BenchmarkSimulate times one build of the seed farm as in the study's
// N=40 run (six containers), and the full farm at N=40.
func BenchmarkSimulate(b *testing.B) {
	f := loadSeed(b)
	for _, c := range []struct {
		name string
		farm Farm
	}{{"seed-lxc6-j40", f.WithHosts(6)}, {"seed-lxc8-j40", f}} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			b.ReportAllocs()
			for b.Loop() {
				c.farm.Simulate(40, 0.02, rng)
			}
		})
	}
}

func TestSwapOnTheMaster(t *testing.T) {
	// A local-only build whose jobs hold 100 MB each on a master with
	// 1,000 MB: up to -j10 nothing swaps, and at -jN the master is short
	// by (N-10) x 100 MB from the moment make starts N jobs.
	f := loadSeed(t).LocalOnly()
	f.Build.UnitMemoryMB = 100
	f.Master.MemoryMB = 1000
	f.Master.SwapSlowdown = 1
	for _, tc := range []struct {
		jobs int
		want float64
	}{{4, 0}, {10, 0}, {11, 100}, {24, 1400}} {
		r := f.Simulate(tc.jobs, 0, nil)
		if math.Abs(r.SwapMB-tc.want) > 1e-9 {
			t.Errorf("-j%d: SwapMB = %g, want %g", tc.jobs, r.SwapMB, tc.want)
		}
		head := f.Build.OverheadSeconds / f.Master.Speed
		if tc.want > 0 && (r.SwapFromSeconds < head || r.SwapFromSeconds > head+1) {
			t.Errorf("-j%d: swapping from %.2f s, want just after the %.2f s before compiles start", tc.jobs, r.SwapFromSeconds, head)
		}
	}
	if slow, fast := f.Simulate(24, 0, nil).Seconds, f.Simulate(10, 0, nil).Seconds; slow <= fast {
		t.Errorf("-j24 swapping took %.1f s, not slower than -j10's %.1f s", slow, fast)
	}
}

func TestSearchRange(t *testing.T) {
	f := loadSeed(t).WithHosts(6) // a 2-core master and two 2-core slaves
	n0, r := f.SearchRange()
	if n0 != 13 || r != (tuner.Range{Min: 2, Max: 52}) {
		t.Errorf("SearchRange = %d, %v; want 13 and -j2..-j52 (the seed study's formula)", n0, r)
	}
}
