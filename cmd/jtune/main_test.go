package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/tuner"
)

var update = flag.Bool("update", false, "rewrite golden files")

// jtuneBin is the real binary, built once, so the end-to-end tests run
// jtune exactly as users do: a process with its own signals and exit code.
var jtuneBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jtune-bin")
	if err != nil {
		panic(err)
	}
	jtuneBin = filepath.Join(dir, "jtune")
	if out, err := exec.Command("go", "build", "-o", jtuneBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building jtune: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fakeMake is a script named make that stands in for a build. Its time
// falls with -j up to 6 jobs and then rises slowly; above failAbove it
// prints distcc's "failed to distribute" warning once per job. Each call
// logs its arguments and environment, and copies the state file as it was
// when the build started, so tests can check both.
const fakeMake = `#!/bin/sh
dir=$(dirname "$0")
n=$(cat "$dir/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$dir/count"
echo "$*|$MAKEOPTS|$JTUNE_JOBS|$JTUNE_LOAD|$DISTCC_HOSTS" >> "$dir/calls"
[ -f "$STATE" ] && cp "$STATE" "$dir/state.$n"
j=1
for a in "$@"; do case $a in -j*) j=${a#-j};; esac; done
if [ -n "$ESCAPE" ]; then
  # Processes that leave the build's process group, as daemons do.
  setsid sleep 120 </dev/null >/dev/null 2>&1 &
  timeout 120 sleep 121 </dev/null >/dev/null 2>&1 &
fi
if [ -n "$HANG_ON_CALL" ] && [ "$n" = "$HANG_ON_CALL" ]; then
  [ -n "$IGNORE_TERM" ] && trap '' TERM
  echo $$ > "$dir/hung.pgid"
  sleep 60 & sleep 60 & wait
fi
[ -n "$HEAT" ] && echo 99000 > "$HEAT"
if [ -n "$FAIL" ]; then echo "make: *** No rule to make target 'all'.  Stop." >&2; exit 2; fi
awk -v j=$j 'BEGIN { t = 0.1 + 1.0/(j<6?j:6) + 0.01*j; system("sleep " t) }'
if [ $j -gt ${FAIL_ABOVE:-1000} ]; then
  i=0; while [ $i -lt $j ]; do
    echo "distcc[$$] Warning: failed to distribute f$i.c to 127.0.0.2:3632/4, running locally instead" >&2
    i=$((i+1))
  done
fi
exit 0
`

type fixture struct {
	dir   string
	state string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "make"), []byte(fakeMake), 0o755); err != nil {
		t.Fatal(err)
	}
	return fixture{dir: dir, state: filepath.Join(dir, "state.json")}
}

