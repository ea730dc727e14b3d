package probe

import (
	"errors"
	"io"
	"os"

	"github.com/jtune/jtune/probe/distcc"
)

// distccRun is the distcc side of one build: a DISTCC_DIR of its own, the
// watch on its state files, and the part of DISTCC_LOG the build wrote.
type distccRun struct {
	env      []string // the build's environment, pointing at the DISTCC_DIR
	dir      string
	cleanup  func()
	log      string // DISTCC_LOG; "" when distcc writes to stderr
	logStart int64
	states   *distcc.StateWatcher
}

// startDistcc gives the build the same distcc state as every other: no
// backoff carried over from an earlier build, and a state directory whose
// files say where this build's compiles ran. The caller must call cleanup.
func startDistcc(env []string) (*distccRun, error) {
	env, dir, cleanup, err := distcc.PrepareDir(env)
	if err != nil {
		return nil, err
	}
	log := distcc.LogFile(env)
	return &distccRun{env: env, dir: dir, cleanup: cleanup, log: log, logStart: fileSize(log)}, nil
}

// watch starts reading the state files; call it just before the build
// starts, and finish or stopWatch after it.
func (d *distccRun) watch() { d.states = distcc.WatchState(d.dir) }

// stopWatch ends the watch of a build that did not start.
func (d *distccRun) stopWatch() { d.states.Stop() }

// finish ends the watch and adds what the build wrote to DISTCC_LOG to the
// counts of its stderr. It returns the compiles per host, the counts, and
// a warning when the log could not be read.
func (d *distccRun) finish(stderr distcc.Counts) (hostJobs map[string]int, counts distcc.Counts, logErr error) {
	hostJobs = d.states.Stop()
	if d.log == "" {
		return hostJobs, stderr, nil
	}
	logCounts, err := scanFileFrom(d.log, d.logStart)
	return hostJobs, stderr.Add(logCounts), err
}

func fileSize(path string) int64 {
	if path == "" {
		return 0
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// scanFileFrom counts the distcc lines a log file gained after offset.
func scanFileFrom(path string, offset int64) (distcc.Counts, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return distcc.Counts{}, nil // distcc had nothing to say
	}
	if err != nil {
		return distcc.Counts{}, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < offset {
		offset = 0 // truncated or rotated since the build started
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return distcc.Counts{}, err
	}
	s := distcc.NewScanner(0)
	if _, err := io.Copy(s, f); err != nil {
		return distcc.Counts{}, err
	}
	s.Flush()
	return s.Counts(), nil
}
