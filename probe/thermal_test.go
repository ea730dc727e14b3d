package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jtune/jtune/tuner"
)

// hotMachine is a fake sysfs with one CPU sensor whose temperature the
// test sets while a build runs.
type hotMachine struct {
	t     *testing.T
	input string // the sensor's temp1_input
}

func newHotMachine(t *testing.T, tempC float64, extra map[string]string) hotMachine {
	t.Helper()
	files := map[string]string{"temp1_input": milli(tempC), "temp1_label": "Package id 0"}
	for k, v := range extra {
		files[k] = v
	}
	sys := fakeHwmon(t, map[string]map[string]string{"coretemp": files})
	t.Setenv("HOST_SYS", sys)
	return hotMachine{t, filepath.Join(sys, "class", "hwmon", "hwmon0", "temp1_input")}
}

func milli(c float64) string { return strconv.Itoa(int(c * 1000)) }

// set replaces the file by a rename so that the sampler never reads it
// half written.
func (h hotMachine) set(tempC float64) {
	h.t.Helper()
	tmp := filepath.Join(filepath.Dir(h.input), ".next")
	if err := os.WriteFile(tmp, []byte(milli(tempC)+"\n"), 0o644); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(tmp, h.input); err != nil {
		h.t.Fatal(err)
	}
}

// proc is one live process of a build's group.
type proc struct {
	state byte // from /proc/PID/stat
	// stopPending: SIGSTOP is queued but not yet acted on. A shell parked
	// in vfork() until its child execs shows state D, not T, while that
	// child is stopped; it runs nothing and stops as soon as it can.
	stopPending bool
}

func (p proc) frozen() bool { return p.state == 'T' || p.stopPending }

// groupProcs lists the live processes of the group. Zombies are left
// out: orphans wait there for PID 1 to reap them and run nothing.
func groupProcs(t *testing.T, pgid int) map[int]proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]proc{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g != pgid || f[0][0] == 'Z' {
			continue
		}
		out[pid] = proc{state: f[0][0], stopPending: stopPending(e.Name())}
	}
	return out
}

