package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive lists the processes, not zombies, whose command line contains
// marker.
func alive(marker string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i < 0 || len(stat) < i+3 || stat[i+2] == 'Z' {
			continue
		}
		if bytes.Contains(cmdline, []byte(marker)) {
			found = append(found, e.Name()+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return found
}

// waitNone fails unless no process with marker in its command line is
// left within a few seconds.
func waitNone(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := alive(marker)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left behind: %q", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNoProcessIsLeftBehind: builds that start processes outside their
// process group (setsid, GNU timeout) leave none running after jtune, and
// jtune names what it had to stop.
func TestNoProcessIsLeftBehind(t *testing.T) {
	f := newFixture(t)
	_, stderr, code := f.jtune(t, []string{"ESCAPE=1"}, "--budget", "2", "--strategy", "grid", "--min", "2", "--max", "4",
		"--sample-interval", "50ms", "--state", f.state, "--", "./make")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	waitNone(t, "sleep 120")
	waitNone(t, "sleep 121")
	if !strings.Contains(warningText(readReport(t, f.state).Warnings), "sleep") {
		t.Errorf("no warning names what was stopped: %q", warningText(readReport(t, f.state).Warnings))
	}
}

// TestSIGHUPStopsLikeSIGTERM: a closed terminal sends SIGHUP; jtune stops
// the build, saves, and exits 129, leaving no process of the build.
func TestSIGHUPStopsLikeSIGTERM(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			f := newFixture(t)
			cmd, _, stderr := f.start(t, []string{"HANG_ON_CALL=2"}, "--strategy", "grid", "--min", "2", "--max", "4",
				"--budget", "3", "--sample-interval", "50ms", "--state", f.state, "--", "./make")
			waitFile(t, filepath.Join(f.dir, "hung.pgid"))
			cmd.Process.Signal(sig)
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != 128+int(sig) {
				t.Errorf("exit %d, want %d\n%s", code, 128+int(sig), stderr)
			}
			s := readReport(t, f.state)
			if s.Outcome != "interrupted" || len(s.Trials) != 2 {
				t.Errorf("state: outcome %s, %d builds", s.Outcome, len(s.Trials))
			}
			waitNoGroup(t, readPgid(t, filepath.Join(f.dir, "hung.pgid")))
		})
	}
}

// TestSecondCtrlCKillsAtOnce: a build that ignores SIGTERM is killed by
// the second Ctrl-C, and the session's outcome is saved before jtune
// exits.
func TestSecondCtrlCKillsAtOnce(t *testing.T) {
	f := newFixture(t)
	cmd, _, stderr := f.start(t, []string{"HANG_ON_CALL=2", "IGNORE_TERM=1"}, "--strategy", "grid", "--min", "2", "--max", "4",
		"--budget", "3", "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	waitFile(t, filepath.Join(f.dir, "hung.pgid"))
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(8 * time.Second):
		t.Fatalf("jtune did not exit after the second Ctrl-C\n%s", stderr)
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d, want 130\n%s", code, stderr)
	}
	waitNoGroup(t, readPgid(t, filepath.Join(f.dir, "hung.pgid")))
	if s := readReport(t, f.state); s.Outcome != "interrupted" {
		t.Errorf("outcome %s after two Ctrl-C", s.Outcome)
	}
}

