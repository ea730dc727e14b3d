package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jtune/jtune/probe/distcc"
	"github.com/jtune/jtune/tuner"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		jobs int
		load int
		want []string
	}{
		{"make gets -j and -l", []string{"make", "-C", "src"}, 8, 2, []string{"make", "-C", "src", "-j8", "-l2"}},
		{"path to gmake", []string{"/usr/bin/gmake"}, 3, 1, []string{"/usr/bin/gmake", "-j3", "-l1"}},
		{"ninja takes separate words", []string{"ninja", "-C", "build"}, 12, 4, []string{"ninja", "-C", "build", "-j", "12", "-l", "4"}},
		{"no load means no -l", []string{"make"}, 5, 0, []string{"make", "-j5"}},
		{"placeholders win over appending", []string{"make", "-j{N}"}, 7, 2, []string{"make", "-j7"}},
		{"placeholders inside an argument", []string{"sh", "-c", "make -j{N} -l{M} all"}, 9, 3, []string{"sh", "-c", "make -j9 -l3 all"}},
		{"other programs are left alone", []string{"emerge", "-1", "gcc"}, 9, 3, []string{"emerge", "-1", "gcc"}},
		{"makefile is not make", []string{"./makefile.sh"}, 9, 3, []string{"./makefile.sh"}},
		{"make under pump", []string{"pump", "make", "CC=distcc gcc"}, 6, 2, []string{"pump", "make", "CC=distcc gcc", "-j6", "-l2"}},
		{"make under Debian's distcc-pump", []string{"/usr/bin/distcc-pump", "make"}, 6, 0, []string{"/usr/bin/distcc-pump", "make", "-j6"}},
		{"pump alone", []string{"pump"}, 6, 2, []string{"pump"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CommandLine(tt.args, tt.jobs, tt.load); !slices.Equal(got, tt.want) {
				t.Errorf("CommandLine = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildEnvReplacesEarlierValues(t *testing.T) {
	base := []string{"PATH=/bin", "MAKEOPTS=-j99", "DISTCC_HOSTS=old", "HOME=/root"}
	got := BuildEnv(base, 6, 2, "localhost/2 127.0.0.2/4")
	want := []string{"PATH=/bin", "HOME=/root", "MAKEOPTS=-j6 -l2", "JTUNE_JOBS=6", "JTUNE_LOAD=2", "DISTCC_HOSTS=localhost/2 127.0.0.2/4"}
	if !slices.Equal(got, want) {
		t.Errorf("BuildEnv = %q, want %q", got, want)
	}
	// Without --hosts, the user's own DISTCC_HOSTS reaches the build.
	if got := BuildEnv(base, 6, 2, ""); !slices.Contains(got, "DISTCC_HOSTS=old") {
		t.Errorf("BuildEnv dropped the user's DISTCC_HOSTS: %q", got)
	}
}

// script writes an executable shell script into a temp dir.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "build.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func quickRunner(args ...string) *Runner {
	return &Runner{Command: args, SampleInterval: 20 * time.Millisecond, KillGrace: 200 * time.Millisecond}
}

func TestBuildMeasuresARealProcessTree(t *testing.T) {
	// Two children burn CPU so that rusage must include grandchildren.
	s := script(t, `
burn() { i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; }
burn & burn & wait
echo "distcc[77] Warning: failed to distribute a.c to 127.0.0.1:3699/2, running locally instead" >&2
echo "distcc[78] (dcc_connect_by_name) ERROR: nonblocking connect to 127.0.0.1:3699 failed: Connection refused" >&2
echo "distcc[79] Warning: failed to distribute b.c to 127.0.0.1:3699/2, running locally instead" >&2
[ "$MAKEOPTS" = "-j4 -l2" ] && [ "$JTUNE_JOBS" = 4 ] && [ "$JTUNE_LOAD" = 2 ] || exit 9
exit 0
`)
	m, err := quickRunner(s).Build(context.Background(), tuner.BuildRequest{Jobs: 4, Load: 2})
	if err != nil {
		t.Fatal(err)
	}
	if m.ExitCode != 0 {
		t.Fatalf("exit code %d (9 means the environment was wrong); stderr: %s", m.ExitCode, m.StderrTail)
	}
	if m.UserSeconds < 0.05 {
		t.Errorf("user CPU %.3f s misses the grandchildren's work", m.UserSeconds)
	}
	if m.WallSeconds <= 0 || m.Samples < 1 {
		t.Errorf("wall %.3f s, %d samples", m.WallSeconds, m.Samples)
	}
	if m.DistccFailures != 2 || m.DistccErrors[distcc.ErrConnectRefused] != 1 {
		t.Errorf("distcc failures %d, errors %v; want 2 and one connect_refused", m.DistccFailures, m.DistccErrors)
	}
}

func TestBuildRecordsExitCodeAndTail(t *testing.T) {
	s := script(t, `echo "compiling" ; echo "make: *** No rule to make target 'x'." >&2; exit 2`)
	m, err := quickRunner(s).Build(context.Background(), tuner.BuildRequest{Jobs: 1, Load: 0})
	if err != nil {
		t.Fatal(err)
	}
	if m.ExitCode != 2 || !strings.Contains(m.StderrTail, "No rule to make target") {
		t.Errorf("exit %d, tail %q", m.ExitCode, m.StderrTail)
	}
}

// waitGroupGone fails unless every process of the group is gone within a
// few seconds; zombies waiting for init to reap them do not count.
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	waitFor(t, "the build's process group is gone", 5*time.Second, func() bool { return len(groupProcs(t, pgid)) == 0 })
}

func TestBuildTimeoutKillsTheWholeGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pgid")
	s := script(t, `echo $$ > `+pidFile+`
sleep 30 & sleep 30 & wait`)
	r := quickRunner(s)
	r.Timeout = 300 * time.Millisecond
	start := time.Now()
	m, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 2, Load: 0})
	if err != nil {
		t.Fatal(err)
	}
	if !m.TimedOut || m.Interrupted {
		t.Errorf("TimedOut %v, Interrupted %v", m.TimedOut, m.Interrupted)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the build took %s to stop", d)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pgid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	waitGroupGone(t, pgid)
}