func stopPending(pid string) bool {
	status, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(l, ":")
		if k != "SigPnd" && k != "ShdPnd" {
			continue
		}
		if mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil && mask&(1<<(19-1)) != 0 { // SIGSTOP is 19
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStopped waits until the whole group is paused, and shows what it
// saw if it never is.
func waitStopped(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		last := groupProcs(t, pgid)
		if allFrozen(last) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group %d was not paused within 2 s: %+v", pgid, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func allFrozen(procs map[int]proc) bool {
	for _, p := range procs {
		if !p.frozen() {
			return false
		}
	}
	return len(procs) > 0
}

func noneFrozen(procs map[int]proc) bool {
	for _, p := range procs {
		if p.frozen() {
			return false
		}
	}
	return len(procs) > 0
}

type buildResult struct {
	m   tuner.Measurement
	err error
}

// thermalInterval is the sample interval of the thermal tests' builds, on
// their fake clock.
const thermalInterval = 20 * time.Millisecond

// drivenBuild is a build whose clock the test moves: step advances it by
// one sample interval and waits until the runner has reported the sample
// that tick took. So the guard pauses, resumes and aborts at known
// instants, however busy the machine is; only the processes run in real
// time.
type drivenBuild struct {
	t      *testing.T
	clock  *fakeClock
	pgid   int
	done   string // the build's loops end once this file exists
	status chan BuildStatus
	result chan buildResult
	ended  *buildResult // the result, once step saw it
}

// startThermalBuild starts a build of a shell with two looping background
// children that run until the file done exists, and waits until the shell
// runs and the runner has taken its first sample. The machine must be
// cool until it returns, or the guard could stop the shell before it
// writes its pid.
func startThermalBuild(t *testing.T, ctx context.Context, p ThermalPolicy, abortAfter time.Duration, opts ...func(*Runner)) *drivenBuild {
	t.Helper()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	b := &drivenBuild{t: t, clock: newFakeClock(), done: filepath.Join(dir, "done"),
		status: make(chan BuildStatus, 1024), result: make(chan buildResult, 1)}
	s := script(t, fmt.Sprintf(`
loop() { while [ ! -e %[2]s ]; do sleep 0.02; done; }
loop & loop &
echo $$ > %[1]s.tmp && mv %[1]s.tmp %[1]s
wait
`, pidFile, b.done))
	r := quickRunner(s)
	r.SampleInterval, r.Thermal, r.Clock = thermalInterval, p, b.clock
	r.OnStatus = func(st BuildStatus) {
		select {
		case b.status <- st:
		default:
			t.Error("a sample report was dropped")
		}
	}
	for _, o := range opts {
		o(r)
	}
	go func() {
		m, err := r.Build(ctx, tuner.BuildRequest{Jobs: 1, AbortAfter: abortAfter})
		b.result <- buildResult{m, err}
	}()
	t.Cleanup(func() {
		_ = os.WriteFile(b.done, nil, 0o644)
	})
	waitFor(t, "the build has started", 2*time.Second, func() bool {
		data, err := os.ReadFile(pidFile)
		if err != nil {
			return false
		}
		b.pgid, err = strconv.Atoi(strings.TrimSpace(string(data)))
		return err == nil
	})
	if _, ok := b.next(); !ok {
		t.Fatalf("the build ended before its first sample: %+v", b.ended)
	}
	return b
}

// step advances the clock by one sample interval and returns the sample
// the runner took on that tick; ok is false when the build ended instead.
func (b *drivenBuild) step() (st BuildStatus, ok bool) {
	b.t.Helper()
	b.clock.Advance(thermalInterval)
	return b.next()
}

// mustStep is step for a build that must still be running.
func (b *drivenBuild) mustStep() BuildStatus {
	b.t.Helper()
	st, ok := b.step()
	if !ok {
		b.t.Fatalf("the build ended: %+v", b.ended)
	}
	return st
}

func (b *drivenBuild) next() (BuildStatus, bool) {
	b.t.Helper()
	select {
	case st := <-b.status:
		return st, true
	case r := <-b.result:
		b.ended = &r
		return BuildStatus{}, false
	case <-time.After(5 * time.Second):
		b.t.Fatal("no sample within 5 s of a tick")
	}
	return BuildStatus{}, false
}

// receive waits up to d for Build's result.
func (b *drivenBuild) receive(d time.Duration) tuner.Measurement {
	b.t.Helper()
	r := b.ended
	if r == nil {
		select {
		case got := <-b.result:
			r = &got
		case <-time.After(d):
			b.t.Fatalf("Build did not return within %v", d)
		}
	}
	if r.err != nil {
		b.t.Fatal(r.err)
	}
	return r.m
}

func TestThermalGuardPausesAndResumesTheWholeGroup(t *testing.T) {
	hot := newHotMachine(t, 50, nil)
	b := startThermalBuild(t, context.Background(), ThermalPolicy{MaxC: 80, ResumeC: 60}, 0)
	waitFor(t, "the shell and both loops run", 2*time.Second, func() bool { return len(groupProcs(t, b.pgid)) >= 3 })

	hot.set(85)
	if st := b.mustStep(); !st.Paused || st.TempC != 85 {
		t.Fatalf("sample %+v; want a pause at 85 °C", st)
	}
	waitStopped(t, b.pgid)
	hot.set(70) // between ResumeC and MaxC: stays paused
	for range 5 {
		if st := b.mustStep(); !st.Paused {
			t.Fatalf("the guard resumed at %.0f °C, above ResumeC", st.TempC)
		}
	}
	if st := groupProcs(t, b.pgid); !allFrozen(st) {
		t.Fatalf("the group resumed above ResumeC: %+v", st)
	}

	hot.set(60)
	if st := b.mustStep(); st.Paused {
		t.Fatal("the guard did not resume at ResumeC")
	}
	waitFor(t, "the group runs again", 2*time.Second, func() bool { return noneFrozen(groupProcs(t, b.pgid)) })
	if err := os.WriteFile(b.done, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m := b.receive(3 * time.Second)
	if !m.Thermal || m.Critical || m.PausedSeconds < 0.1 || m.ExitCode != 0 {
		t.Errorf("Thermal %v, Critical %v, paused %.3f s, exit %d; want a paused build of at least 0.1 s that exited 0",
			m.Thermal, m.Critical, m.PausedSeconds, m.ExitCode)
	}
	if m.PausedSeconds > m.WallSeconds {
		t.Errorf("paused %.3f s of a %.3f s build", m.PausedSeconds, m.WallSeconds)
	}
	// Paused from the first tick to the seventh, on the runner's clock.
	if want := (6 * thermalInterval).Seconds(); m.PausedSeconds != want {
		t.Errorf("paused %.3f s, want %.3f s", m.PausedSeconds, want)
	}
}

func TestThermalGuardKillsAPausedGroupAtTheCriticalTemperature(t *testing.T) {
	hot := newHotMachine(t, 50, nil)
	b := startThermalBuild(t, context.Background(), ThermalPolicy{MaxC: 80, CritC: 95}, 0)
	hot.set(85)
	b.mustStep()
	waitStopped(t, b.pgid)

	start := time.Now()
	hot.set(96)
	b.step()
	m := b.receive(2 * time.Second)
	if took := time.Since(start); took > time.Second {
		t.Errorf("the critical stop took %v", took)
	}
	if !m.Critical || !m.Thermal {
		t.Errorf("Critical %v, Thermal %v; want both", m.Critical, m.Thermal)
	}
	waitFor(t, "no process of the group is left", 3*time.Second, func() bool { return len(groupProcs(t, b.pgid)) == 0 })
}

func TestCancellingAPausedBuildEndsItPromptly(t *testing.T) {
	hot := newHotMachine(t, 50, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A long grace tells a prompt SIGTERM from the SIGKILL after the
	// grace even on a busy machine.
	const grace = 5 * time.Second
	b := startThermalBuild(t, ctx, ThermalPolicy{MaxC: 80}, 0, func(r *Runner) { r.KillGrace = grace })
	hot.set(85)
	b.mustStep()
	waitStopped(t, b.pgid)

	start := time.Now()
	cancel()
	m := b.receive(2 * time.Second)
	// SIGTERM must reach the group at once, not after the grace: the
	// shell dies of it.
	if took := time.Since(start); took > grace/5 || m.ExitCode != 128+int(syscall.SIGTERM) {
		t.Errorf("cancelling a paused build took %v and it exited %d; want a prompt end by SIGTERM (%d)", took, m.ExitCode, 128+int(syscall.SIGTERM))
	}
	if !m.Interrupted || !m.Thermal || m.Critical {
		t.Errorf("Interrupted %v, Thermal %v, Critical %v; want an interrupted paused build", m.Interrupted, m.Thermal, m.Critical)
	}
	waitFor(t, "no process of the group is left", 3*time.Second, func() bool { return len(groupProcs(t, b.pgid)) == 0 })
}

func TestAPauseDoesNotCountTowardsTheAbortLimit(t *testing.T) {
	hot := newHotMachine(t, 50, nil)
	const abortAfter = 300 * time.Millisecond
	b := startThermalBuild(t, context.Background(), ThermalPolicy{MaxC: 80}, abortAfter)
	if n := b.clock.armedTimers(); n != 1 {
		t.Fatalf("%d abort timers armed, want 1", n)
	}
	hot.set(85)
	if st := b.mustStep(); !st.Paused { // after one interval of running
		t.Fatal("the guard did not pause at 85 °C")
	}
	waitStopped(t, b.pgid)
	if n := b.clock.armedTimers(); n != 0 {
		t.Fatal("the abort timer runs on during the pause")
	}
	for range 2 * abortAfter / thermalInterval {
		if _, ok := b.step(); !ok {
			t.Fatalf("the build ended while paused: %+v", b.ended)
		}
	}
	hot.set(50)
	if st := b.mustStep(); st.Paused {
		t.Fatal("the guard did not resume at 50 °C")
	}
	// Run on until the abort timer fires, and no further: the clock stands
	// still while the build stops.
	for b.clock.armedTimers() > 0 {
		if _, ok := b.step(); !ok {
			break
		}
	}
	m := b.receive(2 * time.Second)
	if !m.Aborted || !m.Thermal {
		t.Fatalf("Aborted %v, Thermal %v; want an aborted paused build", m.Aborted, m.Thermal)
	}
	if ran := m.WallSeconds - m.PausedSeconds; ran < abortAfter.Seconds()*0.9 || ran > abortAfter.Seconds()+0.3 {
		t.Errorf("the build ran %.3f s (wall %.3f, paused %.3f) before the %v abort", ran, m.WallSeconds, m.PausedSeconds, abortAfter)
	}
	// On the runner's clock the abort comes exactly on time.
	if ran := m.WallSeconds - m.PausedSeconds; math.Abs(ran-abortAfter.Seconds()) > 1e-9 {
		t.Errorf("the build ran %.6f s, want exactly %v", ran, abortAfter)
	}
}

func TestWaitCool(t *testing.T) {
	hot := newHotMachine(t, 85, nil)
	var seen []float64
	report := func(c float64) {
		seen = append(seen, c)
		if len(seen) == 1 {
			hot.set(55) // the machine cools after the first sample
		}
	}
	if err := WaitCool(context.Background(), nil, 60, 20*time.Millisecond, report); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 || seen[0] != 85 || seen[len(seen)-1] != 55 {
		t.Errorf("reported %v, want 85 ... 55", seen)
	}

	hot.set(85)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	if err := WaitCool(ctx, nil, 60, 20*time.Millisecond, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitCool on a machine that stays hot = %v, want the deadline", err)
	}

	t.Setenv("HOST_SYS", t.TempDir())
	start := time.Now()
	called := false
	if err := WaitCool(context.Background(), nil, 60, time.Second, func(float64) { called = true }); err != nil || called || time.Since(start) > 500*time.Millisecond {
		t.Errorf("WaitCool without a sensor: err %v, reported %v, took %v; want an immediate nil", err, called, time.Since(start))
	}
}

func TestCriticalTempAndHasTemperature(t *testing.T) {
	newHotMachine(t, 50, map[string]string{"temp1_crit": "100000"})
	if c, ok := CriticalTemp(SystemSampler{}); !ok || c != 100 {
		t.Errorf("CriticalTemp = %.1f, %v; want 100, true", c, ok)
	}
	if !HasTemperature(context.Background(), nil) {
		t.Error("HasTemperature is false with a sensor")
	}

	newHotMachine(t, 50, nil)
	if c, ok := CriticalTemp(SystemSampler{}); ok {
		t.Errorf("CriticalTemp = %.1f without temp1_crit", c)
	}

	t.Setenv("HOST_SYS", t.TempDir())
	if _, ok := CriticalTemp(SystemSampler{}); ok {
		t.Error("CriticalTemp found a limit without any sensor")
	}
	if HasTemperature(context.Background(), SystemSampler{}) {
		t.Error("HasTemperature is true without a sensor")
	}
}

func TestThermalPolicyResume(t *testing.T) {
	if got := (ThermalPolicy{MaxC: 90}).Resume(); got != 80 {
		t.Errorf("default resume %.1f, want 80", got)
	}
	if got := (ThermalPolicy{MaxC: 90, ResumeC: 70}).Resume(); got != 70 {
		t.Errorf("resume %.1f, want 70", got)
	}
}
