package makeconf

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile is Write for a plain make.conf file at path that jtune loaded
// holding before (nil: it did not exist).
func writeFile(path string, before, after []byte) (string, error) {
	c, err := Parse(path, before)
	if err != nil {
		return "", err
	}
	return c.Write(path, before, after)
}

func TestWriteBackupAndMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "make.conf")
	orig := []byte("MAKEOPTS=\"-j4\"\n")
	if err := os.WriteFile(p, orig, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	after := []byte("MAKEOPTS=\"-j8 -l4\"\n")
	bak, err := writeFile(p, orig, after)
	if err != nil {
		t.Fatal(err)
	}
	if bak != p+".bak" {
		t.Errorf("backup = %q", bak)
	}
	checkFile(t, bak, orig, 0o640)
	checkFile(t, p, after, 0o640)

	// A second run must not overwrite the first backup.
	bak2, err := writeFile(p, after, orig)
	if err != nil {
		t.Fatal(err)
	}
	if bak2 != p+".bak.1" {
		t.Errorf("second backup = %q", bak2)
	}
	checkFile(t, bak, orig, 0o640)
	checkFile(t, bak2, after, 0o640)
	checkNoTemp(t, dir)
}

func TestWriteNewFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, OwnFile)
	bak, err := writeFile(p, nil, []byte("MAKEOPTS=\"-j2\"\n"))
	if err != nil || bak != "" {
		t.Fatalf("Write = %q, %v", bak, err)
	}
	checkFile(t, p, []byte("MAKEOPTS=\"-j2\"\n"), 0o644)
	checkNoTemp(t, dir)
}

