package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
	"github.com/jtune/jtune/tuner"
)

// onlineMakefile is a tree of n compile-like targets that each echo a
// compiler command (as make does) and take secs; FAIL_AT makes one fail.
func onlineMakefile(t *testing.T, n int, secs string) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("all:")
	for i := range n {
		fmt.Fprintf(&b, " o%d", i)
	}
	b.WriteString("\n\t@echo cc -o all o*.o\n")
	for i := range n {
		fmt.Fprintf(&b, "o%d:\n\t@echo cc -c -o o%d.o s%d.c; sleep %s; test \"$$FAIL_AT\" != %d\n", i, i, i, secs, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// makes are the makes online tuning is tested with: make 4.3 serves the
// pipe form, make 4.4 the fifo form.
func onlineMakes(t *testing.T) map[string]string {
	t.Helper()
	makes := map[string]string{"make 4.3 (pipe)": "make"}
	if p, err := exec.LookPath("make-4.4"); err == nil {
		makes["make 4.4 (fifo)"] = p
	} else if os.Getenv("CI") == "true" {
		t.Fatal("CI=true and make-4.4 is missing (.ci/newer-tools.sh builds it)")
	} else {
		t.Log("make-4.4 not installed: only the pipe form is tested")
	}
	return makes
}

// TestOnlineSessionEndToEnd runs jtune --online on a real make, in
// process, and checks the session it leaves: one build, windows at
// several N, a recommendation that jtune recommend then takes.
func TestOnlineSessionEndToEnd(t *testing.T) {
	for name, mk := range onlineMakes(t) {
		t.Run(name, func(t *testing.T) {
			dir := onlineMakefile(t, 120, "0.2")
			state := filepath.Join(t.TempDir(), "state.json")
			stdout, stderr, code := runInProcess("--online", "--hosts", "localhost/4", "--no-host-check", "--max-temp", "0",
				"--sample-interval", "100ms", "--state", state, "--json", "--", mk, "-C", dir)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var r session.Record
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
			}
			on := r.Online
			if on == nil || on.ExitCode != 0 || on.JobsCompleted < 100 || len(on.Windows) < 2 || len(r.Trials) != 0 {
				t.Fatalf("online record: %+v", on)
			}
			ns := map[int]bool{}
			for _, w := range on.Windows {
				ns[w.Jobs] = true
			}
			if len(ns) < 2 {
				t.Errorf("every window at one N: %+v", on.Windows)
			}
			if r.Recommended == nil || r.Settings.Strategy != session.StrategyOnline || !strings.Contains(stderr, "one build under jtune's jobserver") {
				t.Errorf("recommended %+v, strategy %s\n%s", r.Recommended, r.Settings.Strategy, stderr)
			}
			// The build's own output went to stderr with --json.
			if !strings.Contains(stderr, "cc -c -o o7.o s7.c") {
				t.Errorf("the build's output is missing:\n%s", stderr)
			}
			out, _, err := recommend(t, "--hosts", "localhost/4", "--no-host-check", "--state", state)
			if err != nil || !strings.Contains(out, "the tuning session in "+state) || !strings.HasSuffix(out, fmt.Sprintf("MAKEOPTS=\"%s\"\n", r.MakeOpts)) {
				t.Errorf("jtune recommend on the online session: %v\n%s", err, out)
			}
		})
	}
}

// TestOnlineBuildFailsWithItsStatus: a failing build's exit code is
// jtune's, after the report, and the windows before it are kept.
func TestOnlineBuildFailsWithItsStatus(t *testing.T) {
	dir := onlineMakefile(t, 60, "0.1")
	state := filepath.Join(t.TempDir(), "state.json")
	t.Setenv("FAIL_AT", "40")
	_, stderr, code := runInProcess("--online", "--hosts", "localhost/4", "--no-host-check", "--max-temp", "0",
		"--sample-interval", "100ms", "--state", state, "--", "make", "-C", dir)
	if code != 2 || !strings.Contains(stderr, "the build failed with exit code 2") {
		t.Errorf("exit %d, want make's 2\n%s", code, stderr)
	}
	r := readReport(t, state)
	if r.Outcome != session.OutcomeBuildFailed || r.Online == nil || r.Online.ExitCode != 2 {
		t.Errorf("state: outcome %s, online %+v", r.Outcome, r.Online)
	}
}

// TestOnlineTimeout: --timeout stops the one build; jtune exits 1 and
// the state says why, with the windows measured before.
func TestOnlineTimeout(t *testing.T) {
	dir := onlineMakefile(t, 40, "1")
	state := filepath.Join(t.TempDir(), "state.json")
	_, stderr, code := runInProcess("--online", "--hosts", "localhost/4", "--no-host-check", "--max-temp", "0",
		"--sample-interval", "100ms", "--timeout", "2s", "--state", state, "--", "make", "-C", dir)
	if code != 1 || !strings.Contains(stderr, "the build ran longer than --timeout 2s and was stopped") {
		t.Errorf("exit %d, want 1 and the reason\n%s", code, stderr)
	}
	r := readReport(t, state)
	if r.Outcome != session.OutcomeTimedOut || r.Online == nil || r.Online.BuildSeconds >= 10 {
		t.Errorf("state: outcome %s, online %+v", r.Outcome, r.Online)
	}
}

// TestOnlineRefusals: what cannot run under jtune's jobserver is refused
// before anything starts, with exit 2.
func TestOnlineRefusals(t *testing.T) {
	dir := onlineMakefile(t, 2, "0")
	state := filepath.Join(t.TempDir(), "state.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a -j of its own", []string{"--", "make", "-C", dir, "-j4"}, "-j4"},
		{"a placeholder", []string{"--", "sh", "-c", "make -C " + dir + " -j{N}"}, "{N}"},
		{"a prepare step", []string{"--prepare", "true", "--", "make", "-C", dir}, "run \"true\" before jtune"},
		{"resume", []string{"--resume", "--", "make", "-C", dir}, "an --online session is one build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--online", "--no-host-check", "--state", state}, tt.args...)
			_, stderr, code := runInProcess(args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want 2 and %q:\n%s", code, tt.want, stderr)
			}
			if _, err := os.Stat(state); err == nil {
				t.Error("a refused session wrote a state file")
			}
		})
	}
}

