package probe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jtune/jtune/probe/jobserver"
	"github.com/jtune/jtune/tuner"
)

// needMake returns a GNU make whose jobserver form is form, from the
// programs named, or skips the test; under CI=true (the project's CI
// convention, as in probe/jobserver's tests) it fails instead.
func needMake(t *testing.T, form jobserver.Form, names ...string) jobserver.Client {
	t.Helper()
	var seen []string
	for _, name := range names {
		path, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		c, err := jobserver.DetectMake(path)
		if err == nil && c.Form() == form {
			return c
		}
		seen = append(seen, fmt.Sprintf("%s is %v", path, c.Version))
	}
	msg := fmt.Sprintf("needs a GNU make with the %v jobserver as %s in PATH (found: %s); .ci/newer-tools.sh installs make 4.4",
		form, strings.Join(names, " or "), strings.Join(seen, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true makes a missing prerequisite a failure")
	}
	t.Skip(msg)
	return jobserver.Client{}
}

func needMake43(t *testing.T) jobserver.Client { return needMake(t, jobserver.Pipe, "make") }
func needMake44(t *testing.T) jobserver.Client {
	return needMake(t, jobserver.Fifo, "make-4.4", "make")
}

// timedMakefile writes a Makefile of n targets t1…tn into dir. Each
// echoes a compile line, as make echoes "gcc -c", shows itself as the
// file run/NAME while it runs, and takes seconds. extra is added to the
// Makefile (more targets, which "all" does not build unless listed in
// more).
func timedMakefile(t *testing.T, dir string, n int, seconds float64, more, extra string) {
	t.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("t%d", i+1)
	}
	all := strings.Join(names, " ")
	text := fmt.Sprintf("all: %s %s\n%s:\n\t@echo \"gcc -c $@.c -o $@.o\"; touch run/$@; sleep %g; rm -f run/$@\n%s",
		all, more, all, seconds, extra)
	must(t, os.MkdirAll(filepath.Join(dir, "run"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "Makefile"), []byte(text), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// liveRun watches a Live build: a goroutine counts the recipes running
// (the files in run/) every few milliseconds, keeping the most per phase
// of the test, and another advances the build and keeps its counters.
type liveRun struct {
	t    *testing.T
	dir  string
	live *Live

	mu       sync.Mutex
	phase    string
	most     map[string]int
	counters []tuner.Counters
	advErr   error
	stop     chan struct{}
	polled   sync.WaitGroup
}

// liveTick is how often the tests' builds are advanced.
const liveTick = 50 * time.Millisecond

func startLive(t *testing.T, ctx context.Context, r *Runner, req LiveRequest) *liveRun {
	t.Helper()
	l, err := r.StartLive(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	lr := &liveRun{t: t, dir: r.Dir, live: l, phase: "start", most: map[string]int{}, stop: make(chan struct{})}
	t.Cleanup(func() {
		l.Stop()
		_, _ = l.Wait()
	})
	lr.polled.Go(func() {
		for {
			// A count is the phase's only if the phase did not change
			// while it was taken.
			before := lr.currentPhase()
			n := lr.running()
			lr.mu.Lock()
			if lr.phase == before {
				lr.most[lr.phase] = max(lr.most[lr.phase], n)
			}
			lr.mu.Unlock()
			select {
			case <-lr.stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
		}
	})
	lr.polled.Go(func() {
		for {
			c, err := l.Advance(context.Background(), liveTick)
			lr.mu.Lock()
			lr.counters = append(lr.counters, c)
			lr.advErr = errors.Join(lr.advErr, err)
			lr.mu.Unlock()
			if c.Done || err != nil {
				return
			}
		}
	})
	return lr
}

// running counts the recipes running now.
func (lr *liveRun) running() int {
	ents, err := os.ReadDir(filepath.Join(lr.dir, "run"))
	if err != nil {
		return 0
	}
	return len(ents)
}

func (lr *liveRun) currentPhase() string {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return lr.phase
}

func (lr *liveRun) setPhase(p string) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	lr.phase = p
}

func (lr *liveRun) mostIn(p string) int {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return lr.most[p]
}

// waitFor polls cond for up to 20 s, failing with the build's state.
func (lr *liveRun) waitFor(what string, cond func() bool) {
	lr.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			lr.t.Fatalf("no %s within 20 s: %d running, pool jobs %d tokens %d owed %d", what, lr.running(),
				lr.live.srv.Jobs(), lr.live.srv.Tokens(), lr.live.srv.Owed())
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// wait waits for the end of the build and of both goroutines.
func (lr *liveRun) wait() LiveResult {
	lr.t.Helper()
	res, err := lr.live.Wait()
	if err != nil {
		lr.t.Fatal(err)
	}
	close(lr.stop)
	lr.polled.Wait()
	if lr.advErr != nil {
		lr.t.Errorf("Advance: %v", lr.advErr)
	}
	return res
}

// checkCounters checks that the counters never go back and end as the
// result says.
func (lr *liveRun) checkCounters(res LiveResult) {
	lr.t.Helper()
	cs := lr.counters
	for i := 1; i < len(cs); i++ {
		a, b := cs[i-1], cs[i]
		if b.Seconds < a.Seconds || b.Completed < a.Completed || b.Failures < a.Failures {
			lr.t.Errorf("counters went back: %+v then %+v", a, b)
		}
	}
	if last := cs[len(cs)-1]; !last.Done || last != res.Final {
		lr.t.Errorf("the last counters %+v are not the result's %+v", last, res.Final)
	}
}

// checkBalanced checks that every token came back.
func checkBalanced(t *testing.T, l *Live, res LiveResult) {
	t.Helper()
	if res.LostTokens != 0 || l.srv.Tokens() != 0 {
		t.Errorf("%d tokens lost (%d left in circulation); warnings %+v", res.LostTokens, l.srv.Tokens(), res.Measurement.Warnings)
	}
	if slices.ContainsFunc(res.Measurement.Warnings, func(w tuner.Warning) bool { return w.Kind == WarnTokensLost }) {
		t.Errorf("a token warning for a balanced account: %+v", res.Measurement.Warnings)
	}
}

// TestLiveFollowsN runs a real make on timed targets under jtune's
// jobserver and moves N from 2 to 5, down to 1, then to 8: the recipes
// running at once follow, the counters never go back and end with every
// compile, and every token comes back.
func TestLiveFollowsN(t *testing.T) {
	for _, tc := range []struct {
		name string
		find func(*testing.T) jobserver.Client
		form jobserver.Form
	}{{"make-4.3/pipe", needMake43, jobserver.Pipe}, {"make-4.4/fifo", needMake44, jobserver.Fifo}} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.find(t)
			dir := t.TempDir()
			const targets = 90
			timedMakefile(t, dir, targets, 0.15, "", "")
			r := &Runner{Command: []string{c.Path}, Dir: dir, SampleInterval: 100 * time.Millisecond, KillGrace: 500 * time.Millisecond}
			plan, err := CheckOnline(r.Command, nil)
			if err != nil || plan.Form != tc.form {
				t.Fatalf("CheckOnline = %v, %v; want the %v form", plan, err, tc.form)
			}
			t.Log(plan)
			start := time.Now()
			lr := startLive(t, context.Background(), r, LiveRequest{Jobs: 2, Plan: &plan})
			lr.waitFor("2 recipes running", func() bool { return lr.running() == 2 })
			lr.setPhase("2")
			time.Sleep(500 * time.Millisecond)

			lr.setPhase("raising to 5") // before the change, so that what follows it counts there
			must(t, lr.live.SetJobs(5))
			lr.waitFor("5 recipes running", func() bool { return lr.running() == 5 })
			lr.setPhase("5")
			time.Sleep(500 * time.Millisecond)

			lr.setPhase("lowering to 1") // before the change, so that what follows it counts there
			must(t, lr.live.SetJobs(1))
			lr.waitFor("the tokens back", func() bool { return lr.live.srv.Owed() == 0 })
			lr.setPhase("1")
			time.Sleep(500 * time.Millisecond)

			lr.setPhase("8") // before the change, so that what follows it counts there
			left := targets - lr.live.out.compileLines()
			must(t, lr.live.SetJobs(8))
			res := lr.wait()
			t.Logf("%s: most recipes at once: %d at N=2, %d at N=5, %d while lowering, %d at N=1, %d at N=8 (%d targets left); %d readings, build %.2f s (test %v)",
				tc.name, lr.mostIn("2"), lr.mostIn("5"), lr.mostIn("lowering to 1"), lr.mostIn("1"), lr.mostIn("8"), left,
				len(lr.counters), res.Measurement.WallSeconds, time.Since(start).Round(time.Millisecond))
			for phase, want := range map[string]int{"2": 2, "raising to 5": 5, "5": 5, "lowering to 1": 5, "1": 1, "8": 8} {
				if got := lr.mostIn(phase); got > want {
					t.Errorf("phase %s: %d recipes at once, over %d", phase, got, want)
				}
			}
			// With two rounds of targets left or more, 8 start at once;
			// the lowering, whose length depends on the races for the
			// tokens, decides how many are left.
			if got := lr.mostIn("8"); left >= 16 && got < 6 {
				t.Errorf("phase 8: at most %d recipes at once with %d targets left, want 6 to 8", got, left)
			}
			if res.Final.ExitCode != 0 || res.Final.Completed != targets || res.Measurement.CompileLines != targets {
				t.Errorf("final %+v, %d compile lines; want exit 0 and %d completed", res.Final, res.Measurement.CompileLines, targets)
			}
			if !slices.ContainsFunc(lr.counters, func(c tuner.Counters) bool { return c.Saturated && c.InFlight >= 5 }) {
				t.Errorf("no reading saw 5 busy slots, saturated")
			}
			lr.checkCounters(res)
			checkBalanced(t, lr.live, res)
		})
	}
}

// TestLiveFailingTarget: a target fails, make stops, and its exit code is
// the build's; every token comes back.
func TestLiveFailingTarget(t *testing.T) {
	c := needMake44(t)
	dir := t.TempDir()
	timedMakefile(t, dir, 6, 0.1, "bad", "bad:\n\t@echo \"gcc -c bad.c\"; exit 3\n")
	r := &Runner{Command: []string{c.Path}, Dir: dir, SampleInterval: 100 * time.Millisecond}
	var stderr strings.Builder
	lr := startLive(t, context.Background(), r, LiveRequest{Jobs: 3, Stderr: &syncWriter{w: &stderr}})
	res := lr.wait()
	if res.Final.ExitCode != 2 || res.Measurement.ExitCode != 2 || res.Measurement.Interrupted {
		t.Errorf("exit %d (%d), interrupted %v; want make's 2", res.Final.ExitCode, res.Measurement.ExitCode, res.Measurement.Interrupted)
	}
	if !strings.Contains(stderr.String(), "[Makefile:") || !strings.Contains(res.Measurement.StderrTail, "Error 3") {
		t.Errorf("make's error did not reach stderr: %q; tail %q", stderr.String(), res.Measurement.StderrTail)
	}
	lr.checkCounters(res)
	checkBalanced(t, lr.live, res)
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestLiveInterrupt cancels a build while four recipes run: the group is
// stopped, and every token is accounted for: back, or reported lost (make
// 4.4 drops those it holds when interrupted).
func TestLiveInterrupt(t *testing.T) {
	for name, find := range map[string]func(*testing.T) jobserver.Client{"make-4.3": needMake43, "make-4.4": needMake44} {
		t.Run(name, func(t *testing.T) {
			c := find(t)
			dir := t.TempDir()
			timedMakefile(t, dir, 8, 30, "", "")
			r := &Runner{Command: []string{c.Path}, Dir: dir, SampleInterval: 100 * time.Millisecond, KillGrace: 2 * time.Second}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			lr := startLive(t, ctx, r, LiveRequest{Jobs: 4})
			lr.waitFor("4 recipes running", func() bool { return lr.running() == 4 })
			cancel()
			start := time.Now()
			res := lr.wait()
			t.Logf("%s: stopped in %v; exit %d; %d tokens lost; warnings %v", name, time.Since(start).Round(time.Millisecond),
				res.Final.ExitCode, res.LostTokens, res.Measurement.Warnings)
			if !res.Measurement.Interrupted || res.Final.ExitCode == 0 {
				t.Errorf("interrupted %v, exit %d", res.Measurement.Interrupted, res.Final.ExitCode)
			}
			if procs := groupProcs(t, lr.live.Process().Pgid); len(procs) > 0 {
				t.Errorf("the build's group still runs: %+v", procs)
			}
			lost := slices.ContainsFunc(res.Measurement.Warnings, func(w tuner.Warning) bool { return w.Kind == WarnTokensLost })
			if lost != (res.LostTokens != 0) || lr.live.srv.Tokens() != res.LostTokens || res.LostTokens < 0 || res.LostTokens > 3 {
				t.Errorf("%d tokens lost, %d left, warned %v: the account does not add up", res.LostTokens, lr.live.srv.Tokens(), lost)
			}
		})
	}
}

// TestLiveTimeout: a build that runs longer than the Runner's Timeout is
// stopped as timed out (not interrupted), its group is gone, and every
// token is accounted for, as after Ctrl-C.
func TestLiveTimeout(t *testing.T) {
	for name, find := range map[string]func(*testing.T) jobserver.Client{"make-4.3": needMake43, "make-4.4": needMake44} {
		t.Run(name, func(t *testing.T) {
			c := find(t)
			dir := t.TempDir()
			timedMakefile(t, dir, 8, 30, "", "")
			r := &Runner{Command: []string{c.Path}, Dir: dir, SampleInterval: 100 * time.Millisecond, KillGrace: 2 * time.Second,
				Timeout: 1500 * time.Millisecond}
			lr := startLive(t, context.Background(), r, LiveRequest{Jobs: 4})
			res := lr.wait()
			if !res.Measurement.TimedOut || res.Measurement.Interrupted || res.Final.ExitCode == 0 || !res.Final.Done {
				t.Errorf("timed out %v, interrupted %v, exit %d, done %v", res.Measurement.TimedOut, res.Measurement.Interrupted,
					res.Final.ExitCode, res.Final.Done)
			}
			if procs := groupProcs(t, lr.live.Process().Pgid); len(procs) > 0 {
				t.Errorf("the build's group still runs: %+v", procs)
			}
			lost := slices.ContainsFunc(res.Measurement.Warnings, func(w tuner.Warning) bool { return w.Kind == WarnTokensLost })
			if lost != (res.LostTokens != 0) || lr.live.srv.Tokens() != res.LostTokens || res.LostTokens < 0 || res.LostTokens > 3 {
				t.Errorf("%d tokens lost, %d left, warned %v: the account does not add up", res.LostTokens, lr.live.srv.Tokens(), lost)
			}
		})
	}
}

// TestLiveStopsWhatLeftTheGroup: processes a recipe leaves behind in
// other sessions or groups are stopped and reaped after a live build too.
func TestLiveStopsWhatLeftTheGroup(t *testing.T) {
	c := needMake44(t)
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	recipe := strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(escapeScript(pids)), "\n", "; "), "$", "$$")
	timedMakefile(t, dir, 2, 0.05, "daemons", "daemons:\n\t@"+recipe+"\n")
	r := &Runner{Command: []string{c.Path}, Dir: dir, SampleInterval: 100 * time.Millisecond}
	lr := startLive(t, context.Background(), r, LiveRequest{Jobs: 2})
	res := lr.wait()
	if res.Final.ExitCode != 0 || res.Measurement.WallSeconds > 5 {
		t.Errorf("exit %d after %.2f s", res.Final.ExitCode, res.Measurement.WallSeconds)
	}
	escaped := readPids(t, pids)
	if len(escaped) != 2 {
		t.Fatalf("pids %v, want 2", escaped)
	}
	checkAllGone(t, escaped)
	checkLeftRunning(t, res.Measurement.Warnings, escaped)
	checkBalanced(t, lr.live, res)
}

// TestLiveKill: after the first Ctrl-C (the build's context), recipes
// that ignore SIGTERM hold the build; a close of Runner.Kill, the second
// Ctrl-C, ends it at once, tokens accounted for.
func TestLiveKill(t *testing.T) {
	c := needMake43(t)
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "run"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "Makefile"), []byte(
		"all: a b c\na b c:\n\t@trap '' TERM; touch run/$@; sleep 60\n"), 0o644))
	kill := make(chan struct{})
	r := &Runner{Command: []string{c.Path}, Dir: dir, SampleInterval: 100 * time.Millisecond, KillGrace: 20 * time.Second, Kill: kill}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lr := startLive(t, ctx, r, LiveRequest{Jobs: 3})
	lr.waitFor("3 recipes running", func() bool { return lr.running() == 3 })
	cancel()
	time.Sleep(300 * time.Millisecond)
	if _, err := lr.live.Advance(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lr.live.done:
		t.Fatal("the build ended on SIGTERM, which its recipes ignore")
	default:
	}
	start := time.Now()
	close(kill)
	res := lr.wait()
	took := time.Since(start)
	t.Logf("killed in %v; %d tokens lost; warnings %v", took.Round(time.Millisecond), res.LostTokens, res.Measurement.Warnings)
	if took > 3*time.Second {
		t.Errorf("the build took %v to end after the kill", took)
	}
	if !res.Measurement.Interrupted {
		t.Error("the killed build is not marked interrupted")
	}
	if procs := groupProcs(t, lr.live.Process().Pgid); len(procs) > 0 {
		t.Errorf("the build's group still runs: %+v", procs)
	}
	if lr.live.srv.Tokens() != res.LostTokens {
		t.Errorf("%d tokens left in circulation, %d reported lost", lr.live.srv.Tokens(), res.LostTokens)
	}
}

