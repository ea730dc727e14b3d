package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recommend runs jtune recommend in process, in an empty directory, so
// that no jtune-state.json of the developer's is taken as the session.
func recommend(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	if wd, _ := os.Getwd(); !strings.HasPrefix(wd, os.TempDir()) {
		t.Chdir(t.TempDir())
	}
	var out, errb bytes.Buffer
	err = run(append([]string{"recommend"}, args...), &out, &errb)
	return out.String(), errb.String(), err
}

func TestRecommendFromTheFormula(t *testing.T) {
	dir := t.TempDir()
	// The seed's farm: distcc has 2 + 4 + 4 slots, below N0 = 13 when
	// this machine counts as 2 cores, so the slots cap the answer.
	stdout, stderr, err := recommend(t, "--hosts", "localhost/2 127.0.0.2 127.0.0.3", "--no-host-check", "--cores", "2", "--load", "2",
		"--makeconf", filepath.Join(dir, "make.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(stdout, "MAKEOPTS=\"-j10 -l2\"\n") || !strings.Contains(stdout, "rule: the formula N0 = 2 x (") || !strings.Contains(stdout, "capped by distcc's 10 slots") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "make.conf could not be read") {
		t.Errorf("a missing --makeconf given explicitly should be reported:\n%s", stderr)
	}
}

func TestRecommendRejectsCountsThatWouldOverflow(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want []string // in the error
	}{
		// The host list: N0 wrapped to -3 and MAKEOPTS to "-j-3 -l2".
		{[]string{"--hosts", "127.0.0.2/9223372036854775807 127.0.0.3/9223372036854775807"},
			[]string{`--hosts: bad host "127.0.0.2/9223372036854775807"`, "allowed are 1 to 4096"}},
		// --cores has no cap of its own; the sum is checked instead.
		{[]string{"--hosts", "127.0.0.2 127.0.0.3", "--cores", "4611686018427387903"},
			[]string{"--cores 4611686018427387903", "sum too large"}},
	}
	for _, tt := range tests {
		args := append(tt.args, "--no-host-check", "--makeconf", filepath.Join(dir, "none"))
		stdout, _, err := recommend(t, args...)
		var ue usageError
		if !errors.As(err, &ue) || stdout != "" {
			t.Errorf("recommend %q: %v, stdout %q; want a usage error and no MAKEOPTS", tt.args, err, stdout)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("recommend %q: %v; want it to contain %q", tt.args, err, w)
			}
		}
	}
}

func TestRecommendFromAFinishedSession(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state.json")
	if err := os.WriteFile(state, data, 0o644); err != nil {
		t.Fatal(err)
	}
	hosts := "--randomize localhost/2 127.0.0.2,lzo 127.0.0.3,lzo"
	stdout, _, err := recommend(t, "--hosts", hosts, "--no-host-check", "--state", state, "--makeconf", filepath.Join(dir, "none"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "rule: the tuning session in "+state+" (5 builds") || !strings.HasSuffix(stdout, "MAKEOPTS=\"-j40 -l2\"\n") {
		t.Errorf("stdout:\n%s", stdout)
	}
	// The same hosts in another order and without --randomize: the same farm.
	stdout, _, err = recommend(t, "--hosts", "127.0.0.3,lzo localhost/2 127.0.0.2,lzo", "--no-host-check", "--state", state, "--makeconf", filepath.Join(dir, "none"))
	if err != nil || !strings.HasSuffix(stdout, "MAKEOPTS=\"-j40 -l2\"\n") {
		t.Errorf("the session was not used for the same hosts spelled differently: %v\n%s", err, stdout)
	}
	// Another farm: the session says nothing about it, and --state named it.
	_, _, err = recommend(t, "--hosts", "localhost/2", "--no-host-check", "--state", state, "--makeconf", filepath.Join(dir, "none"))
	if err == nil || !strings.Contains(err.Error(), "was tuned for other hosts") {
		t.Errorf("a session for other hosts: %v", err)
	}
}

// TestRecommendSaysWhatItUsed: without --state, a default state file that
// cannot be used is named with the reason, and the formula answers; an
// explicit --state that cannot be used is an error.
func TestRecommendSaysWhatItUsed(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--hosts", "localhost/2", "--no-host-check", "--makeconf", filepath.Join(dir, "none")}
	stdout, stderr, err := recommend(t, args...)
	if err != nil || !strings.Contains(stderr, "no tuning session used: there is no state file jtune-state.json") || !strings.Contains(stdout, "rule: the formula") {
		t.Errorf("default state missing: %v\nstdout %s\nstderr %s", err, stdout, stderr)
	}
	for _, state := range []string{"nosuch.json", corrupt} {
		if _, _, err := recommend(t, append(args, "--state", state)...); err == nil || !strings.Contains(err.Error(), "--state "+state) {
			t.Errorf("--state %s: %v", state, err)
		}
	}
}

func TestRecommendWarnsAndWritesMakeConf(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "make.conf")
	original := "# Gentoo\nCFLAGS=\"-O2 -pipe -march=native\"\nCXXFLAGS=\"${CFLAGS}\"\nFEATURES=\"distcc\"\nMAKEOPTS=\"-j4\"\nUSE=\"X\"\n"
	if err := os.WriteFile(conf, []byte(original), 0o640); err != nil {
		t.Fatal(err)
	}
	args := []string{"--hosts", "localhost/2 127.0.0.2/4", "--no-host-check", "--cores", "2", "--load", "2", "--makeconf", conf}

	stdout, stderr, err := recommend(t, append(args, "--write-makeconf="+conf, "--diff")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-march=native", "-l"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no warning about %s:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "-MAKEOPTS=\"-j4\"") || !strings.Contains(stdout, "+MAKEOPTS=\"-j") {
		t.Errorf("--diff shows no change of MAKEOPTS:\n%s", stdout)
	}
	if now, _ := os.ReadFile(conf); string(now) != original {
		t.Fatal("--diff wrote the file")
	}

	stdout, stderr, err = recommend(t, append(args, "--write-makeconf="+conf)...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	makeopts := lines[len(lines)-1] // MAKEOPTS="-jN -lM"
	now, _ := os.ReadFile(conf)
	if want := strings.Replace(original, `MAKEOPTS="-j4"`, makeopts, 1); string(now) != want {
		t.Errorf("make.conf is now\n%s\nwant\n%s", now, want)
	}
	if backup, _ := os.ReadFile(conf + ".bak"); string(backup) != original {
		t.Errorf("backup holds %q", backup)
	}
	if fi, _ := os.Stat(conf); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	if !strings.Contains(stderr, "the previous file is kept as "+conf+".bak") {
		t.Errorf("stderr does not name the backup:\n%s", stderr)
	}
}