func TestWriteOneFileOfAMakeConfDirectory(t *testing.T) {
	// Pointed at one file, jtune still writes into the tree Portage
	// reads whole, so the backup must be one Portage skips.
	dir := filepath.Join(t.TempDir(), "make.conf")
	mkTree(t, dir, map[string]string{"sub/10-opts": "MAKEOPTS=\"-j3\"\n"})
	p := filepath.Join(dir, "sub", "10-opts")
	bak, err := writeFile(p, []byte("MAKEOPTS=\"-j3\"\n"), []byte("MAKEOPTS=\"-j4\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if bak != p+".bak~" {
		t.Errorf("backup = %q, want %q", bak, p+".bak~")
	}
}

func TestWriteSymlinkKept(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.conf")
	link := filepath.Join(dir, "make.conf")
	orig := []byte("A=1\n")
	if err := os.WriteFile(target, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.conf", link); err != nil {
		t.Fatal(err)
	}
	bak, err := writeFile(link, orig, []byte("A=2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("symlink replaced: %v %v", fi, err)
	}
	checkFile(t, target, []byte("A=2\n"), 0o644)
	checkFile(t, bak, orig, 0o644)
}

func TestWriteChangedSinceLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "make.conf")
	if err := os.WriteFile(p, []byte("A=edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := writeFile(p, []byte("A=1\n"), []byte("A=2\n"))
	if !errors.Is(err, ErrChanged) {
		t.Errorf("err = %v, want ErrChanged", err)
	}
	checkFile(t, p, []byte("A=edited\n"), 0o644)
	if _, err := os.Stat(p + ".bak"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("backup made for a refused write")
	}
	// A file created behind our back also counts as changed, and is
	// left as it is.
	q := filepath.Join(dir, OwnFile)
	if err := os.WriteFile(q, []byte("X=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := writeFile(q, nil, []byte("A=2\n")); !errors.Is(err, ErrChanged) {
		t.Errorf("err = %v, want ErrChanged", err)
	}
	checkFile(t, q, []byte("X=1\n"), 0o644)
	// So does a file removed behind our back.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if _, err := writeFile(p, []byte("A=edited\n"), []byte("A=2\n")); !errors.Is(err, ErrChanged) {
		t.Errorf("err = %v, want ErrChanged", err)
	}
	checkNoTemp(t, dir)
}

func TestWriteMissingDirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nodir", "make.conf")
	_, err := writeFile(p, nil, []byte("A=1\n"))
	if err == nil || !strings.Contains(err.Error(), "--write-makeconf") || !strings.Contains(err.Error(), filepath.Dir(p)) {
		t.Errorf("err = %v, want advice naming the directory", err)
	}
}

func TestWriteUnwritable(t *testing.T) {
	dir := t.TempDir()
	var p string
	orig := []byte("MAKEOPTS=\"-j4\"\n")
	if os.Geteuid() == 0 {
		// Root ignores permission bits, so force the failure with a
		// parent that is a regular file instead of a read-only one.
		parent := filepath.Join(dir, "file")
		if err := os.WriteFile(parent, orig, 0o644); err != nil {
			t.Fatal(err)
		}
		p = filepath.Join(parent, "make.conf")
		_, err := writeFile(p, orig, []byte("A=1\n"))
		if err == nil || !strings.Contains(err.Error(), "run as root or pass --write-makeconf") {
			t.Errorf("err = %v, want advice", err)
		}
		checkFile(t, parent, orig, 0o644)
		return
	}
	p = filepath.Join(dir, "make.conf")
	if err := os.WriteFile(p, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	_, err := writeFile(p, orig, []byte("A=1\n"))
	if err == nil || !strings.Contains(err.Error(), "run as root or pass --write-makeconf") {
		t.Errorf("err = %v, want advice", err)
	}
	checkFile(t, p, orig, 0o644)
	checkNoTemp(t, dir)
}

// TestWriteDirectoryBackups edits MAKEOPTS in a make.conf directory the
// way two runs of jtune would, with the assignment at several depths: the
// backup must be a file Portage skips, or it would be read after the
// edited file and bring the old value back, and the second run would
// propose to edit the backup.
func TestWriteDirectoryBackups(t *testing.T) {
	tests := []struct {
		name string
		dir  string // the directory jtune is given, under a fresh root
		real string // where the directory really is, if dir is a symlink to it
		file string // the file assigning MAKEOPTS, relative to dir
	}{
		{"top level", "make.conf", "", "30-opts"},
		{"nested", "make.conf", "", "sub/10-opts"},
		{"three levels down", "make.conf", "", "a/b/c/10-opts"},
		// The directory's name does not matter, only that jtune read it whole.
		{"directory with another name", "portage-conf", "", "sub/10-opts"},
		// /etc/portage/make.conf -> make.conf.d: the backup goes beside the
		// real file, which Portage reads through the link.
		{"through a symlink", "make.conf", "make.conf.d", "sub/10-opts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, tt.dir)
			realDir := dir
			if tt.real != "" {
				realDir = filepath.Join(root, tt.real)
				if err := os.Symlink(tt.real, dir); err != nil {
					t.Fatal(err)
				}
			}
			mkTree(t, realDir, map[string]string{
				"00-base": "USE=\"ssl\"\n",
				tt.file:   "MAKEOPTS=\"-j3\"\n",
				"zz-last": "ACCEPT_KEYWORDS=\"~amd64\"\n",
			})
			twoRunsInDirectory(t, dir, realDir, tt.file)
		})
	}
}

// twoRunsInDirectory sets MAKEOPTS in the make.conf directory dir, whose
// file assigns MAKEOPTS="-j3", then runs again with --diff and writing;
// realDir is where dir really is.
func twoRunsInDirectory(t *testing.T, dir, realDir, file string) {
	t.Helper()
	want := filepath.Join(dir, file)

	// First run.
	c := load(t, dir)
	path, before, after, err := c.SetMakeopts("-j8 -l4")
	if err != nil {
		t.Fatal(err)
	}
	if path != want {
		t.Fatalf("SetMakeopts edits %s, want %s", path, want)
	}
	bak, err := c.Write(path, before, after)
	if err != nil {
		t.Fatal(err)
	}
	if wantBak := filepath.Join(realDir, file) + ".bak~"; bak != wantBak {
		t.Errorf("backup = %s, want %s", bak, wantBak)
	}
	checkFile(t, bak, []byte("MAKEOPTS=\"-j3\"\n"), 0o644)

	// Portage's view after the write: the new value, no backup read.
	c2 := load(t, dir)
	if v, _ := c2.Value("MAKEOPTS"); v != "-j8 -l4" {
		t.Errorf("MAKEOPTS after write = %q, want %q: the backup is read", v, "-j8 -l4")
	}
	for _, f := range c2.files {
		if strings.Contains(filepath.Base(f.path), ".bak") {
			t.Errorf("Load reads the backup %s", f.path)
		}
	}

	// Second run, --diff: the same value changes nothing; another
	// value changes the edited file, never a backup.
	path, before, after, err = c2.SetMakeopts("-j8 -l4")
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(path, before, after); d != "" {
		t.Errorf("second run with the same MAKEOPTS proposes:\n%s", d)
	}
	path, before, after, err = c2.SetMakeopts("-j10 -l4")
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(path, before, after); path != want || !strings.HasPrefix(d, "--- "+want+"\n") {
		t.Errorf("second run proposes to edit %s:\n%s", path, d)
	}

	// Second run, writing: a second backup, still skipped.
	bak2, err := c2.Write(path, before, after)
	if err != nil {
		t.Fatal(err)
	}
	if wantBak := filepath.Join(realDir, file) + ".bak.1~"; bak2 != wantBak {
		t.Errorf("second backup = %s, want %s", bak2, wantBak)
	}
	checkFile(t, bak, []byte("MAKEOPTS=\"-j3\"\n"), 0o644)
	if v, _ := load(t, dir).Value("MAKEOPTS"); v != "-j10 -l4" {
		t.Errorf("MAKEOPTS after second write = %q", v)
	}
	checkNoTemp(t, filepath.Dir(filepath.Join(realDir, file)))
}

// TestLoadForWriteNewFile covers --write-makeconf=FILE for a FILE that
// does not exist yet: it is created holding just MAKEOPTS.
func TestLoadForWriteNewFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "make.conf.test")
	c, err := LoadForWrite(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Value("MAKEOPTS"); ok {
		t.Error("a new file has MAKEOPTS")
	}
	if w := c.Warnings(false); len(w) != 0 {
		t.Errorf("a new file has warnings: %q", w)
	}
	path, before, after, err := c.SetMakeopts("-j8 -l4")
	if err != nil {
		t.Fatal(err)
	}
	if path != p || before != nil || string(after) != "MAKEOPTS=\"-j8 -l4\"\n" {
		t.Errorf("SetMakeopts = %q, %q, %q; want just the assignment for a new %s", path, before, after, p)
	}
	want := "--- /dev/null\n+++ " + p + "\n@@ -0,0 +1 @@\n+MAKEOPTS=\"-j8 -l4\"\n"
	if d := Diff(path, before, after); d != want {
		t.Errorf("Diff =\n%s\nwant\n%s", d, want)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("LoadForWrite or SetMakeopts created the file")
	}
	bak, err := c.Write(path, before, after)
	if err != nil || bak != "" {
		t.Fatalf("Write = %q, %v", bak, err)
	}
	checkFile(t, p, after, 0o644)
	checkNoTemp(t, dir)
	if v, _ := load(t, p).Value("MAKEOPTS"); v != "-j8 -l4" {
		t.Errorf("MAKEOPTS = %q", v)
	}
}