// TestLiveNinja runs ninja 1.13 under the fifo jobserver: it follows a
// raise of N (once one of its jobs ends: it waits on its jobs, not on the
// pool), and its status lines, printed as edges end, count the compiles.
func TestLiveNinja(t *testing.T) {
	path, err := exec.LookPath("ninja")
	var c jobserver.Client
	if err == nil {
		c, err = jobserver.DetectNinja(path)
	}
	if err != nil || !c.Supports(jobserver.Fifo) {
		msg := fmt.Sprintf("needs ninja 1.13 or later in PATH (%v, %v); .ci/newer-tools.sh installs it", c.Version, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true makes a missing prerequisite a failure")
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "run"), 0o755))
	const targets = 24
	text := "rule cc\n  command = : gcc -c $out.c; touch run/$out; sleep 0.15; rm -f run/$out\n"
	for i := range targets {
		text += fmt.Sprintf("build t%d: cc\n", i+1)
	}
	must(t, os.WriteFile(filepath.Join(dir, "build.ninja"), []byte(text), 0o644))
	r := &Runner{Command: []string{c.Path}, Dir: dir, SampleInterval: 100 * time.Millisecond}
	lr := startLive(t, context.Background(), r, LiveRequest{Jobs: 2})
	lr.waitFor("2 jobs running", func() bool { return lr.running() == 2 })
	lr.setPhase("2")
	time.Sleep(300 * time.Millisecond)
	lr.setPhase("4") // before the change, so that what follows it counts there
	must(t, lr.live.SetJobs(4))
	res := lr.wait()
	t.Logf("ninja: %d jobs at once at N=2, %d at N=4", lr.mostIn("2"), lr.mostIn("4"))
	if lr.mostIn("2") > 2 || lr.mostIn("4") > 4 || lr.mostIn("4") < 3 {
		t.Errorf("jobs at once: %d at N=2, %d at N=4", lr.mostIn("2"), lr.mostIn("4"))
	}
	if res.Final.ExitCode != 0 || res.Final.Completed != targets {
		t.Errorf("final %+v, want exit 0 and %d completed", res.Final, targets)
	}
	lr.checkCounters(res)
	checkBalanced(t, lr.live, res)
}

