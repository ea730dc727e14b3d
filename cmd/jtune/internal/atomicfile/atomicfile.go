// Package atomicfile replaces files so that a crash or power loss leaves
// either the old content or the new one, never a mix: jtune's state file
// after every build, and make.conf.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Replace writes data to a temporary file beside path, makes it durable
// with mode and owner set (uid < 0 leaves the owner to the creating user),
// renames it over path and syncs the directory so the rename survives a
// power loss. The temporary name starts with a dot, so Portage, which
// reads every file of a make.conf directory, skips a leftover one.
func Replace(path string, data []byte, mode fs.FileMode, uid, gid int) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".jtune-*")
	if err != nil {
		return err
	}
	if err := WriteSync(tmp, data, mode, uid, gid); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil // The rename happened; only durability is uncertain.
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}

// WriteSync writes data to f, sets mode and owner (the umask and the
// creating user would otherwise decide them), syncs and closes it. A
// chown that is not permitted is not an error: only root can give a file
// away, and then it keeps the writer's ownership.
func WriteSync(f *os.File, data []byte, mode fs.FileMode, uid, gid int) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil && uid >= 0 {
		if cerr := f.Chown(uid, gid); cerr != nil && !errors.Is(cerr, fs.ErrPermission) {
			err = cerr
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// CheckWritable reports whether a file can be written at path the way
// Replace writes it: a new file in its directory. Checked before a night
// of builds, it keeps the night from ending in an error; the error names
// the directory and why.
func CheckWritable(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".jtune-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("directory %s: %w", filepath.Dir(pe.Path), pe.Err)
		}
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
