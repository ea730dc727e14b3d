package probe

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jtune/jtune/tuner"
)

// TestMain makes the test binary a child subreaper, as jtune is, so that
// what a build leaves behind comes back to it.
func TestMain(m *testing.M) {
	if err := BecomeSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestParseStat(t *testing.T) {
	line := "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 105 0 0 0 0 0 0 0 20 0 1 0 987654 2469888 206 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	p, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := procInfo{pid: 4242, ppid: 1, pgid: 4242, sid: 4242, state: 'S', comm: "my (odd) prog", start: 987654}
	if p != want {
		t.Errorf("parseStat = %+v, want %+v", p, want)
	}
	for _, bad := range []string{"", "12 (x", "12 (x) S 1 2", "x (y) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 5"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) did not fail", bad)
		}
	}
	self, err := readProc(os.Getpid())
	if err != nil || self.pid != os.Getpid() || self.ppid != os.Getppid() || self.start == 0 {
		t.Errorf("readProc(self) = %+v, %v", self, err)
	}
}

// pidState is a process's state letter, or 0 once it is gone altogether
// (not even a zombie).
func pidState(pid int) byte {
	p, err := readProc(pid)
	if err != nil {
		return 0
	}
	return p.state
}

// readPids reads the pids a build's script wrote, one per line.
func readPids(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// checkAllGone fails unless every pid is gone within a second, zombies
// included: jtune must have stopped and reaped them.
func checkAllGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for _, pid := range pids {
		for pidState(pid) != 0 {
			if time.Now().After(deadline) {
				t.Errorf("process %d is still there in state %c", pid, pidState(pid))
				_ = syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// escapeScript starts two processes that leave the build's process group
// and outlive it, and writes their pids to pids: a new session (setsid),
// and GNU timeout, which puts itself in a process group of its own. The
// setsid one keeps the build's stdout open. It waits until both run their
// programs, so that the warning's names are sure.
func escapeScript(pids string) string {
	return `runs() { until tr '\0' ' ' </proc/$1/cmdline | grep -q "^$2"; do sleep 0.01; done; }
setsid sleep 120 & echo $! >>` + pids + `; runs $! sleep
timeout 120 sleep 120 </dev/null >/dev/null 2>&1 & echo $! >>` + pids + `; runs $! timeout
`
}

// checkLeftRunning checks that the warning names what was stopped.
func checkLeftRunning(t *testing.T, ws []tuner.Warning, pids []int) {
	t.Helper()
	i := slices.IndexFunc(ws, func(w tuner.Warning) bool { return w.Kind == WarnLeftRunning })
	if i < 0 {
		t.Fatalf("no %s warning among %+v", WarnLeftRunning, ws)
	}
	for _, want := range []string{"sleep 120", "timeout 120"} {
		if !strings.Contains(ws[i].Message, want) {
			t.Errorf("the warning %q does not name %q", ws[i].Message, want)
		}
	}
	for _, pid := range pids {
		if !strings.Contains(ws[i].Subject, strconv.Itoa(pid)) {
			t.Errorf("the warning's subject %q does not name pid %d", ws[i].Subject, pid)
		}
	}
	t.Logf("warning: %s", ws[i].Message)
}

func TestBuildStopsWhatLeftTheGroup(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	r := quickRunner(script(t, escapeScript(pids)+"echo built"))
	start := time.Now()
	m, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Build returned after %v, wall %.3f s", time.Since(start), m.WallSeconds)
	escaped := readPids(t, pids)
	if len(escaped) != 2 {
		t.Fatalf("pids %v, want 2", escaped)
	}
	checkAllGone(t, escaped)
	checkLeftRunning(t, m.Warnings, escaped)
	if m.ExitCode != 0 || m.WallSeconds > 1 {
		t.Errorf("exit %d after %.2f s: want a quick clean build", m.ExitCode, m.WallSeconds)
	}
}

// TestBuildTimeIsTheLeaders runs a 0.5 s build whose background subshell
// holds stdout open for 3 s more: the build's time is the leader's, and
// the holder is stopped.
func TestBuildTimeIsTheLeaders(t *testing.T) {
	r := quickRunner(script(t, `(sleep 3; echo late) & sleep 0.5; echo done`))
	start := time.Now()
	m, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 1})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wall %.3f s; Build returned after %v", m.WallSeconds, took)
	if m.WallSeconds < 0.5 || m.WallSeconds >= 1 {
		t.Errorf("wall time %.2f s, want the leader's 0.5 s and not the holder's 3.5 s", m.WallSeconds)
	}
	if took >= 3*time.Second {
		t.Errorf("Build took %v: it waited for the holder", took)
	}
	if !slices.ContainsFunc(m.Warnings, func(w tuner.Warning) bool { return w.Kind == WarnLeftRunning }) {
		t.Errorf("no warning about the holder: %+v", m.Warnings)
	}
}

// TestCtrlCAfterTheLeaderExitedKeepsTheBuild cancels the build while jtune
// waits for a process the build left, which ignores SIGTERM: the build
// had finished, so it is not interrupted.
func TestCtrlCAfterTheLeaderExitedKeepsTheBuild(t *testing.T) {
	r := quickRunner(script(t, `sh -c "trap '' TERM; exec sleep 30" </dev/null >/dev/null 2>&1 & echo done`))
	r.KillGrace = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.OnStart = func(bp BuildProcess) {
		go func() {
			// The leader is gone once Wait has reaped it; Build judges
			// the build at once, then waits for the process it left.
			for pidState(bp.Pgid) != 0 {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond)
			cancel()
		}()
	}
	m, err := r.Build(ctx, tuner.BuildRequest{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Interrupted || m.ExitCode != 0 {
		t.Errorf("interrupted %v, exit %d: a finished build was spoiled by a late Ctrl-C", m.Interrupted, m.ExitCode)
	}
}

// TestKillEndsAtOnce: the second Ctrl-C (Runner.Kill) kills a build whose
// processes ignore SIGTERM at once, without waiting for KillGrace.
func TestKillEndsAtOnce(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	r := quickRunner(script(t, `trap '' TERM
sleep 60 & echo $! >>`+pids+`
setsid sh -c "trap '' TERM; sleep 60" </dev/null >/dev/null 2>&1 & echo $! >>`+pids+`
echo ready >`+filepath.Join(dir, "ready")+`
wait`))
	r.KillGrace = 20 * time.Second
	kill := make(chan struct{})
	r.Kill = kill
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan tuner.Measurement, 1)
	go func() {
		m, err := r.Build(ctx, tuner.BuildRequest{Jobs: 1})
		if err != nil {
			t.Error(err)
		}
		done <- m
	}()
	waitFor(t, "the build is ready", 5*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(dir, "ready"))
		return err == nil
	})
	cancel() // the first Ctrl-C: SIGTERM, which everything ignores
	time.Sleep(200 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("the build ended on SIGTERM, which it ignores")
	default:
	}
	start := time.Now()
	close(kill)
	var m tuner.Measurement
	select {
	case m = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Build did not return within 5 s of the kill")
	}
	t.Logf("Build returned %v after the kill", time.Since(start))
	if !m.Interrupted {
		t.Error("the killed build is not marked interrupted")
	}
	checkAllGone(t, readPids(t, pids))
}

// TestStopStale plays a jtune that died while its build ran: StopStale
// stops the group, and what left it, given the right record, and touches
// nothing given a record whose start time is not the leader's.
func TestStopStale(t *testing.T) {
	tr := newTracker()
	start := func() (*exec.Cmd, BuildProcess) {
		cmd := exec.Command("sh", "-c", `sleep 60 & setsid sleep 60 & wait`)
		cmd.Env = tr.env(os.Environ())
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
		bp := newTracker().started(cmd.Process.Pid) // only the start time matters here
		bp.Marker = tr.marker
		waitFor(t, "three processes", 5*time.Second, func() bool { return len(tr.byMarker(t)) == 3 })
		return cmd, bp
	}

	cmd, bp := start()
	fake := bp
	fake.StartTicks++
	fake.Marker = markerName + "=someone-else"
	if stopped, err := StopStale(fake); stopped || err != nil {
		t.Errorf("StopStale with another start time = %v, %v; want nothing touched", stopped, err)
	}
	if n := len(tr.byMarker(t)); n != 3 {
		t.Fatalf("%d of the build's 3 processes left after a StopStale that should not have touched them", n)
	}

	stopped, err := StopStale(bp)
	if !stopped || err != nil {
		t.Fatalf("StopStale = %v, %v; want the build stopped", stopped, err)
	}
	waitFor(t, "the stale build is gone", 5*time.Second, func() bool { return len(tr.byMarker(t)) == 0 })
	_ = cmd.Wait()
	if stopped, err := StopStale(bp); stopped || err != nil {
		t.Errorf("StopStale of a build already gone = %v, %v", stopped, err)
	}
}

// byMarker lists the live processes that carry the tracker's marker.
func (tr *tracker) byMarker(t *testing.T) []int {
	t.Helper()
	table, err := procTable()
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for pid, p := range table {
		if !p.zombie() && pid != os.Getpid() && hasEnv(pid, tr.marker) {
			out = append(out, pid)
		}
	}
	return out
}

// TestOrphansAreReapedDuringTheBuild: a process the build orphans comes
// back to jtune, the subreaper, and once it has exited jtune reaps it
// while the build still runs, so zombies do not pile up in a long build.
func TestOrphansAreReapedDuringTheBuild(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	r := quickRunner(script(t, `sh -c 'sleep 0.1 & echo $! >`+pids+`'
sleep 3`))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := r.Build(ctx, tuner.BuildRequest{Jobs: 1}); err != nil {
			t.Error(err)
		}
	}()
	waitFor(t, "the orphan's pid", 5*time.Second, func() bool {
		data, err := os.ReadFile(pids)
		return err == nil && strings.HasSuffix(string(data), "\n")
	})
	orphan := readPids(t, pids)[0]
	zombie := false
	waitFor(t, "the orphan reaped", 2500*time.Millisecond, func() bool {
		zombie = zombie || pidState(orphan) == 'Z'
		return pidState(orphan) == 0
	})
	select {
	case <-done:
		t.Fatal("the build ended before the orphan was reaped")
	default:
	}
	if !zombie {
		t.Log("the orphan was reaped before it was seen as a zombie")
	}
	cancel()
	<-done
}
