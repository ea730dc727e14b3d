package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAFailedStartLeavesTheStateAlone starts sessions that cannot start,
// over the state file of a good earlier session: the file must stay
// byte for byte as it was, with no backup made.
func TestAFailedStartLeavesTheStateAlone(t *testing.T) {
	f := newFixture(t)
	t.Setenv("STATE", f.state)
	make := filepath.Join(f.dir, "make")
	if _, stderr, code := runInProcess("--no-host-check", "--budget", "1", "--sample-interval", "50ms", "--state", f.state, "--", make); code != 0 {
		t.Fatalf("the good session exited %d: %s", code, stderr)
	}
	good, err := os.ReadFile(f.state)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  string
		args []string
		code int
		want string
	}{
		{"a command that does not exist", "", []string{"--", filepath.Join(f.dir, "nosuch")}, 2, "cannot run"},
		{"a failing --prepare", "", []string{"--prepare", "exit 3", "--", make}, 1, `prepare command "exit 3" failed`},
		{"a failing first build", "FAIL=1", []string{"--", make}, 1, "the first build (-j"},
		{"a plot that cannot be written", "", []string{"--plot", "/nonexistent/dir/x.png", "--", make}, 2, "--plot /nonexistent/dir/x.png cannot be written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("FAIL", strings.TrimPrefix(tt.env, "FAIL="))
			if tt.env == "" {
				os.Unsetenv("FAIL")
			}
			args := append([]string{"--no-host-check", "--sample-interval", "50ms", "--state", f.state}, tt.args...)
			_, stderr, code := runInProcess(args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tt.code, tt.want)
			}
			if now, _ := os.ReadFile(f.state); !bytes.Equal(now, good) {
				t.Error("the earlier session's state file changed")
			}
			if baks, _ := filepath.Glob(f.state + ".bak*"); len(baks) > 0 {
				t.Errorf("a failed start made backups %v", baks)
			}
			if _, err := os.Stat(f.state + ".lock"); err == nil {
				t.Error("a failed start left the lock file")
			}
		})
	}
}
