package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/jtune/jtune/cmd/jtune/internal/atomicfile"
)

// Store is a state file held by one session. Every save replaces the file
// atomically, so a crash or power loss leaves either the previous version
// or the new one, never half of each.
type Store struct {
	path     string // as the user gave it, for messages
	resolved string // the file itself, symbolic links followed
	lock     *os.File
	// stale is what the lock file said when it was taken: the build a
	// jtune that died left running (see RunningBuild).
	stale []byte
	// rotate is set for a new session: its first save moves the file an
	// earlier session left there out of the way.
	rotate bool
	backup string // where that file went
}

// Create takes the state file at path for a new session. Nothing on disk
// changes until the first Save, which keeps the file an earlier session
// left there as PATH.bak (or .bak.1, ...), so a session that fails to
// start leaves that file as it was.
func Create(path string) (*Store, error) {
	s, err := open(path)
	if err != nil {
		return nil, err
	}
	s.rotate = true
	return s, nil
}

// Resume takes the state file at path to continue the session in it. The
// file is only read: if it cannot be used, it stays exactly as it was.
func Resume(path string) (*Store, *Record, error) {
	s, err := open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := Read(s.resolved)
	if err != nil {
		s.Close()
		if errors.Is(err, ErrNoFile) {
			return nil, nil, fmt.Errorf("%s: %w", path, ErrNoFile)
		}
		return nil, nil, err
	}
	return s, r, nil
}

// open locks the state file and removes what a killed session left
// behind. The lock is on the file itself, symbolic links followed, so two
// names for one file cannot be used at once.
func open(path string) (*Store, error) {
	resolved, err := resolve(path)
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	s := &Store{path: path, resolved: resolved}
	if s.lock, err = lock(resolved); err != nil {
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("another jtune is using %s (it holds %s.lock); wait for it or pass another --state", path, resolved)
		}
		return nil, fmt.Errorf("state file lock: %w", err)
	}
	s.removeStaleTemps()
	if data, err := io.ReadAll(s.lock); err == nil && len(data) > 0 {
		s.stale = data
	}
	return s, nil
}

// resolve follows symbolic links to the state file, or to its directory
// when the file does not exist yet.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// A dangling link: the session's file is its target.
		target, err := os.Readlink(abs)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		return resolve(target)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

var errLocked = errors.New("locked")

// lock takes an exclusive flock on PATH.lock. Close removes the lock file;
// a process that opened it just before, and locks it after, would hold a
// lock on a file no longer there, so the lock counts only while the name
// still points at the locked file.
func lock(path string) (*os.File, error) {
	for range 10 {
		f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, errLocked
			}
			return nil, err
		}
		held, err1 := f.Stat()
		named, err2 := os.Stat(path + ".lock")
		if err1 == nil && err2 == nil && os.SameFile(held, named) {
			return f, nil
		}
		f.Close() // the file was removed and made anew: lock the new one
	}
	return nil, errLocked
}

// tempPattern is the name atomicfile gives its temporary files beside the
// state file.
func (s *Store) tempPattern() string {
	return filepath.Join(filepath.Dir(s.resolved), "."+filepath.Base(s.resolved)+".jtune-*")
}

// removeStaleTemps removes temporary files of this state file that a
// killed session left: while the lock is held nobody else writes them.
func (s *Store) removeStaleTemps() {
	stale, _ := filepath.Glob(s.tempPattern())
	for _, name := range stale {
		_ = os.Remove(name)
	}
}

// Path is the state file's name as given.
func (s *Store) Path() string { return s.path }

// Backup is where the first save moved the file an earlier session left,
// or "" when there was none.
func (s *Store) Backup() string { return s.backup }

// Save writes r.
func (s *Store) Save(r *Record) error {
	if s.rotate {
		if err := s.keepEarlier(); err != nil {
			return err
		}
		s.rotate = false
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the state: %w", err)
	}
	if err := atomicfile.Replace(s.resolved, append(data, '\n'), 0o644, -1, -1); err != nil {
		return fmt.Errorf("saving the state: %w", err)
	}
	return nil
}

// keepEarlier moves a file already at the path, an earlier session's, to
// the first free PATH.bak, PATH.bak.1, ... so nothing the user had is
// lost.
func (s *Store) keepEarlier() error {
	if _, err := os.Lstat(s.resolved); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	for i := 0; i < 1000; i++ {
		name := s.resolved + ".bak"
		if i > 0 {
			name += "." + strconv.Itoa(i)
		}
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			if err := os.Rename(s.resolved, name); err != nil {
				return fmt.Errorf("keeping the earlier state file: %w", err)
			}
			s.backup = name
			return nil
		}
	}
	return fmt.Errorf("state file: no free backup name for %s (clean up %s.bak*)", s.path, s.resolved)
}

// RunningBuild records, in the lock file, the build that is running now
// (v, as JSON), so that a jtune that resumes after this one died can stop
// what it left. nil clears it.
func (s *Store) RunningBuild(v any) error {
	var data []byte
	if v != nil {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return err
		}
	}
	if err := s.lock.Truncate(0); err != nil {
		return fmt.Errorf("recording the running build: %w", err)
	}
	if _, err := s.lock.WriteAt(data, 0); err != nil {
		return fmt.Errorf("recording the running build: %w", err)
	}
	return s.lock.Sync()
}

// StaleBuild reads into v the build that the lock file recorded when this
// Store took it: one a jtune that died left running. ok is false when
// there was none.
func (s *Store) StaleBuild(v any) (ok bool) {
	return s.stale != nil && json.Unmarshal(s.stale, v) == nil
}

// Close releases the lock and removes the lock file.
func (s *Store) Close() error {
	if s.lock == nil {
		return nil
	}
	_ = os.Remove(s.resolved + ".lock")
	err := s.lock.Close()
	s.lock = nil
	return err
}