// TestFromAnOnlineSession confirms an online session with full builds:
// the offline session starts at the online recommendation, searches
// around it and spends three builds unless told otherwise; what is not a
// finished online session for the same hosts is refused.
func TestFromAnOnlineSession(t *testing.T) {
	dir := onlineMakefile(t, 60, "0.1")
	tmp := t.TempDir()
	online, offline := filepath.Join(tmp, "online.json"), filepath.Join(tmp, "offline.json")
	common := []string{"--hosts", "localhost/4", "--no-host-check", "--max-temp", "0", "--sample-interval", "100ms"}
	if _, stderr, code := runInProcess(append(common, "--online", "--state", online, "--", "make", "-C", dir)...); code != 0 {
		t.Fatalf("online session: exit %d\n%s", code, stderr)
	}
	first := readReport(t, online)

	_, stderr, code := runInProcess(append(common, "--from", online, "--state", offline, "--", "make", "-C", dir)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	r := readReport(t, offline)
	n := first.Recommended.Jobs
	want := tuner.ConfirmRange(*first.Recommended, tuner.DefaultRange(first.FormulaJobs, runtime.NumCPU(), first.SlotSum))
	switch {
	case r.From == nil || r.From.State != online || r.From.OnlineJobs != n:
		t.Errorf("from = %+v, want the online session's -j%d", r.From, n)
	case len(r.Trials) == 0 || r.Trials[0].Jobs != n || r.StartJobs != n:
		t.Errorf("the search started at -j%d (first build %+v), want the online -j%d", r.StartJobs, r.Trials, n)
	case r.Settings.Budget != tuner.ConfirmBudget || len(r.Trials) > tuner.ConfirmBudget:
		t.Errorf("budget %d, %d builds; want at most %d", r.Settings.Budget, len(r.Trials), tuner.ConfirmBudget)
	case r.Range() != want:
		t.Errorf("range %v, want %v around the online result", r.Range(), want)
	case !strings.Contains(stderr, "confirming the online session in "+online):
		t.Errorf("stderr does not say where the session started:\n%s", stderr)
	}

	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"an offline session", []string{"--from", offline}, "is an offline one"},
		{"no such file", []string{"--from", filepath.Join(tmp, "none.json")}, "there is no state file"},
		{"other hosts", []string{"--from", online, "--hosts", "localhost/2"}, "tuned for other hosts"},
		{"with --online", []string{"--from", online, "--online"}, "leave out --online"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state.json")
			args := append(append(common, "--state", state), tt.args...)
			_, stderr, code := runInProcess(append(args, "--", "make", "-C", dir)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want 2 and %q:\n%s", code, tt.want, stderr)
			}
		})
	}
}