// TestAReaderThatGoesAwayDoesNotStopTheSession: jtune's output piped to a
// reader that exits (jtune ... 2>&1 | head) must not kill jtune: the
// session runs to its end and the state holds every build.
func TestAReaderThatGoesAwayDoesNotStopTheSession(t *testing.T) {
	f := newFixture(t)
	cmd := exec.Command(jtuneBin, "--strategy", "grid", "--min", "2", "--max", "6", "--budget", "3",
		"--no-early-abort", "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	cmd.Dir = f.dir
	cmd.Env = append(os.Environ(), "STATE="+f.state, "NO_COLOR=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	buf := make([]byte, 10)
	r.Read(buf) // read a little, then go away
	r.Close()
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("jtune was killed by %v", ws.Signal())
	}
	s := readReport(t, f.state)
	if len(s.Trials) != 3 || s.Outcome == "running" {
		t.Errorf("state: %d builds, outcome %s (jtune: %v)", len(s.Trials), s.Outcome, err)
	}
}

// TestResumeStopsTheBuildADeadJtuneLeft: after kill -9 of jtune, its build
// runs on; --resume stops it before it builds anything, and says so.
func TestResumeStopsTheBuildADeadJtuneLeft(t *testing.T) {
	f := newFixture(t)
	args := []string{"--strategy", "grid", "--min", "2", "--max", "6", "--budget", "4", "--sample-interval", "50ms", "--state", f.state}
	cmd, _, _ := f.start(t, []string{"HANG_ON_CALL=2"}, append(args, "--", "./make")...)
	pgidFile := filepath.Join(f.dir, "hung.pgid")
	waitFile(t, pgidFile)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	pgid := readPgid(t, pgidFile)
	if syscall.Kill(-pgid, 0) != nil {
		t.Fatal("the build died with jtune: nothing to test")
	}
	_, stderr, code := f.jtune(t, nil, append(append([]string{"--resume"}, args...), "--", "./make")...)
	if code != 0 {
		t.Fatalf("resume exited %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "stopped the build (process group "+strconv.Itoa(pgid)+")") {
		t.Errorf("resume did not say it stopped the old build:\n%s", stderr)
	}
	waitNoGroup(t, pgid)
}

// TestTheLockIsOnTheFile: two sessions cannot share a state file under two
// names, and a session through a symbolic link keeps the link.
func TestTheLockIsOnTheFile(t *testing.T) {
	f := newFixture(t)
	link := filepath.Join(f.dir, "link.json")
	if err := os.Symlink(filepath.Base(f.state), link); err != nil {
		t.Fatal(err)
	}
	first, _, _ := f.start(t, []string{"HANG_ON_CALL=1"}, "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	defer func() {
		first.Process.Signal(syscall.SIGINT)
		first.Wait()
	}()
	waitFile(t, filepath.Join(f.dir, "hung.pgid"))
	_, stderr, code := f.jtune(t, nil, "--sample-interval", "50ms", "--state", link, "--", "./make")
	if code != 1 || !strings.Contains(stderr, "another jtune is using "+link) {
		t.Errorf("a second session through a link: exit %d\n%s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link: %v", err)
	}
}

// TestBadStateFiles: a state file with a field no session can have is
// refused, naming the file and the field, with exit 1, by report and by
// --resume, and is left as it was.
func TestBadStateFiles(t *testing.T) {
	f := newFixture(t)
	good := `{"version":2,"command":["./make"],"formula_jobs":5,"start_jobs":5,"settings":{"strategy":"bayes","min_jobs":2,"max_jobs":20},"trials":[TRIALS],"outcome":"running"}`
	trial := `{"jobs":JOBS,"status":"ok","wall_seconds":SECS}`
	tests := []struct {
		name, data, want string
	}{
		{"negative jobs", strings.Replace(good, "TRIALS", strings.NewReplacer("JOBS", "-5", "SECS", "3").Replace(trial), 1), `"trials[0]": "jobs" is -5`},
		{"zero jobs", strings.Replace(good, "TRIALS", strings.NewReplacer("JOBS", "0", "SECS", "3").Replace(trial), 1), `"jobs" is 0`},
		{"negative time", strings.Replace(good, "TRIALS", strings.NewReplacer("JOBS", "5", "SECS", "-1").Replace(trial), 1), `"wall_seconds" is -1`},
		{"a version and nothing else", `{"version":1}`, `"command" is empty`},
		{"empty", ``, "empty or cut short"},
		{"a string for a number", strings.Replace(good, "TRIALS", `{"jobs":"five"}`, 1), `field "trials.jobs" holds a JSON string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(f.state, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"report", f.state}, {"--resume", "--state", f.state, "--", "./make"}, {"report", f.state, "--plot", filepath.Join(f.dir, "p.png")}} {
				_, stderr, code := f.jtune(t, nil, args...)
				if code != 1 || !strings.Contains(stderr, f.state) || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "panic") {
					t.Errorf("jtune %s: exit %d, stderr %q; want 1 naming the file and %q", args[0], code, stderr, tt.want)
				}
			}
			if now, _ := os.ReadFile(f.state); string(now) != tt.data {
				t.Error("the bad file was changed")
			}
		})
	}
}
