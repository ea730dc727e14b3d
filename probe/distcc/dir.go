package distcc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// This file gives every build the same distcc state.
//
// distcc remembers a host that failed in $DISTCC_DIR/lock/backoff_* and
// avoids it for DISTCC_BACKOFF_PERIOD (60 s). Carried from one build to
// the next, that memory makes a later build skip a host an earlier one
// saw fail, so the two are not measured on the same farm. A fresh
// DISTCC_DIR per build (or, when the user set DISTCC_DIR, removing the
// backoff files) puts every build on the same footing.

// PrepareDir makes the DISTCC_DIR one build uses and returns the
// environment that points at it, the directory, and a cleanup to call
// after the build.
//
// Without DISTCC_DIR in env, the build gets a new empty directory, with a
// copy of ~/.distcc/hosts when there is one, since distcc looks for its
// host list in $DISTCC_DIR/hosts. distcc does not create DISTCC_DIR
// itself (it fails with "mkdir .../lock failed"), so it is made here.
//
// With DISTCC_DIR set (Portage sets it to keep its own), that directory
// is kept, since something else may rely on it, and only its backoff
// files are removed.
func PrepareDir(env []string) (newEnv []string, dir string, cleanup func(), err error) {
	if d := getenv(env, "DISTCC_DIR"); d != "" {
		if err := clearBackoff(d); err != nil {
			return env, d, func() {}, err
		}
		return env, d, func() {}, nil
	}
	dir, err = os.MkdirTemp("", "jtune-distcc-")
	if err != nil {
		return env, "", func() {}, fmt.Errorf("making a DISTCC_DIR for the build: %w", err)
	}
	if home := getenv(env, "HOME"); home != "" {
		if data, err := os.ReadFile(filepath.Join(home, ".distcc", "hosts")); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "hosts"), data, 0o644)
		}
	}
	newEnv = append(append([]string(nil), env...), "DISTCC_DIR="+dir)
	return newEnv, dir, func() { os.RemoveAll(dir) }, nil
}

// ForgetFailures removes distcc's backoff timefiles from the DISTCC_DIR
// dir, so that its clients try every host again at once, as after a
// fresh start: a running build's way out of a failure cascade once it
// runs fewer jobs.
func ForgetFailures(dir string) error { return clearBackoff(dir) }

// clearBackoff removes distcc's backoff timefiles from dir/lock, so a
// host that failed in an earlier build is tried again from the start.
func clearBackoff(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "lock", "backoff_*"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("clearing distcc's backoff before the build: %w", err)
		}
	}
	return nil
}

// LogFile is $DISTCC_LOG in env: the file distcc writes its messages to
// instead of stderr, or "" when they go to stderr.
func LogFile(env []string) string {
	return getenv(env, "DISTCC_LOG")
}

// getenv looks key up in env as the process will see it: the last value wins.
func getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}