// TestLiveThermalPause: the thermal guard pauses a live build's group at
// its maximum temperature, as it does offline, and the pause is reported.
func TestLiveThermalPause(t *testing.T) {
	c := needMake43(t)
	hot := newHotMachine(t, 50, nil)
	dir := t.TempDir()
	timedMakefile(t, dir, 4, 0.4, "", "")
	var paused sync.Once
	sawPause := make(chan struct{})
	r := &Runner{Command: []string{c.Path}, Dir: dir, SampleInterval: 20 * time.Millisecond,
		Thermal: ThermalPolicy{MaxC: 80, ResumeC: 60},
		OnStatus: func(st BuildStatus) {
			if st.Paused {
				paused.Do(func() { close(sawPause) })
			}
		}}
	lr := startLive(t, context.Background(), r, LiveRequest{Jobs: 2})
	lr.waitFor("2 recipes running", func() bool { return lr.running() == 2 })
	hot.set(90)
	waitStopped(t, lr.live.Process().Pgid)
	select {
	case <-sawPause:
	case <-time.After(5 * time.Second):
		t.Fatal("OnStatus never reported the pause")
	}
	time.Sleep(300 * time.Millisecond)
	hot.set(50)
	res := lr.wait()
	m := res.Measurement
	t.Logf("paused %.2f s; build %.2f s", m.PausedSeconds, m.WallSeconds)
	if !m.Thermal || m.PausedSeconds < 0.3 || m.PausedSeconds > m.WallSeconds {
		t.Errorf("thermal %v, paused %.2f s of %.2f s; want a pause of 0.3 s or more", m.Thermal, m.PausedSeconds, m.WallSeconds)
	}
	if res.Final.ExitCode != 0 || res.Final.Completed != 4 {
		t.Errorf("final %+v", res.Final)
	}
	checkBalanced(t, lr.live, res)
}