// jtune runs the binary with env added to the test's environment.
func (f fixture) jtune(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(jtuneBin, args...)
	cmd.Dir = f.dir
	cmd.Env = append(os.Environ(), append([]string{"STATE=" + f.state, "NO_COLOR=1"}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// runInProcess runs jtune's run function in this process, as main does,
// for tests that need no process of their own: usage errors, help, and
// sessions that are not signalled.
func runInProcess(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = exitCode(run(args, &out, &errb), &errb)
	return out.String(), errb.String(), code
}

// start runs the binary in the background, for tests that signal it in
// the middle of a build; it is killed at the end of the test if still
// running.
func (f fixture) start(t *testing.T, env []string, args ...string) (cmd *exec.Cmd, stdout, stderr *bytes.Buffer) {
	t.Helper()
	cmd = exec.Command(jtuneBin, args...)
	cmd.Dir = f.dir
	cmd.Env = append(os.Environ(), append([]string{"STATE=" + f.state, "NO_COLOR=1"}, env...)...)
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, stdout, stderr
}

func (f fixture) calls(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, "calls"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func readReport(t *testing.T, path string) session.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r session.Record
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

func TestTuneEndToEnd(t *testing.T) {
	f := newFixture(t)
	// Two hosts of 2 and 4 cores: N0 = 2 x (local CPUs + 4) + 1.
	stdout, stderr, code := f.jtune(t, []string{"FAIL_ABOVE=8"},
		"--hosts", "localhost/2 127.0.0.2/4", "--no-host-check", "--load", "2", "--min", "2", "--max", "24",
		"--budget", "8", "--sample-interval", "50ms", "--state", f.state, "--json", "--", "./make")
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	var r session.Record
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
	}
	// The fake build is fastest at 6 jobs; 5 to 8 are within a few percent
	// of it, and distcc fails above 8.
	if r.Recommended == nil || r.Recommended.Jobs < 5 || r.Recommended.Jobs > 8 {
		t.Fatalf("recommended %+v, want -j5..-j8; trials %+v", r.Recommended, r.Trials)
	}
	if want := fmt.Sprintf("-j%d -l2", r.Recommended.Jobs); r.MakeOpts != want {
		t.Errorf("makeopts %q, want %q", r.MakeOpts, want)
	}
	if r.Version != session.Version || len(r.Hosts) != 2 || r.Hosts[1].Name != "127.0.0.2" || r.Hosts[1].Port != 3632 || r.SlotSum != 6 {
		t.Errorf("header fields wrong: %+v", r)
	}
	if r.FormulaJobs != 2*(r.Settings.LocalCPUs+4)+1 {
		t.Errorf("formula_jobs %d from %q", r.FormulaJobs, r.Formula)
	}
	for _, tr := range r.Trials {
		if tr.Jobs > 8 && tr.Status != "overloaded" {
			t.Errorf("-j%d with %d distcc failures has status %s", tr.Jobs, tr.DistccFailures, tr.Status)
		}
		// Slow builds at low N may be aborted early, as lower bounds.
		if tr.Jobs <= 8 && tr.Status != "ok" && tr.Status != "aborted" {
			t.Errorf("-j%d has status %s (%s)", tr.Jobs, tr.Status, tr.Reason)
		}
		if tr.Status == "ok" && (tr.WallSeconds < 0.1 || tr.MaxTempC != nil || tr.StartedAt.IsZero()) {
			t.Errorf("trial fields wrong: %+v", tr)
		}
	}
	if !strings.Contains(stderr, "formula N0 = ") || !strings.Contains(stderr, "build 1/8") {
		t.Errorf("progress missing from stderr:\n%s", stderr)
	}

	// N reached every build three ways: -jN -lM appended, MAKEOPTS and
	// JTUNE_* set, and DISTCC_HOSTS exported because --hosts was given.
	calls := f.calls(t)
	if len(calls) != len(r.Trials) {
		t.Fatalf("%d builds ran, %d trials reported", len(calls), len(r.Trials))
	}
	for i, c := range calls {
		j := r.Trials[i].Jobs
		want := fmt.Sprintf("-j%d -l2|-j%d -l2|%d|2|localhost/2 127.0.0.2/4", j, j, j)
		if c != want {
			t.Errorf("build %d saw %q, want %q", i+1, c, want)
		}
	}
	// The state on disk before build k held the k-1 builds before it,
	// and at the end holds them all plus the recommendation. Before the
	// first build ends there is none: a session that fails to start
	// leaves nothing behind.
	if _, err := os.Stat(filepath.Join(f.dir, "state.1")); err == nil {
		t.Error("a state file was written before the first build ended")
	}
	for k := 2; k <= len(calls); k++ {
		s := readReport(t, filepath.Join(f.dir, "state."+strconv.Itoa(k)))
		if len(s.Trials) != k-1 || s.Outcome != "running" {
			t.Errorf("state before build %d has %d trials, outcome %s", k, len(s.Trials), s.Outcome)
		}
	}
	final := readReport(t, f.state)
	if len(final.Trials) != len(r.Trials) || final.Recommended == nil || final.Recommended.Jobs != r.Recommended.Jobs {
		t.Errorf("final state differs from the report: %+v", final)
	}
}

func TestTuneLeavesOutHostsThatDoNotAnswer(t *testing.T) {
	f := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	live := ln.Addr().(*net.TCPAddr).Port
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := dead.Addr().(*net.TCPAddr).Port
	dead.Close()
	hosts := fmt.Sprintf("localhost/2 127.0.0.1:%d/4 127.0.0.1:%d/8", live, deadPort)
	stdout, stderr, code := f.jtune(t, nil, "--hosts", hosts, "--budget", "1", "--json", "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r session.Record
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	// Only the live host counts: N0 = 2 x (local CPUs + 4) + 1.
	if r.FormulaJobs != 2*(r.Settings.LocalCPUs+4)+1 || r.SlotSum != 2+4 {
		t.Errorf("formula %q and %d slots still count the dead host", r.Formula, r.SlotSum)
	}
	if len(r.Unreachable) != 1 || r.Unreachable[0].Port != deadPort || r.Unreachable[0].Error == "" {
		t.Errorf("unreachable_hosts = %+v", r.Unreachable)
	}
	want := fmt.Sprintf("distcc host 127.0.0.1:%d did not answer", deadPort)
	if !strings.Contains(stderr, want) || !strings.Contains(warningText(r.Warnings), want) {
		t.Errorf("no warning naming the dead host:\n%s", stderr)
	}
	// distcc still gets the whole list as written.
	if calls := f.calls(t); !strings.HasSuffix(calls[0], "|"+hosts) {
		t.Errorf("DISTCC_HOSTS was %q", calls[0])
	}
}

func TestTuneTextOutputEndsWithMakeopts(t *testing.T) {
	f := newFixture(t)
	stdout, stderr, code := f.jtune(t, nil, "--strategy", "grid", "--min", "2", "--max", "8", "--budget", "3",
		"--load", "3", "-q", "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("--quiet still wrote progress: %q", stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	// A grid of 3 over 2..8 is 2, 5, 8; 5 and 8 are both near the optimum.
	last := lines[len(lines)-1]
	if last != `MAKEOPTS="-j5 -l3"` && last != `MAKEOPTS="-j8 -l3"` {
		t.Errorf("last line %q, want MAKEOPTS=\"-j5 -l3\" or -j8\n%s", last, stdout)
	}
	if !strings.HasPrefix(lines[0], "N") || len(lines) < 6 || !strings.Contains(stdout, "recommended: -j") {
		t.Errorf("text report lacks the table or the recommendation:\n%s", stdout)
	}
}

func TestTuneBrokenCommandExits1WithItsStderr(t *testing.T) {
	f := newFixture(t)
	stdout, stderr, code := f.jtune(t, []string{"FAIL=1"}, "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "No rule to make target") || !strings.Contains(stderr, "command itself is broken") {
		t.Errorf("stderr does not show the build's error:\n%s", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout should be empty, got %q", stdout)
	}
	if n := len(f.calls(t)); n != 1 {
		t.Errorf("%d builds ran after a broken first build, want 1", n)
	}
	// A session whose command is broken has not started: it leaves no
	// state behind, and keeps an earlier session's (TestAFailedStart...).
	if _, err := os.Stat(f.state); err == nil {
		t.Error("a broken command left a state file")
	}
}

// fakeSensor makes a sysfs tree with one CPU sensor at tempC for gopsutil,
// and returns the HOST_SYS value and the file that holds the reading.
func fakeSensor(t *testing.T, tempC int) (hostSys, input string) {
	t.Helper()
	hostSys = t.TempDir()
	dir := filepath.Join(hostSys, "class", "hwmon", "hwmon0")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"name": "coretemp", "temp1_label": "Package id 0", "temp1_input": strconv.Itoa(tempC * 1000)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return hostSys, filepath.Join(dir, "temp1_input")
}

func TestCriticalTemperatureStopsWithExit3(t *testing.T) {
	f := newFixture(t)
	hostSys, input := fakeSensor(t, 50)
	// The stand-in build heats the CPU to 99 °C as soon as it starts.
	stdout, stderr, code := f.jtune(t, []string{"HOST_SYS=" + hostSys, "HEAT=" + input},
		"--max-temp", "85", "--crit-temp", "95", "--sample-interval", "20ms", "--state", f.state, "--", "./make")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "critical temperature") || stdout != "" {
		t.Errorf("stderr:\n%s\nstdout:\n%s", stderr, stdout)
	}
	s := readReport(t, f.state)
	if s.Outcome != "critical" || len(s.Trials) != 1 || s.Trials[0].Status != "thermal" || s.Trials[0].MaxTempC == nil || *s.Trials[0].MaxTempC < 95 {
		t.Errorf("state after the critical stop: %+v", s)
	}
}

func TestRequireTemp(t *testing.T) {
	f := newFixture(t)
	empty := t.TempDir() // a sysfs with no sensors
	_, stderr, code := f.jtune(t, []string{"HOST_SYS=" + empty}, "--require-temp", "--state", f.state, "--", "./make")
	if code != 1 || !strings.Contains(stderr, "no temperature sensor") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	stdout, stderr, code := f.jtune(t, []string{"HOST_SYS=" + empty}, "--budget", "1", "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	if code != 0 || !strings.Contains(stdout, "warning: this machine has no temperature sensor: the thermal guard is off") {
		t.Errorf("without --require-temp: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestTunePrepareFailureExits1(t *testing.T) {
	f := newFixture(t)
	_, stderr, code := f.jtune(t, nil, "--prepare", "echo 'no Makefile here' >&2; exit 4", "--state", f.state, "--", "./make")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if !strings.Contains(stderr, `prepare command "echo 'no Makefile here' >&2; exit 4" failed`) || !strings.Contains(stderr, "no Makefile here") {
		t.Errorf("stderr does not show the prepare command and its stderr:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "calls")); err == nil {
		t.Error("the build ran although --prepare failed")
	}
}

func TestTuneCtrlCStopsTheBuildAndSaves(t *testing.T) {
	f := newFixture(t)
	cmd, stdout, stderr := f.start(t, []string{"HANG_ON_CALL=3"}, "--min", "2", "--max", "24", "--load", "2", "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	pgidFile := filepath.Join(f.dir, "hung.pgid")
	waitFile(t, pgidFile)
	time.Sleep(100 * time.Millisecond) // let the sleeps start
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("jtune did not exit after Ctrl-C")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d, want 130\n%s", code, stderr.String())
	}
	// The best of the two finished builds is still recommended.
	if !strings.Contains(stdout.String(), "MAKEOPTS=\"-j") {
		t.Errorf("no recommendation after Ctrl-C:\n%s", stdout.String())
	}
	s := readReport(t, f.state)
	if len(s.Trials) != 3 || s.Trials[2].Status != "interrupted" || s.Outcome != "interrupted" {
		t.Errorf("state after Ctrl-C: %d trials, outcome %s", len(s.Trials), s.Outcome)
	}
	waitNoGroup(t, readPgid(t, pgidFile))
}

// waitNoGroup fails unless every process of the group is gone within a
// few seconds; zombies that init has yet to reap do not count.
func waitNoGroup(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		alive := ""
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if err != nil {
				continue
			}
			fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if len(fields) > 2 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
				alive += " " + e.Name()
			}
		}
		if alive == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of the build's group %d are still running:%s", pgid, alive)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad host token", []string{"--hosts", "localhost 127.0.0.2/x", "--", "./make"}, `"127.0.0.2/x"`},
		{"cpp without lzo", []string{"--hosts", "127.0.0.2,cpp", "--", "./make"}, `"127.0.0.2,cpp"`},
		{"min above max", []string{"--min", "10", "--max", "5", "--", "./make"}, "--min 10 is above --max 5"},
		{"unknown strategy", []string{"--strategy", "random", "--", "./make"}, `--strategy "random" isn't one of golden, grid`},
		{"no command", []string{"--budget", "3"}, "no command to tune"},
		{"zero budget", []string{"--budget", "0", "--", "./make"}, "--budget 0 must be at least 1"},
		{"unknown flag", []string{"--jobs", "4", "--", "./make"}, "unknown flag: --jobs"},
		{"bad duration", []string{"--timeout", "soon", "--", "./make"}, `invalid argument "soon"`},
		{"resume above max temperature", []string{"--max-temp", "80", "--resume-temp", "85", "--", "./make"}, "--resume-temp 85 must be below --max-temp 80"},
		{"critical below max temperature", []string{"--max-temp", "80", "--crit-temp", "70", "--", "./make"}, "--crit-temp 70 must be above --max-temp 80"},
		{"diff without writing", []string{"--diff", "--", "./make"}, "--diff needs --write-makeconf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--state", f.state}, tt.args...)
			if i := slices.Index(args, "./make"); i >= 0 {
				args[i] = filepath.Join(f.dir, "make") // in process, ./make would be this package's
			}
			_, stderr, code := runInProcess(args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			first := strings.SplitN(stderr, "\n", 2)[0]
			if !strings.HasPrefix(first, "jtune: ") || !strings.Contains(first, tt.want) {
				t.Errorf("first stderr line %q does not say %q", first, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(f.dir, "calls")); err == nil {
		t.Error("a build ran despite a usage error")
	}
}

func TestStateFileKeepsTheEarlierSession(t *testing.T) {
	f := newFixture(t)
	earlier := []byte(`{"version":1,"trials":[{"jobs":40}]}` + "\n")
	if err := os.WriteFile(f.state, earlier, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.state+".bak", []byte("older\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := f.jtune(t, nil, "--budget", "1", "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "the earlier state file was kept as "+f.state+".bak.1") {
		t.Errorf("jtune does not say where the earlier state went:\n%s", stderr)
	}
	for name, want := range map[string][]byte{f.state + ".bak": []byte("older\n"), f.state + ".bak.1": earlier} {
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s = %q, %v; want %q", filepath.Base(name), got, err, want)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"--help"}, &stdout, &stderr); !errors.Is(err, errHelp) || exitCode(err, &stderr) != 0 {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"Usage:", "--hosts", "--prepare", "e.g.", "Exit status", "MAKEOPTS"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	stdout.Reset()
	if err := run([]string{"--version"}, &stdout, &stderr); !errors.Is(err, errHelp) || !strings.HasPrefix(stdout.String(), "jtune ") {
		t.Errorf("--version: %v, %q", err, stdout.String())
	}
}

// TestHelpGolden keeps each command's --help as users see it on an
// 80-column terminal; nothing in it depends on the machine.
func TestHelpGolden(t *testing.T) {
	t.Setenv("COLUMNS", "80")
	for _, command := range []string{"", "recommend", "simulate", "report"} {
		t.Run("jtune "+command, func(t *testing.T) {
			args := []string{"help"}
			name := "help.txt"
			if command != "" {
				args, name = append(args, command), "help-"+command+".txt"
			}
			stdout, stderr, code := runInProcess(args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			for i, line := range strings.Split(stdout, "\n") {
				if n := utf8.RuneCountInString(line); n > 80 {
					t.Errorf("line %d is %d columns wide: %q", i+1, n, line)
				}
			}
			checkGolden(t, name, []byte(stdout))
		})
	}
}

// checkGolden compares got with testdata/name, after writing it there
// under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// warningText is the messages of a session's warnings, a line each.
func warningText(ws []tuner.Warning) string {
	var lines []string
	for _, w := range ws {
		lines = append(lines, w.Message)
	}
	return strings.Join(lines, "\n")
}
