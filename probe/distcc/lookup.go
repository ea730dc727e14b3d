package distcc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// LookupHosts finds the host list the way distcc does (dcc_get_hostlist):
// $DISTCC_HOSTS, then $DISTCC_DIR/hosts (DISTCC_DIR defaults to
// $HOME/.distcc), then etcDir/distcc/hosts. jtune must look where distcc
// will, or it would tune for a farm the build never uses; Portage, for
// example, sets DISTCC_DIR to /var/tmp/portage/.distcc.
//
// getenv is injected so tests, and callers reproducing another process's
// environment, need not touch the real one. etcDir is normally "/etc" (""
// means "/etc"); distcc builds with a different SYSCONFDIR need theirs.
//
// It returns the spec text and where it came from ("$DISTCC_HOSTS" or the
// file's path). found is false when no source exists; jtune then uses the
// local machine alone. getenv cannot tell an unset variable from an empty
// one, so an empty $DISTCC_HOSTS counts as unset, whereas distcc would stop
// there and fail. Unlike distcc, which silently skips a file it cannot
// read, such a file is reported as an error (wrapping the os error), since
// skipping it would tune for a different host list than the user's.
func LookupHosts(getenv func(string) string, etcDir string) (spec, source string, found bool, err error) {
	if v := getenv("DISTCC_HOSTS"); v != "" {
		return v, "$DISTCC_HOSTS", true, nil
	}
	var paths []string
	dir := getenv("DISTCC_DIR")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".distcc")
		}
	}
	if dir != "" {
		paths = append(paths, filepath.Join(dir, "hosts"))
	}
	if etcDir == "" {
		etcDir = "/etc"
	}
	paths = append(paths, filepath.Join(etcDir, "distcc", "hosts"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		switch {
		case err == nil:
			return string(b), p, true, nil
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			// ENOTDIR: DISTCC_DIR names a file; distcc's access() skips it too.
			continue
		default:
			return "", p, false, fmt.Errorf("reading distcc host list: %w", err)
		}
	}
	return "", "", false, nil
}
