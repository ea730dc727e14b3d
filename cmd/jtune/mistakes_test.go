package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewcomerMistakes runs, through run, the command lines a new user
// gets wrong (and jtune help): each is caught with the hint the user
// needs, or warned about while the session goes on, and a line that is
// refused runs no build.
func TestNewcomerMistakes(t *testing.T) {
	f := newFixture(t)
	make := filepath.Join(f.dir, "make")
	conf := filepath.Join(f.dir, "mc.conf")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string // each in stderr
		stdout string   // in stdout
	}{
		{"a path after --write-makeconf with a space", []string{"--write-makeconf", conf, "--", make}, 2,
			[]string{"--write-makeconf takes its path after =: --write-makeconf=" + conf, "Run 'jtune --help' for usage."}, ""},
		{"a prepare command without quotes", []string{"--prepare", "make", "clean", "--", make}, 2,
			[]string{`"clean" is not a flag; quote a command of several words: --prepare "make clean"`}, ""},
		{"a word before -- that is no flag", []string{"make", "--", make}, 2,
			[]string{`"make" is not a flag; the command to tune goes after --`}, ""},
		{"recommend with a path after a space", []string{"recommend", "--no-host-check", "--write-makeconf", conf}, 2,
			[]string{"--write-makeconf takes its path after =", "Run 'jtune recommend --help' for usage."}, ""},
		{"a subcommand's unknown flag points at its help", []string{"simulate", "--farms", "seed"}, 2,
			[]string{"unknown flag: --farms", "Run 'jtune simulate --help' for usage."}, ""},
		{"jtune help", []string{"help"}, 0, nil, "Usage:\n  jtune [flags] -- COMMAND"},
		{"jtune help recommend", []string{"help", "recommend"}, 0, nil, "jtune recommend prints"},
		{"jtune help of no command", []string{"help", "tune"}, 2, []string{`jtune has no command "tune"`}, ""},
		{"the command's own -j", []string{"--no-host-check", "--budget", "1", "--", make, "-j4"}, 0,
			[]string{"warning: the command's own -j4 is overridden by the -jN jtune appends"}, "MAKEOPTS="},
		{"a host listed twice", []string{"--hosts", "localhost/2 localhost/2", "--budget", "1", "--", make}, 0,
			[]string{"warning: distcc host localhost is listed more than once"}, "MAKEOPTS="},
		{"a make.conf to write that does not exist yet", []string{"--no-host-check", "--budget", "1", "--write-makeconf=" + conf, "--", make}, 0,
			[]string{"jtune: created " + conf + " with MAKEOPTS="}, "MAKEOPTS="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(filepath.Join(f.dir, "calls"))
			args := tt.args
			if len(args) > 0 && args[0] != "help" && args[0] != "recommend" && args[0] != "simulate" {
				args = append([]string{"--state", f.state, "--max-temp", "0", "--sample-interval", "50ms"}, args...)
			}
			stdout, stderr, code := runInProcess(args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout)
			}
			if _, err := os.Stat(filepath.Join(f.dir, "calls")); (err == nil) != (tt.code == 0 && tt.args[0] != "help") {
				t.Errorf("a build ran: %v; want one only for a session that starts", err == nil)
			}
		})
	}
}