// TestRunOnlineSteersALiveBuild: tuner.RunOnline steers a real make build
// through Live from start to end: windows are measured at several N, and
// the build ends as it would alone.
func TestRunOnlineSteersALiveBuild(t *testing.T) {
	c := needMake44(t)
	dir := t.TempDir()
	const targets = 240
	timedMakefile(t, dir, targets, 0.05, "", "")
	r := &Runner{Command: []string{c.Path}, Dir: dir, SampleInterval: 100 * time.Millisecond}
	s := tuner.OnlineSettings{FormulaJobs: 6, Min: 1, Max: 12, Tick: 50 * time.Millisecond}
	start := 3
	l, err := r.StartLive(context.Background(), LiveRequest{Jobs: start})
	must(t, err)
	res, err := tuner.RunOnline(context.Background(), l, s, start)
	must(t, err)
	lr, err := l.Wait()
	must(t, err)
	var ns []int
	for _, w := range res.Windows {
		ns = append(ns, w.Jobs)
	}
	t.Logf("windows at N %v; measured share %.2f; final %+v; recommended %+v", ns, res.MeasuredShare, res.Final, res.Recommended)
	if len(res.Windows) < 2 || !res.Final.Done || res.Final.ExitCode != 0 || res.Final.Completed != targets {
		t.Errorf("%d windows, final %+v; want windows and a whole build", len(res.Windows), res.Final)
	}
	checkBalanced(t, l, lr)
}
