package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitFile polls for a file a stand-in build writes when it starts.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readPgid(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pgid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pgid
}

// TestResumeAfterKill9 kills jtune with SIGKILL in the middle of its third
// build, as a crash or power loss would, then resumes: the two finished
// builds are kept as they were and not run again, and the session goes on
// from where it stopped.
func TestResumeAfterKill9(t *testing.T) {
	f := newFixture(t)
	args := []string{"--min", "2", "--max", "24", "--budget", "6", "--load", "2", "--sample-interval", "50ms", "--state", f.state}
	cmd, _, _ := f.start(t, []string{"HANG_ON_CALL=3"}, append(args, "--", "./make")...)
	pgidFile := filepath.Join(f.dir, "hung.pgid")
	waitFile(t, pgidFile)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// jtune could not stop its build; the power loss takes that too.
	pgid := readPgid(t, pgidFile)
	syscall.Kill(-pgid, syscall.SIGKILL)
	waitNoGroup(t, pgid)

	before := readReport(t, f.state)
	if len(before.Trials) != 2 || before.Outcome != "running" {
		t.Fatalf("state after kill -9: %d trials, outcome %s", len(before.Trials), before.Outcome)
	}
	hungCall := f.calls(t)[2]

	stdout, stderr, code := f.jtune(t, nil, append(append([]string{"--resume"}, args...), "--json", "--", "./make")...)
	if code != 0 {
		t.Fatalf("resume exited %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "resuming "+f.state+": 2 builds done") {
		t.Errorf("stderr does not say it resumed:\n%s", stderr)
	}
	after := readReport(t, f.state)
	for i := range before.Trials {
		b, a := before.Trials[i], after.Trials[i]
		if a.Jobs != b.Jobs || !a.StartedAt.Equal(b.StartedAt) || a.WallSeconds != b.WallSeconds {
			t.Errorf("finished build %d changed on resume: %+v, was %+v", i+1, a, b)
		}
	}
	calls := f.calls(t)
	resumed := calls[3:] // calls 1-2 finished, call 3 was killed
	if len(after.Trials) != 2+len(resumed) {
		t.Errorf("%d trials after resume, want the 2 kept plus %d new builds", len(after.Trials), len(resumed))
	}
	if len(resumed) == 0 || resumed[0] != hungCall {
		t.Errorf("the first build after resuming was %q, want the killed one again (%q)", resumed, hungCall)
	}
	if len(after.Trials) > 6 || after.Outcome == "running" || after.Recommended == nil || !strings.Contains(stdout, `"makeopts"`) {
		t.Errorf("resumed session did not finish properly: %d trials, outcome %s", len(after.Trials), after.Outcome)
	}
}

func TestResumeRefusals(t *testing.T) {
	f := newFixture(t)
	t.Setenv("STATE", f.state)
	make := filepath.Join(f.dir, "make")
	first := []string{"--hosts", "localhost/2", "--budget", "1", "--load", "3", "--prepare", "true", "--strategy", "grid", "--sample-interval", "50ms", "--state", f.state}
	if _, stderr, code := runInProcess(append(first, "--", make)...); code != 0 {
		t.Fatalf("first session exited %d: %s", code, stderr)
	}
	tests := []struct {
		name    string
		corrupt bool
		args    []string
		code    int
		want    string
	}{
		{"another command", false, []string{"--", make, "all"}, 2, `was made with the command "` + make + `", not "` + make + ` all"`},
		{"other hosts", false, []string{"--hosts", "localhost/2 127.0.0.2", "--", make}, 2, `was made with the hosts "localhost/2", not "localhost/2 127.0.0.2"`},
		{"another prepare", false, []string{"--prepare", "make clean", "--", make}, 2, `was made with --prepare "true", not "make clean"`},
		{"another load", false, []string{"--load", "0", "--", make}, 2, `was made with --load 3, not 0`},
		{"another strategy", false, []string{"--strategy", "bayes", "--", make}, 2, `was made with --strategy grid, not bayes`},
		{"corrupted state", true, []string{"--", make}, 1, "is not a usable jtune state file: it is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.corrupt {
				if err := os.WriteFile(f.state, []byte("{\"version\": 1, \"trials\": [tru"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			keep, _ := os.ReadFile(f.state)
			args := append([]string{"--resume", "--no-host-check", "--budget", "2", "--sample-interval", "50ms", "--state", f.state}, tt.args...)
			if !slices.Contains(args, "--hosts") {
				args = append([]string{"--hosts", "localhost/2"}, args...)
			}
			_, stderr, code := runInProcess(args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
			if now, _ := os.ReadFile(f.state); !bytes.Equal(now, keep) {
				t.Error("a refused --resume changed the state file")
			}
		})
	}
	if _, stderr, code := runInProcess("--resume", "--state", filepath.Join(f.dir, "none.json"), "--", make); code != 2 || !strings.Contains(stderr, "no state file") {
		t.Errorf("resume without a state: exit %d, %s", code, stderr)
	}
}

// TestResumeKeepsTheSavedSettings resumes with none of the settings given
// again: the new builds run as the saved ones did.
func TestResumeKeepsTheSavedSettings(t *testing.T) {
	f := newFixture(t)
	t.Setenv("STATE", f.state)
	make := filepath.Join(f.dir, "make")
	if _, stderr, code := runInProcess("--no-host-check", "--budget", "1", "--load", "3", "--strategy", "grid", "--min", "2", "--max", "6",
		"--sample-interval", "50ms", "--state", f.state, "--", make); code != 0 {
		t.Fatalf("first session exited %d: %s", code, stderr)
	}
	_, stderr, code := runInProcess("--resume", "--no-host-check", "--budget", "2", "--sample-interval", "50ms", "--state", f.state, "--", make)
	if code != 0 {
		t.Fatalf("resume exited %d: %s", code, stderr)
	}
	s := readReport(t, f.state)
	if s.Load != 3 || s.Settings.Strategy != "grid" || s.Settings.MinJobs != 2 || s.Settings.MaxJobs != 6 || len(s.Trials) != 2 {
		t.Errorf("resumed session: load %d, strategy %s, range %v, %d builds", s.Load, s.Settings.Strategy, s.Range(), len(s.Trials))
	}
	for _, c := range f.calls(t) {
		if !strings.Contains(c, "-l3") {
			t.Errorf("a build ran without the saved -l3: %q", c)
		}
	}
	if !strings.Contains(stderr, "resuming "+f.state+": 1 build done") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestTwoSessionsCannotShareAState(t *testing.T) {
	f := newFixture(t)
	first, _, _ := f.start(t, []string{"HANG_ON_CALL=1"}, "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	defer func() {
		first.Process.Signal(syscall.SIGINT)
		first.Wait()
	}()
	waitFile(t, filepath.Join(f.dir, "hung.pgid"))
	_, stderr, code := f.jtune(t, nil, "--sample-interval", "50ms", "--state", f.state, "--", "./make")
	if code != 1 || !strings.Contains(stderr, "another jtune is using "+f.state) {
		t.Errorf("second session: exit %d, %s", code, stderr)
	}
}
