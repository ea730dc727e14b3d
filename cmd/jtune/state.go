package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"github.com/jtune/jtune/cmd/jtune/internal/atomicfile"
)

// stateFile is the session's state on disk. Every save replaces the file
// atomically, so a crash or power loss leaves either the previous version
// or the new one, never half of each.
type stateFile struct {
	path   string
	backup string   // where an earlier session's file was moved, if there was one
	lock   *os.File // held for the whole session; closing it releases the lock
}

// lockState takes an exclusive lock on PATH.lock, so two jtune processes
// never write the same state. The lock file itself stays: removing it
// would let a third process lock a different file of the same name.
func lockState(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state file lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another jtune is using %s (it holds %s.lock); wait for it or pass another --state", path, path)
		}
		return nil, fmt.Errorf("state file lock: %w", err)
	}
	return f, nil
}

// resumeState reads the state an interrupted session left. The file is
// only read: if it cannot be used, it stays exactly as it was.
func resumeState(path string) (*stateFile, *report, error) {
	lock, err := lockState(path)
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		lock.Close()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, usagef("--resume: there is no state file %s to resume; run without --resume to start a session", path)
		}
		return nil, nil, fmt.Errorf("--resume: %w", err)
	}
	var r report
	if err := json.Unmarshal(data, &r); err != nil || r.Version != reportVersion {
		lock.Close()
		why := fmt.Sprintf("version %d, not %d", r.Version, reportVersion)
		if err != nil {
			why = err.Error()
		}
		return nil, nil, fmt.Errorf("--resume: %s is not a jtune state file (%s); it was left untouched: move it away and run without --resume", path, why)
	}
	return &stateFile{path: path, lock: lock}, &r, nil
}

func (s *stateFile) close() {
	if s.lock != nil {
		s.lock.Close()
	}
}

// openState prepares path for this session. A file already there belongs
// to an earlier session: it is moved to the first free PATH.bak, PATH.bak.1,
// ... so nothing the user had is lost.
func openState(path string) (*stateFile, error) {
	lock, err := lockState(path)
	if err != nil {
		return nil, err
	}
	s := &stateFile{path: path, lock: lock}
	if _, err := os.Lstat(path); err == nil {
		if s.backup, err = freeBackupName(path); err != nil {
			s.close()
			return nil, err
		}
		if err := os.Rename(path, s.backup); err != nil {
			s.close()
			return nil, fmt.Errorf("keeping the earlier state file: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		s.close()
		return nil, fmt.Errorf("state file: %w", err)
	}
	return s, nil
}

func freeBackupName(path string) (string, error) {
	for i := 0; i < 1000; i++ {
		name := path + ".bak"
		if i > 0 {
			name += "." + strconv.Itoa(i)
		}
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name, nil
		}
	}
	return "", fmt.Errorf("state file: no free backup name for %s (clean up %s.bak*)", path, path)
}

func (s *stateFile) save(r *report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if err := atomicfile.Replace(s.path, append(data, '\n'), 0o644, -1, -1); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}
