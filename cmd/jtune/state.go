package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// stateFile is the session's state on disk. Every save replaces the file
// atomically, so a crash or power loss leaves either the previous version
// or the new one, never half of each.
type stateFile struct {
	path   string
	backup string // where an earlier session's file was moved, if there was one
}

// openState prepares path for this session. A file already there belongs
// to an earlier session: it is moved to the first free PATH.bak, PATH.bak.1,
// ... so nothing the user had is lost.
func openState(path string) (*stateFile, error) {
	s := &stateFile{path: path}
	if _, err := os.Lstat(path); err == nil {
		if s.backup, err = freeBackupName(path); err != nil {
			return nil, err
		}
		if err := os.Rename(path, s.backup); err != nil {
			return nil, fmt.Errorf("keeping the earlier state file: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
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
	if err := writeFileAtomic(s.path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it,
// renames it over path and syncs the directory, so the rename survives a
// power loss.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err = tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
