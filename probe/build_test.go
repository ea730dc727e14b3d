package probe

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
	if m.DistccFailures != 2 || m.DistccErrors[ErrConnectRefused] != 1 {
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
	r.Env = append(os.Environ(), "DISTCC_DIR="+filepath.Join(dir, ".distcc"), "DISTCC_BACKOFF_PERIOD=0", "DISTCC_LOG=")
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
	sys := fakeHwmon(t, map[string]map[string]string{"coretemp": {"temp1_input": "90000", "temp1_label": "Package id 0"}})
	t.Setenv("HOST_SYS", sys)
	input := filepath.Join(sys, "class", "hwmon", "hwmon0", "temp1_input")
	var seen []float64
	r := quickRunner("true")
	r.Thermal = ThermalPolicy{MaxC: 85}
	r.CoolDown = func(c float64) { seen = append(seen, c) }
	go func() {
		time.Sleep(200 * time.Millisecond)
		os.WriteFile(input, []byte("74000\n"), 0o644)
	}()
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
