package makeconf

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jtune/jtune/cmd/jtune/internal/atomicfile"
)

// writeHint is appended to write errors because the usual cause is running
// jtune as a normal user against /etc/portage.
const writeHint = "run as root or pass --write-makeconf PATH to a writable copy"

// LoadForWrite is Load for the make.conf jtune is about to write. When
// nothing exists at path yet, it returns an empty make.conf file there:
// SetMakeopts then gives just the MAKEOPTS assignment with a nil before,
// and Write creates the file. The directory must exist; if it does not,
// the error names it and says what to do, before anything is computed.
func LoadForWrite(path string) (*Conf, error) {
	st, err := os.Lstat(path)
	if err == nil && st.Mode()&fs.ModeSymlink != 0 {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			// Creating the file would replace the link.
			target, _ := os.Readlink(path)
			return nil, fmt.Errorf("%s is a symbolic link to %s: %w; create the target or pass another --write-makeconf path",
				path, target, pathErrCause(err))
		}
	}
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return Load(path)
	}
	if err := checkParent(path); err != nil {
		return nil, err
	}
	return &Conf{path: path, vars: map[string]string{}, files: []*file{{path: path}}}, nil
}

// checkParent reports, in words that say how to fix it, why a file cannot
// be created at path; the usual cause is a mistyped directory.
func checkParent(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("create %s: directory %s: %w; create the directory (mkdir -p %s) or pass another --write-makeconf path",
			path, dir, pathErrCause(err), dir)
	case errors.Is(err, syscall.ENOTDIR) || err == nil && !st.IsDir():
		return fmt.Errorf("create %s: %s: %w; pass another --write-makeconf path", path, dir, syscall.ENOTDIR)
	case err != nil:
		return fmt.Errorf("create %s: %w; %s", path, err, writeHint)
	}
	return nil
}

// pathErrCause drops the operation and path of a *fs.PathError when the
// message names the path already.
func pathErrCause(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// fail words an error of step what, adding writeHint when the cause is one
// the user fixes by running as root or by writing elsewhere.
func fail(what string, err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) ||
		errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s make.conf: %w; %s", what, err, writeHint)
	}
	return fmt.Errorf("%s make.conf: %w", what, err)
}

// Write writes after to path, a file SetMakeopts named, without ever
// leaving a half-written make.conf, and returns where the previous content
// is kept.
//
// It refuses with ErrChanged if the file no longer holds before, because
// writing then would discard somebody else's edit. It keeps the original
// in the first free backup name with the same mode and owner, then writes
// a temporary file in the same directory, fsyncs it, gives it the
// original's mode and owner, renames it over path and fsyncs the
// directory. A symlinked path is written through to its target so the
// link survives. On error the original is untouched.
//
// Backups are named path.bak, path.bak.1, ... When c was loaded from a
// directory and path lies inside it, at any depth, the names end in "~"
// instead (path.bak~, path.bak.1~): Portage reads every other file of the
// tree, and a backup, sorting right after the edited file, would bring
// the old MAKEOPTS back.
//
// A nil before means path did not exist when c was loaded: Write creates
// it with mode 0644 and no backup, and refuses with ErrChanged if a file
// has appeared there since.
//
// backup is "" when path was created or already held after.
func (c *Conf) Write(path string, before, after []byte) (backup string, err error) {
	// Portage reads the path it was given; the backup goes beside the
	// symlink's target, which may lie in the tree Portage reads too.
	tilde := c.inDir(path)
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
		tilde = tilde || c.inDir(path)
	}
	if before == nil {
		return "", create(path, after)
	}
	cur, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s: %w (it was removed); run jtune again", path, ErrChanged)
	case err != nil:
		return "", fail("read", err)
	case !bytes.Equal(cur, before):
		return "", fmt.Errorf("%s: %w; run jtune again to recompute the change", path, ErrChanged)
	case bytes.Equal(before, after):
		return "", nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fail("stat", err)
	}
	mode := st.Mode().Perm()
	uid, gid := -1, -1
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		uid, gid = int(sys.Uid), int(sys.Gid)
	}
	if backup, err = writeBackup(path, tilde, cur, mode, uid, gid); err != nil {
		return "", fail("back up", err)
	}
	if err := atomicfile.Replace(path, after, mode, uid, gid); err != nil {
		os.Remove(backup) // The original is untouched, so the copy is not needed.
		return "", fail("write", err)
	}
	return backup, nil
}

// inDir reports whether Portage reads path as one file of a make.conf
// directory, where it reads every file whose name does not start with "."
// or end in "~". That is any file at any depth of the directory c was
// loaded from; for a c loaded from a single file, one that lies somewhere
// below a directory named make.conf, because pointed at one file of
// /etc/portage/make.conf/ jtune still writes into the tree Portage reads.
func (c *Conf) inDir(path string) bool {
	p, err := filepath.Abs(path)
	if err != nil {
		return true // Cannot tell; "~" is harmless outside a directory.
	}
	if !c.dir {
		for d := filepath.Dir(p); d != filepath.Dir(d); d = filepath.Dir(d) {
			if filepath.Base(d) == "make.conf" {
				return true
			}
		}
		return false
	}
	dir, err := filepath.Abs(c.path)
	if err != nil {
		return true
	}
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// writeBackup copies data to the first free name of path.bak, path.bak.1,
// ... (each ending in "~" when tilde is set) and returns it.
func writeBackup(path string, tilde bool, data []byte, mode fs.FileMode, uid, gid int) (string, error) {
	end := ""
	if tilde {
		end = "~"
	}
	for i := 0; ; i++ {
		name := path + ".bak" + end
		if i > 0 {
			name = fmt.Sprintf("%s.bak.%d%s", path, i, end)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := atomicfile.WriteSync(f, data, mode, uid, gid); err != nil {
			os.Remove(name)
			return "", err
		}
		return name, nil
	}
}

// create makes a new file at path holding data, atomically and only if
// nothing is there: data goes to a temporary file (its name starts with
// ".", so Portage skips a leftover) that is then hard-linked to path,
// which fails if path exists. A file system without hard links gets a
// rename after a last check instead.
func create(path string, data []byte) error {
	if err := checkParent(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".jtune-*")
	if err != nil {
		return fail("create", err)
	}
	defer os.Remove(tmp.Name()) // After Link, path keeps the data.
	if err := atomicfile.WriteSync(tmp, data, 0o644, -1, -1); err != nil {
		return fail("create", err)
	}
	err = os.Link(tmp.Name(), path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		if _, lerr := os.Lstat(path); errors.Is(lerr, fs.ErrNotExist) {
			err = os.Rename(tmp.Name(), path)
		} else {
			err = fs.ErrExist
		}
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w (it was created meanwhile); run jtune again", path, ErrChanged)
	}
	if err != nil {
		return fail("create", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // The file exists; only durability of its name is at stake.
		d.Close()
	}
	return nil
}
