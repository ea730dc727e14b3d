package ui

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/jtune/jtune/probe"
	"github.com/jtune/jtune/tuner"
)

func okTrial(jobs int, secs float64, lines int) tuner.Trial {
	return tuner.Trial{Jobs: jobs, Status: tuner.StatusOK, Measurement: tuner.Measurement{WallSeconds: secs, CompileLines: lines}}
}

func TestExpect(t *testing.T) {
	curve := func(n int) float64 { return 60 + 2400/float64(n) + 0.5*float64(n) }
	tests := []struct {
		name     string
		trials   []tuner.Trial
		jobs     int
		refLines int
		want     expectation
		within   float64 // relative tolerance on seconds, for the model
	}{
		{"first build, nothing known", nil, 13, 0, expectation{}, 0},
		// An earlier session of the same command counted its lines.
		{"first build after an earlier session", nil, 13, 1800, expectation{lines: 1800}, 0},
		{"the nearest N by ratio", []tuner.Trial{okTrial(13, 400, 1790), okTrial(40, 300, 1800)}, 30,
			0, expectation{seconds: 300, from: "-j40", lines: 1800}, 0},
		{"repeats are averaged", []tuner.Trial{okTrial(13, 400, 0), okTrial(13, 420, 0)}, 7,
			0, expectation{seconds: 410, from: "-j13"}, 0},
		// Slow builds cut short and failures are not times.
		{"only clean builds count", []tuner.Trial{{Jobs: 20, Status: tuner.StatusAborted, Measurement: tuner.Measurement{WallSeconds: 90}},
			{Jobs: 40, Status: tuner.StatusFailed}}, 26, 0, expectation{}, 0},
		{"the model, from three clean builds", []tuner.Trial{okTrial(7, curve(7), 0), okTrial(13, curve(13), 0), okTrial(26, curve(26), 0)}, 20,
			0, expectation{seconds: curve(20), from: "the model"}, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a *tuner.Analysis
			if tt.trials != nil {
				a = tuner.Analyze(tt.trials, tuner.Space{})
			}
			got := expect(a, tt.jobs, tt.refLines)
			secsOK := got.seconds == tt.want.seconds
			if tt.within > 0 {
				secsOK = got.seconds > 0 && got.seconds/tt.want.seconds-1 < tt.within && 1-got.seconds/tt.want.seconds < tt.within
			}
			if !secsOK || got.from != tt.want.from || got.lines != tt.want.lines {
				t.Errorf("expect = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTimeText(t *testing.T) {
	at := func(elapsed time.Duration, lines int) probe.BuildStatus {
		return probe.BuildStatus{Elapsed: elapsed, CompileLines: lines}
	}
	tests := []struct {
		name     string
		exp      expectation
		st       probe.BuildStatus
		want     string
		wantOver bool
		frac     float64
		known    bool
	}{
		{"spinner: only the clock", expectation{}, at(75*time.Second, 10), "1m15s", false, 0, false},
		{"against the expected time", expectation{seconds: 125}, at(72*time.Second, 0), "1m12s / 2m05s  ETA 53s", false, 72.0 / 125, true},
		{"running over", expectation{seconds: 60}, at(75*time.Second, 0), "1m15s / 1m00s  15s over", true, 1.25, true},
		// A quarter of the lines in 1m: three more minutes to go.
		{"by compile lines", expectation{lines: 400}, at(time.Minute, 100), "1m00s  100/400 compile lines  ETA 3m00s", false, 0.25, true},
		{"too few lines to tell", expectation{lines: 400}, at(2*time.Second, 2), "2s  2/400 compile lines", false, 2.0 / 400, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, over := tt.exp.timeText(tt.st)
			if got != tt.want || over != tt.wantOver {
				t.Errorf("timeText = %q, %v; want %q, %v", got, over, tt.want, tt.wantOver)
			}
			if f, known := tt.exp.fraction(tt.st); known != tt.known || (known && f-tt.frac > 1e-9 || tt.frac-f > 1e-9) {
				t.Errorf("fraction = %v, %v; want %v, %v", f, known, tt.frac, tt.known)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 7 * time.Second: "7s", 125 * time.Second: "2m05s", 3720 * time.Second: "1h02m", 1499 * time.Millisecond: "1s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// syncBuffer is a bytes.Buffer the live bar's goroutine may write while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLiveBar draws the live status area into a buffer that mpb treats as
// a terminal, and checks that it shows the build and goes away for the
// summary line.
func TestLiveBar(t *testing.T) {
	// ForceTTY alone does not turn auto refresh on, whatever its doc says.
	liveOptions = []mpb.ContainerOption{mpb.ForceTTY(), mpb.WithAutoRefresh(), mpb.WithWidth(120)}
	defer func() { liveOptions = nil }()
	for _, known := range []bool{true, false} { // a bar, then a spinner
		var buf syncBuffer
		p := &Console{w: &buf, live: true, color: true, plainEvery: time.Minute}
		p.good, p.bad, p.warm = newColor(true), newColor(true), newColor(true)
		p.faint, p.bold = newColor(true), newColor(true)
		var trials []tuner.Trial
		if known {
			trials = []tuner.Trial{okTrial(4, 2, 40)}
		}
		p.BuildStart(8, 2, 5, tuner.Analyze(trials, tuner.Space{}))
		temp := 71.0
		for i := 1; i <= 3; i++ {
			p.Status(probe.BuildStatus{Jobs: 8, Elapsed: time.Duration(i) * 100 * time.Millisecond, CompileLines: 10 * i,
				DistccFailures: 2, Load1: 3.41, TempC: temp, HasTemp: true})
			time.Sleep(150 * time.Millisecond)
		}
		p.BuildDone(append(trials, okTrial(8, 0.5, 30)))
		out := buf.String()
		for _, want := range []string{"-j8", "30 compile lines · 2 distcc failures · load 3.41 · 71 °C", "\x1b[", "ok\x1b[m in 0.5 s"} {
			if !strings.Contains(out, want) {
				t.Errorf("known=%v: live output lacks %q:\n%q", known, want, out)
			}
		}
		if known && !strings.Contains(out, "/ 2s  ETA") {
			t.Errorf("no expected time and ETA:\n%q", out)
		}
		if !strings.HasSuffix(out, "30 compile lines\n") {
			t.Errorf("the summary is not the last line:\n%q", out)
		}
	}
}

// TestPlainProgress is what a log gets: no bar, a status line every
// plainEvery of build time, and no escape codes.
func TestPlainProgress(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, false, false)
	p.plainEvery = time.Second
	p.BuildStart(8, 2, 5, tuner.Analyze([]tuner.Trial{okTrial(4, 90, 0)}, tuner.Space{}))
	for _, s := range []float64{0.5, 1, 1.5, 2.2} {
		p.Status(probe.BuildStatus{Jobs: 8, Elapsed: time.Duration(s * float64(time.Second)), CompileLines: 12, Load1: 1.5})
	}
	p.BuildDone([]tuner.Trial{okTrial(4, 90, 0), okTrial(8, 60, 0)})
	want := "jtune: build 2/5 at -j8, expected 1m30s (from -j4) ...\n" +
		"jtune:   -j8 running for 1s of about 1m30s, 12 compile lines, 0 distcc failures, load 1.50\n" +
		"jtune:   -j8 running for 2s of about 1m30s, 12 compile lines, 0 distcc failures, load 1.50\n" +
		"jtune:   -j8 ok in 60.0 s, 0 distcc failures, max load 0.00, max temp -\n"
	if buf.String() != want {
		t.Errorf("plain progress:\n%s\nwant:\n%s", buf.String(), want)
	}
	quiet := New(&buf, true, false)
	buf.Reset()
	quiet.BuildStart(8, 2, 5, nil)
	quiet.Status(probe.BuildStatus{Elapsed: time.Hour})
	quiet.BuildDone([]tuner.Trial{okTrial(8, 60, 0)})
	if buf.Len() > 0 {
		t.Errorf("--quiet wrote %q", buf.String())
	}
}

func TestHasWidthNeedsASizedTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if hasWidth(w) {
		t.Error("a pipe has a width")
	}
	if hasWidth(&bytes.Buffer{}) {
		t.Error("a buffer has a width")
	}
	if p := New(w, false, false); p.live || p.color {
		t.Errorf("progress on a pipe: live %v, colour %v; want neither", p.live, p.color)
	}
}