func TestLoadForWriteExisting(t *testing.T) {
	for _, p := range []string{filepath.Join("testdata", "seed.conf"), t.TempDir()} {
		c, err := LoadForWrite(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := load(t, p); c.dir != want.dir || len(c.files) != len(want.files) || c.vars["MAKEOPTS"] != want.vars["MAKEOPTS"] {
			t.Errorf("LoadForWrite(%s) differs from Load", p)
		}
	}
}

// TestLoadForWriteErrors checks that each error is one line that names
// what is wrong and what to do.
func TestLoadForWriteErrors(t *testing.T) {
	root := t.TempDir()
	regular := filepath.Join(root, "regular")
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want []string // substrings of the error
		is   error
	}{
		{"missing directory", filepath.Join(root, "no", "such", "make.conf"),
			[]string{"directory " + filepath.Join(root, "no", "such") + ":", "mkdir -p " + filepath.Join(root, "no", "such"), "another --write-makeconf path"}, fs.ErrNotExist},
		{"parent is a file", filepath.Join(regular, "make.conf"),
			[]string{regular + ": not a directory", "another --write-makeconf path"}, nil},
		// Creating the file would replace the link, so it is not created.
		{"dangling symlink", filepath.Join(root, "dangling"),
			[]string{filepath.Join(root, "dangling") + " is a symbolic link to nowhere", "create the target"}, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadForWrite(tt.path)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has several lines: %q", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
		})
	}
}

func load(t *testing.T, path string) *Conf {
	t.Helper()
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkFile(t *testing.T, p string, want []byte, mode fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s = %q, want %q", p, got, want)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Errorf("%s mode = %v, want %v", p, fi.Mode().Perm(), mode)
	}
}

func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".jtune-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