func TestBuildAbortsAfterTheLimit(t *testing.T) {
	r := quickRunner("sleep", "30")
	r.Timeout = time.Minute
	m, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 2, AbortAfter: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Aborted || m.TimedOut || m.Interrupted {
		t.Errorf("Aborted %v, TimedOut %v, Interrupted %v; want only Aborted", m.Aborted, m.TimedOut, m.Interrupted)
	}
	if m.WallSeconds < 0.2 || m.WallSeconds > 3 {
		t.Errorf("aborted after %.2f s, want about 0.2 s", m.WallSeconds)
	}
}

func TestBuildStopsOnCancelEvenWhenTERMIsIgnored(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pgid")
	s := script(t, `trap '' TERM; echo $$ > `+pidFile+`
sh -c "trap '' TERM; sleep 30" & wait`)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			if _, err := os.Stat(pidFile); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	m, err := quickRunner(s).Build(ctx, tuner.BuildRequest{Jobs: 2, Load: 0})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Interrupted {
		t.Error("a cancelled build is not marked interrupted")
	}
	data, _ := os.ReadFile(pidFile)
	pgid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	waitGroupGone(t, pgid)
}

func TestBuildPrepareFailureStopsWithItsStderr(t *testing.T) {
	r := quickRunner("true")
	r.Prepare = "echo 'clean: no such directory' >&2; exit 3"
	_, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 2, Load: 0})
	var pe *PrepareError
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "clean: no such directory") {
		t.Fatalf("err = %v, want a PrepareError with the prepare command's stderr", err)
	}
}

func TestBuildReadsDistccLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "distcc.log")
	// An earlier session's lines must not be counted again.
	old := "distcc[1] Warning: failed to distribute old.c to 127.0.0.1:3632/4, running locally instead\n"
	if err := os.WriteFile(log, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	s := script(t, `echo "distcc[2] Warning: failed to distribute new.c to 127.0.0.1:3632/4, running locally instead" >> "$DISTCC_LOG"`)
	r := quickRunner(s)
	r.Env = append(os.Environ(), "DISTCC_LOG="+log)
	m, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 2, Load: 0})
	if err != nil {
		t.Fatal(err)
	}
	if m.DistccFailures != 1 {
		t.Errorf("distcc failures from DISTCC_LOG = %d, want 1", m.DistccFailures)
	}
}

// TestBuildCountsRealDistccFailures runs the real distcc client against a
// loopback port with nothing listening, which makes it fall back to a
// local compile and say so on stderr.
func TestBuildCountsRealDistccFailures(t *testing.T) {
	distcc, err := exec.LookPath("distcc")
	if err != nil {
		t.Skip("distcc is not installed (.ci/run installs it)")
	}
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler")
	}
	// Reserve a loopback port and close it, so nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	dir := t.TempDir()
	for _, name := range []string{"a.c", "b.c"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("int f_"+name[:1]+"(void) { return 1; }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := script(t, distcc+" cc -c a.c -o a.o && "+distcc+" cc -c b.c -o b.o")
	r := quickRunner(s)
	r.Dir = dir
	r.DistccHosts = "127.0.0.1:" + strconv.Itoa(port) + "/2"
	// Backoff stays on: with DISTCC_BACKOFF_PERIOD=0, distcc 3.4 retries a
	// dead host without end, until it aborts on fd_set overflow. The
	// Runner gives the build a fresh DISTCC_DIR, so the backoff of the
	// first compile is what makes the second fall back at once.
	r.Env = append(os.Environ(), "DISTCC_LOG=")
	m, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 2, Load: 0})
	if err != nil {
		t.Fatal(err)
	}
	if m.ExitCode != 0 {
		t.Fatalf("distcc build failed (%d): %s", m.ExitCode, m.StderrTail)
	}
	// One "failed to distribute" line per compile that fell back.
	if m.DistccFailures != 2 {
		t.Errorf("distcc failures %d, errors %v, want 2; stderr: %s", m.DistccFailures, m.DistccErrors, m.StderrTail)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.o")); err != nil {
		t.Errorf("the local fallback did not compile: %v", err)
	}
}

func TestBuildWaitsForTheMachineToCool(t *testing.T) {
	hot := newHotMachine(t, 90, nil)
	var seen []float64
	r := quickRunner("true")
	r.Thermal = ThermalPolicy{MaxC: 85}
	// The machine cools once 200 ms have passed since the first report,
	// so that report is surely 90 °C; set renames, so no sample reads a
	// half-written file, which looks like no sensor at all.
	var first time.Time
	r.CoolDown = func(c float64) {
		seen = append(seen, c)
		if first.IsZero() {
			first = time.Now()
		} else if time.Since(first) >= 200*time.Millisecond {
			hot.set(74)
		}
	}
	start := time.Now()
	m, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 200*time.Millisecond || len(seen) < 2 || seen[0] != 90 || seen[len(seen)-1] != 74 {
		t.Errorf("did not wait for 75 °C: waited %s, saw %v", time.Since(start), seen)
	}
	if m.Thermal || m.ExitCode != 0 {
		t.Errorf("the build after cooling was paused or failed: %+v", m)
	}
}

func TestBuildJudgesProgressAgainstTheBestBuild(t *testing.T) {
	// A stand-in make that echoes 20 compile commands, one every
	// DELAY seconds, as make does when it starts each.
	compile := script(t, `for i in $(seq 1 20); do echo "gcc -c unit$i.c -o unit$i.o"; sleep "$DELAY"; done`)

	fast := quickRunner(compile)
	fast.Env = append(os.Environ(), "DELAY=0.02")
	ref, err := fast.Build(context.Background(), tuner.BuildRequest{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Progress == nil || ref.Progress.Lines != 20 || len(ref.Progress.Seconds) != 20 {
		t.Fatalf("progress of a full build = %+v, want 20 lines", ref.Progress)
	}
	if last := ref.Progress.Seconds[19]; last <= ref.Progress.Seconds[0] || last > ref.WallSeconds {
		t.Errorf("line times %v do not rise within the build's %.2f s", ref.Progress.Seconds, ref.WallSeconds)
	}

	// Ten times slower: stopped by its progress long before the 15%
	// margin on elapsed time alone would stop it.
	slow := quickRunner(compile)
	slow.Env = append(os.Environ(), "DELAY=0.2")
	reference := &tuner.Reference{Jobs: 1, Seconds: ref.WallSeconds, Progress: ref.Progress, Margin: 0.15}
	m, err := slow.Build(context.Background(), tuner.BuildRequest{Jobs: 1, AbortAfter: time.Minute, Reference: reference})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Aborted || m.WallSeconds > 3 {
		t.Fatalf("aborted %v after %.2f s; want stopped by its progress well within the 4 s it takes", m.Aborted, m.WallSeconds)
	}
	if m.BoundSeconds <= ref.WallSeconds {
		t.Errorf("bound %.2f s is not above the best build's %.2f s", m.BoundSeconds, ref.WallSeconds)
	}
	if m.Progress != nil {
		t.Errorf("an aborted build kept its progress %+v; only full builds are references", m.Progress)
	}
}

// swappingSampler stands in for the machine: swap in use grows by step
// with every sample, as on a master that runs out of memory.
type swappingSampler struct {
	mu   sync.Mutex
	used uint64
	step uint64
}

func (s *swappingSampler) Sample(context.Context) (Sample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := Sample{Load1: 1, SwapUsed: s.used, AvailableMemory: 1 << 30}
	s.used += s.step
	return x, nil
}

func TestBuildStopsAtOverload(t *testing.T) {
	// distcc's real fallback line, printed every 20 ms for 10 s.
	cascade := script(t, `for i in $(seq 1 500); do
  echo "distcc[$$] (dcc_build_somewhere) Warning: failed to distribute, running locally instead" >&2
  sleep 0.02
done`)
	tests := []struct {
		name    string
		req     tuner.BuildRequest
		sampler Sampler
		check   func(m tuner.Measurement) string
	}{
		{"a failure cascade", tuner.BuildRequest{Jobs: 40, StopAtFailures: 10}, nil, func(m tuner.Measurement) string {
			if m.DistccFailures < 10 {
				return "stopped before 10 failures"
			}
			return ""
		}},
		{"a swapping master", tuner.BuildRequest{Jobs: 40, StopAtSwapGrowth: 64 << 20}, &swappingSampler{used: 1 << 30, step: 16 << 20}, func(m tuner.Measurement) string {
			if m.SwapGrowthBytes < 64<<20 {
				return fmt.Sprintf("stopped at %d MiB of swap growth", m.SwapGrowthBytes>>20)
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := quickRunner(cascade)
			r.Sampler = tt.sampler
			m, err := r.Build(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Aborted || m.WallSeconds > 5 {
				t.Fatalf("aborted %v after %.2f s; want stopped early", m.Aborted, m.WallSeconds)
			}
			if msg := tt.check(m); msg != "" {
				t.Error(msg)
			}
			if st, reason := tuner.Classify(m, tt.req.Jobs, nil, 0); st != tuner.StatusOverloaded {
				t.Errorf("classified %s (%s), want overloaded", st, reason)
			}
		})
	}
	// Without the limits the same build runs on: the stop is the request's.
	r := quickRunner("sh", "-c", `for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "distcc[1] Warning: failed to distribute, running locally instead" >&2; done; sleep 0.3`)
	m, err := r.Build(context.Background(), tuner.BuildRequest{Jobs: 40})
	if err != nil {
		t.Fatal(err)
	}
	if m.Aborted || m.DistccFailures != 12 {
		t.Errorf("without limits: aborted %v with %d failures, want a full build with 12", m.Aborted, m.DistccFailures)
	}
}
